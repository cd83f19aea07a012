package model

import (
	"fmt"
	"math"

	"github.com/arthost/arthost/plugins/sklearn/internal/linalg"
	"github.com/arthost/arthost/plugins/sklearn/internal/vecmath"
)

// Kernel types of libsvm that SVC exports.
const (
	kernelLinear = iota
	kernelPoly
	kernelRBF
	kernelSigmoid
)

var kernelNames = []string{"linear", "poly", "rbf", "sigmoid"}

// SVC is sklearn's libsvm C-SVC with a dense kernel: one-vs-one pairs in
// libsvm's order (0,1), (0,2), ..., (1,2), ...; dual coefficients and
// intercepts kept in libsvm's own signs (sklearn negates them in its public
// attributes for binary problems, and negates the binary decision function).
type SVC struct {
	base
	d, k, nsv int
	kernel    int
	gamma     float64
	coef0     float64
	degree    int
	sv        []float64 // nsv x d
	nSupport  []int
	start     []int     // first support vector of each class
	dual      []float64 // (k-1) x nsv
	intercept []float64 // one per pair: libsvm's -rho
	ovo       bool
	breakTies bool
	prob      bool
	probA     []float64
	probB     []float64
	pairs     [][2]int  // class pair of each decision value
	svNorm    []float64 // |sv_s|^2, for the rbf kernel
	packed    *linalg.Weights
	// pairW is pairDecisions as one product: row p holds the dual
	// coefficients of pair p's two classes and zeros elsewhere, its bias
	// the pair's intercept; nil when too large (see maxPairWeights).
	pairW *linalg.Weights
}

// maxPairWeights bounds pairW (pairs x support vectors values, 32 MiB):
// with many classes the dense pair matrix is mostly zeros, and the
// per-pair loop is used instead.
const maxPairWeights = 4 << 20

// maxDegree bounds the poly kernel degree so x^degree stays meaningful.
const maxDegree = 100

func decodeSVC(o *object, s shape, _ int) (Model, error) {
	m := &SVC{d: s.features, k: s.classes}
	kern, err := o.enum("kernel", kernelNames...)
	if err != nil {
		return nil, err
	}
	for i, n := range kernelNames {
		if n == kern {
			m.kernel = i
		}
	}
	if err := o.req("gamma", &m.gamma); err != nil {
		return nil, err
	}
	if err := o.req("coef0", &m.coef0); err != nil {
		return nil, err
	}
	if err := o.req("degree", &m.degree); err != nil {
		return nil, err
	}
	if m.degree < 0 || m.degree > maxDegree {
		return nil, fmt.Errorf("%s: %d out of range [0,%d]", o.key("degree"), m.degree, maxDegree)
	}
	if err := o.req("n_support", &m.nSupport); err != nil {
		return nil, err
	}
	if err := checkLen(o.key("n_support"), len(m.nSupport), m.k); err != nil {
		return nil, err
	}
	m.start = make([]int, m.k)
	for i, c := range m.nSupport {
		if c < 0 {
			return nil, fmt.Errorf("%s[%d]: %d is negative", o.key("n_support"), i, c)
		}
		m.start[i] = m.nsv
		m.nsv += c
	}
	if m.nsv == 0 {
		return nil, fmt.Errorf("%s: no support vectors", o.key("n_support"))
	}
	if m.sv, _, err = o.matrix("support_vectors", m.nsv, m.d); err != nil {
		return nil, err
	}
	if m.dual, _, err = o.matrix("dual_coef", m.k-1, m.nsv); err != nil {
		return nil, err
	}
	npair := m.k * (m.k - 1) / 2
	if m.intercept, err = o.vector("intercept", npair); err != nil {
		return nil, err
	}
	shapeName, err := o.enum("decision_function_shape", "ovr", "ovo")
	if err != nil {
		return nil, err
	}
	m.ovo = shapeName == "ovo"
	if err := o.req("break_ties", &m.breakTies); err != nil {
		return nil, err
	}
	if err := o.req("probability", &m.prob); err != nil {
		return nil, err
	}
	if m.prob {
		if m.probA, err = o.vector("prob_a", npair); err != nil {
			return nil, err
		}
		if m.probB, err = o.vector("prob_b", npair); err != nil {
			return nil, err
		}
	} else if o.has("prob_a") || o.has("prob_b") {
		return nil, fmt.Errorf("%s: prob_a/prob_b given but probability is false", where(o.path))
	}
	for _, v := range []float64{m.gamma, m.coef0} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%s: gamma/coef0 %v not finite", where(o.path), v)
		}
	}
	for i := 0; i < m.k; i++ {
		for j := i + 1; j < m.k; j++ {
			m.pairs = append(m.pairs, [2]int{i, j})
		}
	}
	m.packed = linalg.PackT(m.sv, m.nsv, m.d, nil)
	m.setPairWeights()
	m.svNorm = make([]float64, m.nsv)
	for s := range m.svNorm {
		for _, v := range m.sv[s*m.d : (s+1)*m.d] {
			m.svNorm[s] += v * v
		}
	}
	return m, nil
}

