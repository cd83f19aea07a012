package model

import (
	"math"

	"github.com/arthost/arthost/plugins/sklearn/internal/linalg"
)

// linear holds the parameters of a linear decision function
// d = x . coef_j + intercept_j, with one row for binary problems.
type linear struct {
	d, k, r   int // features, classes, decision rows
	coef      []float64
	intercept []float64
	packed    *linalg.Weights // coef packed for Decision; set by setCoef
}

// setCoef installs coefficients (r x d) and intercepts (r).
func (l *linear) setCoef(coef, intercept []float64) {
	l.coef, l.intercept, l.r = coef, intercept, len(intercept)
	l.packed = linalg.PackT(coef, l.r, l.d, intercept)
}

func decodeLinear(o *object, s shape) (linear, error) {
	r := s.classes
	if r == 2 {
		r = 1
	}
	l := linear{d: s.features, k: s.classes, r: r}
	coef, _, err := o.matrix("coef", r, s.features)
	if err != nil {
		return l, err
	}
	intercept, err := o.vector("intercept", r)
	if err != nil {
		return l, err
	}
	l.setCoef(coef, intercept)
	return l, nil
}

func (l *linear) NumFeatures() int   { return l.d }
func (l *linear) NumClasses() int    { return l.k }
func (l *linear) DecisionWidth() int { return l.r }

// row writes the decision values of one input row into out (r).
func (l *linear) row(x, out []float64) {
	for j := 0; j < l.r; j++ {
		w := l.coef[j*l.d : (j+1)*l.d]
		s := 0.0
		for f, v := range x {
			s += v * w[f]
		}
		out[j] = s + l.intercept[j]
	}
}

// Decision writes x coef^T + intercept for n rows (one matrix product).
func (l *linear) Decision(x []float64, n int, out []float64) {
	l.packed.Mul(out, x, n)
}

// linearBlock is how many rows Predict takes at a time, so its decision
// buffer stays small.
const linearBlock = 128

// Predict is LinearClassifierMixin.predict: d > 0 for binary, else argmax.
func (l *linear) Predict(x []float64, n int, out []int) {
	all := make([]float64, min(n, linearBlock)*l.r)
	for lo := 0; lo < n; lo += linearBlock {
		b := min(linearBlock, n-lo)
		l.Decision(x[lo*l.d:(lo+b)*l.d], b, all[:b*l.r])
		for i := 0; i < b; i++ {
			d := all[i*l.r : (i+1)*l.r]
			if l.r == 1 {
				out[lo+i] = 0
				if d[0] > 0 {
					out[lo+i] = 1
				}
			} else {
				out[lo+i] = argmax(d)
			}
		}
	}
}

// logitRow writes the (k) logits of one row and, when jac is not nil, their
// Jacobian: coefficient rows, [-w, w] for binary problems.
func (l *linear) logitRow(x, val, jac []float64) {
	l.row(x, val)
	if l.r == 1 {
		val[1] = val[0]
		val[0] = -val[1]
	}
	if jac == nil {
		return
	}
	if l.r == 1 {
		for f := 0; f < l.d; f++ {
			jac[f], jac[l.d+f] = -l.coef[f], l.coef[f]
		}
		return
	}
	copy(jac, l.coef)
}

func (l *linear) exportLinear(typ string) map[string]any {
	return map[string]any{"type": typ, "coef": rows2(l.coef, l.d), "intercept": l.intercept}
}

// Logistic is LogisticRegression, ovr (independent sigmoids, normalised) or
// multinomial (softmax; for binary data sklearn keeps one row w and uses
// softmax([-d, d])).
type Logistic struct {
	base
	linear
	Multinomial bool
}

func decodeLogistic(o *object, s shape, _ int) (Model, error) {
	mc, err := o.enum("multi_class", "ovr", "multinomial")
	if err != nil {
		return nil, err
	}
	l, err := decodeLinear(o, s)
	if err != nil {
		return nil, err
	}
	return &Logistic{linear: l, Multinomial: mc == "multinomial"}, nil
}

func (m *Logistic) HasProba() bool     { return true }
func (m *Logistic) DecisionWidth() int { return m.r }
func (m *Logistic) Decision(x []float64, n int, out []float64) {
	m.linear.Decision(x, n, out)
}
func (m *Logistic) Logits(x []float64, n int, out []float64) {
	logitsFromDecision(m, x, n, out)
}

