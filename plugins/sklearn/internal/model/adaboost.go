package model

import (
	"fmt"
	"math"
)

// float64Eps is np.finfo(np.float64).eps, AdaBoost's floor on member
// probabilities before the log.
const float64Eps = 2.220446049250313e-16

// AdaBoost is AdaBoostClassifier. SAMME.R sums each member's
// (k-1)(log p - mean log p); SAMME sums weight times the one-hot of each
// member's prediction; the sum is divided by the total weight. Binary
// models reduce this to d = pred1 - pred0 and predict_proba is
// softmax([-d, d]/2); otherwise softmax(pred/(k-1)).
type AdaBoost struct {
	base
	d, k    int
	sammeR  bool
	members []member
	weights []float64
	// contrib[e] holds, for a tree member e, each leaf slot's term in the
	// sum (slots x k, see leavesOf), so rows add it at their leaf; nil when
	// any member is not a tree.
	contrib [][]float64
}

func decodeAdaBoost(o *object, s shape, depth int) (Model, error) {
	alg, err := o.enum("algorithm", "SAMME", "SAMME.R")
	if err != nil {
		return nil, err
	}
	m := &AdaBoost{d: s.features, k: s.classes, sammeR: alg == "SAMME.R"}
	if m.members, err = decodeMembers(o, "estimators", s, false, depth); err != nil {
		return nil, err
	}
	for i, mb := range m.members {
		if len(mb.classes) != s.classes {
			return nil, fmt.Errorf("%s[%d].classes: %d classes, AdaBoost members must know all %d", o.key("estimators"), i, len(mb.classes), s.classes)
		}
		if m.sammeR && !mb.model.HasProba() {
			return nil, fmt.Errorf("%s[%d]: SAMME.R needs members with predict_proba", o.key("estimators"), i)
		}
	}
	var w []float64
	if w, err = o.vector("estimator_weights", -1); err != nil {
		return nil, err
	}
	if len(w) < len(m.members) {
		return nil, fmt.Errorf("%s: %d weights for %d estimators", o.key("estimator_weights"), len(w), len(m.members))
	}
	total := 0.0
	for _, v := range w {
		total += v
	}
	if total == 0 {
		return nil, fmt.Errorf("%s: weights sum to zero", o.key("estimator_weights"))
	}
	m.weights = w
	m.setContrib()
	return m, nil
}

// setContrib precomputes each tree member's term per leaf, with the
// arithmetic pred uses on the member's output for a row.
func (m *AdaBoost) setContrib() {
	k := m.k
	contrib := make([][]float64, len(m.members))
	for e, mb := range m.members {
		t, ok := mb.model.(*TreeClassifier)
		if !ok {
			return
		}
		c := make([]float64, len(t.left)*k)
		for node := range t.left {
			row := c[node*k : (node+1)*k]
			if m.sammeR {
				m.sammeRTerm(t.proba[node*k:(node+1)*k], row)
				continue
			}
			row[mb.classes[argmax(t.value[node*k:(node+1)*k])]] = m.weights[e]
		}
		contrib[e] = t.bySlot(c, k)
	}
	m.contrib = contrib
}

// sammeRTerm adds a member's SAMME.R term for probabilities p to out:
// (k-1) (log p - mean log p), p floored at float64Eps. p is overwritten.
func (m *AdaBoost) sammeRTerm(p, out []float64) {
	k := m.k
	s := 0.0
	for j, v := range p {
		p[j] = math.Log(math.Max(v, float64Eps))
		s += p[j]
	}
	for j, v := range p {
		out[j] += float64(k-1) * (v - (1/float64(k))*s)
	}
}

func (m *AdaBoost) NumFeatures() int { return m.d }
func (m *AdaBoost) NumClasses() int  { return m.k }
func (m *AdaBoost) HasProba() bool   { return true }

// pred writes the weighted, normalised sum (n x k) before the binary
// reduction.
func (m *AdaBoost) pred(x []float64, n int) []float64 {
	k := m.k
	out := make([]float64, n*k)
	if m.contrib != nil {
		m.treeSum(x, n, out)
	} else {
		m.memberSum(x, n, out)
	}
	total := 0.0
	for _, w := range m.weights {
		total += w
	}
	for i := range out {
		out[i] /= total
	}
	return out
}

// treeSum adds the members' precomputed leaf terms into out, member after
// member for each row.
func (m *AdaBoost) treeSum(x []float64, n int, out []float64) {
	k := m.k
	leaf := make([]int32, min(n, treeBlock))
	for lo := 0; lo < n; lo += treeBlock {
		b := min(treeBlock, n-lo)
		o := out[lo*k : (lo+b)*k]
		for e, mb := range m.members {
			mb.model.(*TreeClassifier).leavesOf(x[lo*m.d:(lo+b)*m.d], m.d, b, leaf)
			c := m.contrib[e]
			for i, l := range leaf[:b] {
				row, term := o[i*k:(i+1)*k], c[int(l)*k:(int(l)+1)*k]
				for j, v := range term {
					row[j] += v
				}
			}
		}
	}
}

// memberSum adds the members' terms into out from their outputs.
func (m *AdaBoost) memberSum(x []float64, n int, out []float64) {
	k := m.k
	p := make([]float64, n*k)
	lab := make([]int, n)
	for e, mb := range m.members {
		if m.sammeR {
			mb.model.Proba(x, n, p)
			for i := 0; i < n; i++ {
				m.sammeRTerm(p[i*k:(i+1)*k], out[i*k:(i+1)*k])
			}
			continue
		}
		mb.model.Predict(x, n, lab)
		for i, l := range lab {
			out[i*k+mb.classes[l]] += m.weights[e]
		}
	}
}

func (m *AdaBoost) DecisionWidth() int {
	if m.k == 2 {
		return 1
	}
	return m.k
}

// Decision is AdaBoostClassifier.decision_function.
func (m *AdaBoost) Decision(x []float64, n int, out []float64) {
	pred := m.pred(x, n)
	if m.k == 2 {
		for i := 0; i < n; i++ {
			out[i] = -pred[2*i] + pred[2*i+1]
		}
		return
	}
	copy(out, pred)
}

func (m *AdaBoost) Logits(x []float64, n int, out []float64) { logitsFromDecision(m, x, n, out) }

func (m *AdaBoost) Proba(x []float64, n int, out []float64) {
	if m.k == 2 {
		d := make([]float64, n)
		m.Decision(x, n, d)
		for i, v := range d {
			out[2*i], out[2*i+1] = -v/2, v/2
			softmaxInPlace(out[2*i : 2*i+2])
		}
		return
	}
	m.Decision(x, n, out)
	for i := 0; i < n; i++ {
		row := out[i*m.k : (i+1)*m.k]
		for j := range row {
			row[j] /= float64(m.k - 1)
		}
		softmaxInPlace(row)
	}
}

// Predict: d > 0 for binary, argmax of the decision otherwise.
func (m *AdaBoost) Predict(x []float64, n int, out []int) {
	w := m.DecisionWidth()
	d := make([]float64, n*w)
	m.Decision(x, n, d)
	for i := 0; i < n; i++ {
		if w == 1 {
			out[i] = 0
			if d[i] > 0 {
				out[i] = 1
			}
			continue
		}
		out[i] = argmax(d[i*w : (i+1)*w])
	}
}

func (m *AdaBoost) export() map[string]any {
	alg := "SAMME"
	if m.sammeR {
		alg = "SAMME.R"
	}
	return map[string]any{"type": "AdaBoostClassifier", "algorithm": alg,
		"estimators": exportMembers(m.members), "estimator_weights": m.weights}
}
