package model

import (
	"math"

	"github.com/arthost/arthost/plugins/sklearn/internal/vecmath"
)

// Model is one loaded scikit-learn classifier (or a member of an ensemble).
// x is always row-major with NumFeatures columns; outputs are row-major.
type Model interface {
	// NumFeatures is the number of input columns.
	NumFeatures() int
	// NumClasses is the number of classes (columns of Proba).
	NumClasses() int
	// HasProba reports whether the sklearn model has predict_proba.
	HasProba() bool
	// Proba writes predict_proba of n rows into out (n*NumClasses). Only
	// valid when HasProba.
	Proba(x []float64, n int, out []float64)
	// Predict writes sklearn's predict, as class indices, into out (n).
	Predict(x []float64, n int, out []int)
	// DecisionWidth is the number of columns of sklearn's
	// decision_function: 1 for binary models (sklearn's 1-d result), 0
	// when the model has none.
	DecisionWidth() int
	// Decision writes decision_function into out (n*DecisionWidth).
	Decision(x []float64, n int, out []float64)
	// Logits writes the decision function shaped (n, NumClasses): a
	// binary model's d becomes [-d, d] and an SVC with ovo shape is given
	// sklearn's ovr transform. Only valid when DecisionWidth > 0.
	Logits(x []float64, n int, out []float64)
	// GradKind says what Grad computes; 0 when the model has no gradient.
	GradKind() GradKind
	// Grad evaluates one row x: val (NumClasses) and jac, the Jacobian of
	// val with respect to x (NumClasses*NumFeatures, row-major).
	Grad(x []float64, val, jac []float64)
	// export returns the model's part of the JSON export.
	export() map[string]any
}

// GradKind says what a differentiable model's Grad returns.
type GradKind int

// Gradient kinds.
const (
	// GradNone: no analytic gradient (trees and tree ensembles).
	GradNone GradKind = iota
	// GradSoftmax: val is a logit vector z and predict_proba is softmax(z).
	GradSoftmax
	// GradLogProba: val is log predict_proba.
	GradLogProba
	// GradLogits: the model has no probabilities; val is Logits (the
	// decision function), which is what class gradients differentiate.
	GradLogits
)

// base gives the defaults for capabilities a family lacks; calling one is
// a caller bug.
type base struct{}

func (base) HasProba() bool                     { return false }
func (base) Proba([]float64, int, []float64)    { panic("model: no predict_proba") }
func (base) DecisionWidth() int                 { return 0 }
func (base) Decision([]float64, int, []float64) { panic("model: no decision_function") }
func (base) Logits([]float64, int, []float64)   { panic("model: no decision_function") }
func (base) GradKind() GradKind                 { return GradNone }
func (base) Grad([]float64, []float64, []float64) {
	panic("model: no gradient")
}

// logitsFromDecision widens a decision function to (n, k) columns: binary
// d becomes [-d, d].
func logitsFromDecision(m Model, x []float64, n int, out []float64) {
	if m.DecisionWidth() != 1 {
		m.Decision(x, n, out)
		return
	}
	d := make([]float64, n)
	m.Decision(x, n, d)
	for i, v := range d {
		out[2*i], out[2*i+1] = -v, v
	}
}

// argmax returns the first index of the largest value, as numpy does.
func argmax(v []float64) int {
	best, m := 0, v[0]
	for i, x := range v[1:] {
		if x > m {
			best, m = i+1, x
		}
	}
	return best
}

// predictFromProba is predict for models whose predict is the argmax of
// predict_proba.
func predictFromProba(m Model, x []float64, n int, out []int) {
	k := m.NumClasses()
	p := make([]float64, n*k)
	m.Proba(x, n, p)
	for i := 0; i < n; i++ {
		out[i] = argmax(p[i*k : (i+1)*k])
	}
}

// expit is scipy's logistic sigmoid 1/(1+exp(-x)).
func expit(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// softmaxInPlace is sklearn.utils.extmath.softmax for one row: subtract the
// max, exponentiate, divide by the sum.
func softmaxInPlace(z []float64) {
	m := z[0]
	for _, v := range z[1:] {
		if v > m {
			m = v
		}
	}
	s := 0.0
	for i, v := range z {
		z[i] = math.Exp(v - m)
		s += z[i]
	}
	for i := range z {
		z[i] /= s
	}
}

// softmaxRows is softmaxInPlace on every row of k values of z, in
// vector blocks (see vecmath.SoftmaxRows; the row is multiplied by 1/sum,
// within an ulp of dividing each value).
func softmaxRows(z []float64, k int) { vecmath.SoftmaxRows(z, k) }

// expitBlock is about how many values expitAll takes through all its
// passes at a time, so that a block stays in L1 cache from one pass to
// the next (a 1000-row output does not).
const expitBlock = 512

// expitAll sets z[i] = expit(z[i]) for every i, with one vector
// exponential per block.
func expitAll(z []float64) {
	for lo := 0; lo < len(z); lo += expitBlock {
		expitOne(z[lo:min(lo+expitBlock, len(z))])
	}
}

// expitOne is expitAll on one block.
func expitOne(z []float64) {
	for i, v := range z {
		z[i] = -v
	}
	vecmath.Exp(z, z)
	for i, e := range z {
		z[i] = 1 / (1 + e)
	}
}

// logSumExp is scipy.special.logsumexp of one row.
func logSumExp(z []float64) float64 {
	m := z[0]
	for _, v := range z[1:] {
		if v > m {
			m = v
		}
	}
	if math.IsInf(m, 0) {
		return m
	}
	s := 0.0
	for _, v := range z {
		s += math.Exp(v - m)
	}
	return math.Log(s) + m
}
