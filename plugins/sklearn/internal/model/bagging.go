package model

// Bagging is BaggingClassifier: each member sees its own feature subset;
// members with predict_proba add their probabilities (into the ensemble's
// columns for the classes they know), others add one vote; the sum is
// divided by the number of members.
type Bagging struct {
	base
	d, k    int
	members []member
	// direct[e] is tree member e rewritten to split on the ensemble's own
	// columns, so it walks the input without a copy of its subset; nil
	// for other members.
	direct []*TreeClassifier
}

func decodeBagging(o *object, s shape, depth int) (Model, error) {
	ms, err := decodeMembers(o, "estimators", s, true, depth)
	if err != nil {
		return nil, err
	}
	m := &Bagging{d: s.features, k: s.classes, members: ms, direct: make([]*TreeClassifier, len(ms))}
	for e, mb := range ms {
		if t, ok := mb.model.(*TreeClassifier); ok {
			m.direct[e] = t.onColumns(mb.features, s.features)
		}
	}
	return m, nil
}

func (m *Bagging) NumFeatures() int { return m.d }
func (m *Bagging) NumClasses() int  { return m.k }
func (m *Bagging) HasProba() bool   { return true }

// baggingBlock is how many rows go through the members at once, so the
// per-member copies of the feature subsets stay small and reused.
const baggingBlock = 128

func (m *Bagging) Proba(x []float64, n int, out []float64) {
	clear(out[:n*m.k])
	var buf, p []float64
	lab := make([]int, min(n, baggingBlock))
	slots := make([]int32, min(n, baggingBlock))
	for lo := 0; lo < n; lo += baggingBlock {
		b := min(baggingBlock, n-lo)
		xb, ob := x[lo*m.d:(lo+b)*m.d], out[lo*m.k:(lo+b)*m.k]
		for e, mb := range m.members {
			mk := len(mb.classes)
			if t := m.direct[e]; t != nil {
				m.addTree(t, mb.classes, xb, b, slots, ob)
				continue
			}
			buf = mb.inputInto(xb, b, m.d, buf)
			if !mb.model.HasProba() {
				mb.model.Predict(buf, b, lab[:b])
				for i, l := range lab[:b] {
					ob[i*m.k+mb.classes[l]]++
				}
				continue
			}
			p = grow(p, b*mk)
			mb.model.Proba(buf, b, p)
			for i := 0; i < b; i++ {
				for j, c := range mb.classes {
					ob[i*m.k+c] += p[i*mk+j]
				}
			}
		}
	}
	for i := range out[:n*m.k] {
		out[i] /= float64(len(m.members))
	}
}

// addTree adds the predict_proba of tree t (over the ensemble's columns)
// for b rows of x into the columns classes of out; slots is scratch.
func (m *Bagging) addTree(t *TreeClassifier, classes []int, x []float64, b int, slots []int32, out []float64) {
	slots = slots[:b]
	t.leavesOf(x, m.d, b, slots)
	mk := len(classes)
	for i, l := range slots {
		p := t.slotProba[int(l)*mk : (int(l)+1)*mk]
		for j, c := range classes {
			out[i*m.k+c] += p[j]
		}
	}
}

func grow(v []float64, n int) []float64 {
	if cap(v) < n {
		return make([]float64, n)
	}
	return v[:n]
}

func (m *Bagging) Predict(x []float64, n int, out []int) { predictFromProba(m, x, n, out) }

func (m *Bagging) export() map[string]any {
	return map[string]any{"type": "BaggingClassifier", "estimators": exportMembers(m.members)}
}

// DecisionWidth: Bagging has decision_function when every member has one
// and knows every class (sklearn sums the members' decision functions).
func (m *Bagging) DecisionWidth() int {
	w := m.members[0].model.DecisionWidth()
	for _, mb := range m.members {
		if mb.model.DecisionWidth() != w || len(mb.classes) != m.k {
			return 0
		}
	}
	return w
}

// Decision is the mean of the members' decision functions.
func (m *Bagging) Decision(x []float64, n int, out []float64) {
	w := m.DecisionWidth()
	clear(out[:n*w])
	d := make([]float64, n*w)
	for _, mb := range m.members {
		mb.model.Decision(mb.input(x, n, m.d), n, d)
		for i, v := range d {
			out[i] += v
		}
	}
	for i := range out[:n*w] {
		out[i] /= float64(len(m.members))
	}
}

func (m *Bagging) Logits(x []float64, n int, out []float64) { logitsFromDecision(m, x, n, out) }
