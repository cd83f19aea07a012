package model

// Bagging is BaggingClassifier: each member sees its own feature subset;
// members with predict_proba add their probabilities (into the ensemble's
// columns for the classes they know), others add one vote; the sum is
// divided by the number of members.
type Bagging struct {
	base
	d, k    int
	members []member
}

func decodeBagging(o *object, s shape, depth int) (Model, error) {
	ms, err := decodeMembers(o, "estimators", s, true, depth)
	if err != nil {
		return nil, err
	}
	return &Bagging{d: s.features, k: s.classes, members: ms}, nil
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
	for lo := 0; lo < n; lo += baggingBlock {
		b := min(baggingBlock, n-lo)
		xb, ob := x[lo*m.d:(lo+b)*m.d], out[lo*m.k:(lo+b)*m.k]
		for _, mb := range m.members {
			buf = mb.inputInto(xb, b, m.d, buf)
			mk := len(mb.classes)
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