func (m *SVC) NumFeatures() int { return m.d }
func (m *SVC) NumClasses() int  { return m.k }
func (m *SVC) HasProba() bool   { return m.prob }

// kernelValues writes K(x, sv_s) for every support vector.
func (m *SVC) kernelValues(x, kv []float64) {
	for s := 0; s < m.nsv; s++ {
		v := m.sv[s*m.d : (s+1)*m.d]
		switch m.kernel {
		case kernelRBF:
			sum := 0.0
			for f, a := range x {
				t := a - v[f]
				sum += t * t
			}
			kv[s] = math.Exp(-m.gamma * sum)
		default:
			dot := 0.0
			for f, a := range x {
				dot += a * v[f]
			}
			switch m.kernel {
			case kernelLinear:
				kv[s] = dot
			case kernelPoly:
				kv[s] = powi(m.gamma*dot+m.coef0, m.degree)
			case kernelSigmoid:
				kv[s] = math.Tanh(m.gamma*dot + m.coef0)
			}
		}
	}
}

// powi is libsvm's powi: base**times by repeated squaring.
func powi(base float64, times int) float64 {
	tmp, ret := base, 1.0
	for t := times; t > 0; t /= 2 {
		if t%2 == 1 {
			ret *= tmp
		}
		tmp *= tmp
	}
	return ret
}

// pairDecisions writes libsvm's one-vs-one decision values of one row
// (positive votes for the first class of the pair).
func (m *SVC) pairDecisions(kv, dec []float64) {
	for p, c := range m.pairs {
		i, j := c[0], c[1]
		sum := 0.0
		ci := m.dual[(j-1)*m.nsv:]
		for s := m.start[i]; s < m.start[i]+m.nSupport[i]; s++ {
			sum += ci[s] * kv[s]
		}
		cj := m.dual[i*m.nsv:]
		for s := m.start[j]; s < m.start[j]+m.nSupport[j]; s++ {
			sum += cj[s] * kv[s]
		}
		dec[p] = sum + m.intercept[p]
	}
}

// svcBlock is how many rows share one kernel matrix product: large enough
// for an efficient product, small enough that the block stays in cache.
const svcBlock = 128

// setPairWeights builds pairW from the dual coefficients.
func (m *SVC) setPairWeights() {
	if len(m.pairs)*m.nsv > maxPairWeights {
		return
	}
	w := make([]float64, len(m.pairs)*m.nsv)
	for p, c := range m.pairs {
		i, j := c[0], c[1]
		row := w[p*m.nsv : (p+1)*m.nsv]
		for s := m.start[i]; s < m.start[i]+m.nSupport[i]; s++ {
			row[s] = m.dual[(j-1)*m.nsv+s]
		}
		for s := m.start[j]; s < m.start[j]+m.nSupport[j]; s++ {
			row[s] = m.dual[i*m.nsv+s]
		}
	}
	m.pairW = linalg.PackT(w, len(m.pairs), m.nsv, m.intercept)
}

// rows runs fn on the pair decisions of every row. With pairW they come
// from one product per block: the nonzero terms are those of
// pairDecisions in the same order (class i's support vectors, then class
// j's), the zeros add nothing, and a row whose kernel values are not all
// finite (where 0 times infinity would add a NaN) is redone by
// pairDecisions.
func (m *SVC) rows(x []float64, n int, fn func(i int, dec []float64)) {
	np := len(m.pairs)
	dec := make([]float64, np)
	kv := make([]float64, min(n, svcBlock)*m.nsv)
	var decs []float64
	if m.pairW != nil {
		decs = make([]float64, min(n, svcBlock)*np)
	}
	for lo := 0; lo < n; lo += svcBlock {
		hi := min(lo+svcBlock, n)
		b := hi - lo
		m.kernelBlock(x[lo*m.d:hi*m.d], b, kv[:b*m.nsv])
		if m.pairW != nil {
			m.pairW.Mul(decs[:b*np], kv[:b*m.nsv], b)
		}
		for i := 0; i < b; i++ {
			if m.pairW == nil || !allFinite(decs[i*np:(i+1)*np]) {
				m.pairDecisions(kv[i*m.nsv:(i+1)*m.nsv], dec)
				fn(lo+i, dec)
				continue
			}
			fn(lo+i, decs[i*np:(i+1)*np])
		}
	}
}

// allFinite reports whether v holds no NaN or infinity.
func allFinite(v []float64) bool {
	s := 0.0
	for _, x := range v {
		s += x * 0 // NaN exactly when some x is NaN or infinite
	}
	return s == 0
}