// Proba is LogisticRegression.predict_proba.
func (m *Logistic) Proba(x []float64, n int, out []float64) {
	k := m.k
	out = out[:n*k]
	if m.r == 1 {
		// Binary: one decision column d; multinomial is softmax([-d, d]),
		// ovr is [1-expit(d), expit(d)].
		d := make([]float64, n)
		m.linear.Decision(x, n, d)
		if m.Multinomial {
			for i, v := range d {
				out[2*i], out[2*i+1] = -v, v
			}
			softmaxRows(out, 2)
			return
		}
		expitAll(d)
		for i, e := range d {
			out[2*i], out[2*i+1] = 1-e, e
		}
		return
	}
	m.linear.Decision(x, n, out)
	if m.Multinomial {
		softmaxRows(out, k)
		return
	}
	expitAll(out)
	for i := 0; i < n; i++ {
		p := out[i*k : (i+1)*k]
		s := 0.0
		for _, v := range p {
			s += v
		}
		for j := range p {
			p[j] /= s
		}
	}
}

func (m *Logistic) GradKind() GradKind {
	if m.Multinomial {
		return GradSoftmax
	}
	return GradLogProba
}

// Grad: multinomial gives the logits and coefficient rows. ovr gives
// log p_k = log s_k - log sum_j s_j with s = expit(d) (binary: log(1-s),
// log s), whose gradient is (1-s_k) w_k - sum_j s_j (1-s_j) w_j / sum_j s_j.
func (m *Logistic) Grad(x, val, jac []float64) {
	if m.Multinomial {
		m.logitRow(x, val, jac)
		return
	}
	d := make([]float64, m.r)
	m.row(x, d)
	if m.r == 1 {
		s := expit(d[0])
		val[0], val[1] = logExpit(-d[0]), logExpit(d[0])
		for f := 0; f < m.d; f++ {
			w := m.coef[f]
			jac[f], jac[m.d+f] = -s*w, (1-s)*w
		}
		return
	}
	sum, common := 0.0, make([]float64, m.d)
	s := make([]float64, m.r)
	for j, v := range d {
		s[j] = expit(v)
		sum += s[j]
	}
	for j := range d {
		c := s[j] * (1 - s[j])
		for f, w := range m.coef[j*m.d : (j+1)*m.d] {
			common[f] += c * w
		}
	}
	ls := math.Log(sum)
	for j, v := range d {
		val[j] = logExpit(v) - ls
		row := jac[j*m.d : (j+1)*m.d]
		for f, w := range m.coef[j*m.d : (j+1)*m.d] {
			row[f] = (1-s[j])*w - common[f]/sum
		}
	}
}

func (m *Logistic) Predict(x []float64, n int, out []int) { m.linear.Predict(x, n, out) }

func (m *Logistic) export() map[string]any {
	e := m.exportLinear("LogisticRegression")
	e["multi_class"] = map[bool]string{true: "multinomial", false: "ovr"}[m.Multinomial]
	return e
}

// logExpit is log(1/(1+exp(-x))) without overflow or cancellation.
func logExpit(x float64) float64 {
	if x >= 0 {
		return -math.Log1p(math.Exp(-x))
	}
	return x - math.Log1p(math.Exp(x))
}

// LinearSVC has a decision function and no probabilities.
type LinearSVC struct {
	base
	linear
}

func decodeLinearSVC(o *object, s shape, _ int) (Model, error) {
	l, err := decodeLinear(o, s)
	if err != nil {
		return nil, err
	}
	return &LinearSVC{linear: l}, nil
}

func (m *LinearSVC) Logits(x []float64, n int, out []float64) { logitsFromDecision(m, x, n, out) }
func (m *LinearSVC) GradKind() GradKind                       { return GradLogits }
func (m *LinearSVC) Grad(x, val, jac []float64)               { m.logitRow(x, val, jac) }
func (m *LinearSVC) Predict(x []float64, n int, out []int)    { m.linear.Predict(x, n, out) }
func (m *LinearSVC) Decision(x []float64, n int, out []float64) {
	m.linear.Decision(x, n, out)
}
func (m *LinearSVC) DecisionWidth() int     { return m.r }
func (m *LinearSVC) export() map[string]any { return m.exportLinear("LinearSVC") }