// kernelBlock writes K(x_i, sv_s) for n rows (n x nsv) from one matrix
// product of dot products; rbf uses |x-sv|^2 = |x|^2 + |sv|^2 - 2 x.sv
// (libsvm subtracts directly; the two differ by rounding only).
func (m *SVC) kernelBlock(x []float64, n int, kv []float64) {
	m.packed.Mul(kv, x, n)
	for i := 0; i < n; i++ {
		row := kv[i*m.nsv : (i+1)*m.nsv]
		switch m.kernel {
		case kernelPoly:
			for s, v := range row {
				row[s] = powi(m.gamma*v+m.coef0, m.degree)
			}
		case kernelSigmoid:
			for s, v := range row {
				row[s] = math.Tanh(m.gamma*v + m.coef0)
			}
		case kernelRBF:
			xi := x[i*m.d : (i+1)*m.d]
			xx := 0.0
			for _, v := range xi {
				xx += v * v
			}
			for s, v := range row {
				row[s] = -m.gamma * max(xx+m.svNorm[s]-2*v, 0) // as math.Max, without its branches
			}
		}
	}
	if m.kernel == kernelRBF {
		vecmath.Exp(kv[:n*m.nsv], kv[:n*m.nsv])
	}
}

// DecisionWidth: 1 for binary, k for ovr, k(k-1)/2 for ovo.
func (m *SVC) DecisionWidth() int {
	switch {
	case m.k == 2:
		return 1
	case m.ovo:
		return len(m.pairs)
	}
	return m.k
}

// Decision is SVC.decision_function.
func (m *SVC) Decision(x []float64, n int, out []float64) {
	w := m.DecisionWidth()
	m.rows(x, n, func(i int, dec []float64) {
		switch {
		case m.k == 2:
			out[i] = -dec[0]
		case m.ovo:
			copy(out[i*w:(i+1)*w], dec)
		default:
			m.ovr(dec, out[i*w:(i+1)*w])
		}
	})
}

// Logits is the decision function with k columns: [dec, -dec] for binary
// (sklearn's d is -dec), the ovr transform otherwise.
func (m *SVC) Logits(x []float64, n int, out []float64) {
	m.rows(x, n, func(i int, dec []float64) {
		if m.k == 2 {
			out[2*i], out[2*i+1] = dec[0], -dec[0]
			return
		}
		m.ovr(dec, out[i*m.k:(i+1)*m.k])
	})
}

// ovr is sklearn's _ovr_decision_function(dec < 0, -dec, k): votes plus
// the summed confidences squashed into (-1/3, 1/3).
func (m *SVC) ovr(dec, out []float64) {
	conf := make([]float64, m.k)
	for i := range out {
		out[i] = 0
	}
	for p, c := range m.pairs {
		conf[c[0]] += dec[p]
		conf[c[1]] -= dec[p]
		if dec[p] < 0 {
			out[c[1]]++
		} else {
			out[c[0]]++
		}
	}
	for i, s := range conf {
		out[i] += s / (3 * (math.Abs(s) + 1))
	}
}

// Predict is SVC.predict: libsvm's vote (ties to the lower class), or the
// ovr argmax when break_ties is set.
func (m *SVC) Predict(x []float64, n int, out []int) {
	votes := make([]float64, m.k)
	m.rows(x, n, func(i int, dec []float64) {
		if m.breakTies && !m.ovo && m.k > 2 {
			m.ovr(dec, votes)
			out[i] = argmax(votes)
			return
		}
		for c := range votes {
			votes[c] = 0
		}
		for p, c := range m.pairs {
			if dec[p] > 0 {
				votes[c[0]]++
			} else {
				votes[c[1]]++
			}
		}
		out[i] = argmax(votes)
	})
}

// Proba is predict_proba: Platt sigmoids of each pair, coupled by libsvm's
// multiclass_probability (also for two classes).
func (m *SVC) Proba(x []float64, n int, out []float64) {
	c := newCoupler(m.k)
	m.rows(x, n, func(i int, dec []float64) {
		m.pairProbs(dec, c.r)
		c.solve(out[i*m.k:(i+1)*m.k], nil)
	})
}

// pairProbs fills r[i][j] = clamp(sigmoid_predict(dec, A, B)) and
// r[j][i] = 1 - r[i][j], as libsvm's svm_predict_probability.
func (m *SVC) pairProbs(dec []float64, r [][]float64) {
	for p, c := range m.pairs {
		v := math.Min(math.Max(sigmoidPredict(dec[p], m.probA[p], m.probB[p]), minProb), 1-minProb)
		r[c[0]][c[1]] = v
		r[c[1]][c[0]] = 1 - v
	}
}

func (m *SVC) export() map[string]any {
	e := map[string]any{
		"type": "SVC", "kernel": kernelNames[m.kernel], "gamma": m.gamma, "coef0": m.coef0,
		"degree": m.degree, "support_vectors": rows2(m.sv, m.d), "n_support": m.nSupport,
		"dual_coef": rows2(m.dual, m.nsv), "intercept": m.intercept,
		"decision_function_shape": map[bool]string{true: "ovo", false: "ovr"}[m.ovo],
		"break_ties":              m.breakTies, "probability": m.prob,
	}
	if m.prob {
		e["prob_a"], e["prob_b"] = m.probA, m.probB
	}
	return e
}
