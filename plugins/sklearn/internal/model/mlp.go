package model

import (
	"fmt"
	"math"

	"github.com/arthost/arthost/plugins/sklearn/internal/linalg"
)

// Hidden activations of MLPClassifier.
const (
	actIdentity = iota
	actTanh
	actLogistic
	actReLU
)

var activationNames = []string{"identity", "tanh", "logistic", "relu"}

// maxLayerWidth bounds one layer.
const maxLayerWidth = 1 << 16

// MLP is MLPClassifier: a = x W_0 + b_0, hidden activation, ..., output
// activation logistic (binary: predict_proba is [1-p, p]) or softmax.
type MLP struct {
	base
	d, k       int
	activation int
	softmax    bool
	coefs      [][]float64       // layer i: in_i x out_i
	packed     []*linalg.Weights // layer i packed for batch products
	intercepts [][]float64
	widths     []int // d, hidden..., out
}

func decodeMLP(o *object, s shape, _ int) (Model, error) {
	act, err := o.enum("activation", activationNames...)
	if err != nil {
		return nil, err
	}
	out, err := o.enum("out_activation", "logistic", "softmax")
	if err != nil {
		return nil, err
	}
	m := &MLP{d: s.features, k: s.classes, softmax: out == "softmax"}
	for i, n := range activationNames {
		if n == act {
			m.activation = i
		}
	}
	want := s.classes
	if !m.softmax {
		if s.classes != 2 {
			return nil, fmt.Errorf("%s: logistic output needs 2 classes, have %d", o.key("out_activation"), s.classes)
		}
		want = 1
	} else if s.classes == 2 {
		return nil, fmt.Errorf("%s: softmax output with 2 classes (sklearn uses logistic)", o.key("out_activation"))
	}
	var coefs [][][]float64
	var intercepts [][]float64
	if err := o.req("coefs", &coefs); err != nil {
		return nil, err
	}
	if err := o.req("intercepts", &intercepts); err != nil {
		return nil, err
	}
	if len(coefs) == 0 || len(coefs) > maxDepth {
		return nil, fmt.Errorf("%s: %d layers, want 1 to %d", o.key("coefs"), len(coefs), maxDepth)
	}
	if err := checkLen(o.key("intercepts"), len(intercepts), len(coefs)); err != nil {
		return nil, err
	}
	m.widths = []int{s.features}
	for i, c := range coefs {
		in := m.widths[i]
		if len(c) == 0 || len(c[0]) == 0 || len(c[0]) > maxLayerWidth {
			return nil, fmt.Errorf("%s[%d]: empty or too wide layer", o.key("coefs"), i)
		}
		outW := len(c[0])
		if i == len(coefs)-1 && outW != want {
			return nil, fmt.Errorf("%s[%d]: %d outputs, want %d", o.key("coefs"), i, outW, want)
		}
		w, _, err := flatten(fmt.Sprintf("%s[%d]", o.key("coefs"), i), c, in, outW)
		if err != nil {
			return nil, err
		}
		p := fmt.Sprintf("%s[%d]", o.key("intercepts"), i)
		if err := checkLen(p, len(intercepts[i]), outW); err != nil {
			return nil, err
		}
		if err := checkFinite(p, intercepts[i]); err != nil {
			return nil, err
		}
		m.coefs = append(m.coefs, w)
		m.packed = append(m.packed, linalg.Pack(w, in, outW, intercepts[i]))
		m.intercepts = append(m.intercepts, intercepts[i])
		m.widths = append(m.widths, outW)
	}
	return m, nil
}

func (m *MLP) NumFeatures() int { return m.d }
func (m *MLP) NumClasses() int  { return m.k }
func (m *MLP) HasProba() bool   { return true }

// forward returns the output layer's pre-activation for one row and, when
// keep is not nil, stores each hidden layer's pre-activation there.
func (m *MLP) forward(x []float64, keep [][]float64) []float64 {
	a := x
	for l, w := range m.coefs {
		in, out := m.widths[l], m.widths[l+1]
		z := make([]float64, out)
		copy(z, m.intercepts[l])
		for i := 0; i < in; i++ {
			if v := a[i]; v != 0 {
				axpy(z, v, w[i*out:(i+1)*out])
			}
		}
		if l == len(m.coefs)-1 {
			return z
		}
		if keep != nil {
			keep[l] = append(keep[l][:0], z...)
		}
		for i, v := range z {
			z[i] = m.act(v)
		}
		a = z
	}
	panic("unreachable")
}

func (m *MLP) act(v float64) float64 {
	switch m.activation {
	case actTanh:
		return math.Tanh(v)
	case actLogistic:
		return expit(v)
	case actReLU:
		return math.Max(v, 0)
	}
	return v
}

// actGrad is the activation's derivative at pre-activation v.
func (m *MLP) actGrad(v float64) float64 {
	switch m.activation {
	case actTanh:
		t := math.Tanh(v)
		return 1 - t*t
	case actLogistic:
		s := expit(v)
		return s * (1 - s)
	case actReLU:
		if v > 0 {
			return 1
		}
		return 0
	}
	return 1
}

// mlpBlock is how many rows Proba runs through the layers at a time, so
// the hidden activations stay in cache and their buffers stay small.
const mlpBlock = 128

// forwardAll returns the output pre-activations of n rows (n x out),
// one matrix product per layer, written into last when it has room; the
// hidden layers use bufs, grown as needed.
func (m *MLP) forwardAll(x []float64, n int, last []float64, bufs *[2][]float64) []float64 {
	a := x
	if bufs == nil {
		bufs = new([2][]float64)
	}
	for l, w := range m.packed {
		out := m.widths[l+1]
		var z []float64
		switch {
		case l == len(m.packed)-1 && len(last) >= n*out:
			z = last[:n*out]
		case cap(bufs[l%2]) >= n*out:
			z = bufs[l%2][:n*out]
		default:
			z = make([]float64, n*out)
			bufs[l%2] = z
		}
		w.Mul(z, a, n)
		if l < len(m.packed)-1 {
			m.actAll(z)
		}
		a = z
	}
	return a
}

// actAll applies the hidden activation to every value of z.
func (m *MLP) actAll(z []float64) {
	switch m.activation {
	case actTanh:
		for i, v := range z {
			z[i] = math.Tanh(v)
		}
	case actLogistic:
		expitAll(z)
	case actReLU:
		for i, v := range z {
			z[i] = max(v, 0) // math.Max's NaN and signed-zero rules, without its branches
		}
	}
}

func (m *MLP) Proba(x []float64, n int, out []float64) {
	if m.softmax {
		// The output layer is written straight into out, a block at a time.
		var bufs [2][]float64
		for lo := 0; lo < n; lo += mlpBlock {
			b := min(mlpBlock, n-lo)
			o := out[lo*m.k : (lo+b)*m.k]
			m.forwardAll(x[lo*m.d:(lo+b)*m.d], b, o, &bufs)
			softmaxRows(o, m.k)
		}
		return
	}
	all := m.forwardAll(x, n, nil, nil)
	expitAll(all)
	for i, p := range all {
		out[2*i], out[2*i+1] = 1-p, p
	}
}

// Predict: p > 0.5 for the logistic output, argmax for softmax.
func (m *MLP) Predict(x []float64, n int, out []int) {
	all := m.forwardAll(x, n, nil, nil)
	w := m.widths[len(m.widths)-1]
	for i := 0; i < n; i++ {
		z := all[i*w : (i+1)*w]
		if !m.softmax {
			out[i] = 0
			if expit(z[0]) > 0.5 {
				out[i] = 1
			}
			continue
		}
		out[i] = argmax(z)
	}
}

func (m *MLP) GradKind() GradKind { return GradSoftmax }

// Grad: val is the output pre-activation ([0, a] for the logistic output,
// since expit(a) = softmax([0, a])_1) and jac its Jacobian, carried forward
// layer by layer: J_0 = W_0^T, J_l = W_l^T diag(act'(z_{l-1})) J_{l-1}.
func (m *MLP) Grad(x, val, jac []float64) {
	keep := make([][]float64, len(m.coefs))
	z := m.forward(x, keep)
	d := m.d
	// J has widths[l+1] rows of d.
	J := make([]float64, m.widths[1]*d)
	w0, out0 := m.coefs[0], m.widths[1]
	for i := 0; i < d; i++ {
		for o := 0; o < out0; o++ {
			J[o*d+i] = w0[i*out0+o]
		}
	}
	for l := 1; l < len(m.coefs); l++ {
		in, out := m.widths[l], m.widths[l+1]
		next := make([]float64, out*d)
		for i := 0; i < in; i++ {
			g := m.actGrad(keep[l-1][i])
			if g == 0 {
				continue
			}
			row := J[i*d : (i+1)*d]
			for o := 0; o < out; o++ {
				axpy(next[o*d:(o+1)*d], g*m.coefs[l][i*out+o], row)
			}
		}
		J = next
	}
	if !m.softmax {
		val[0], val[1] = 0, z[0]
		clear(jac[:d])
		copy(jac[d:2*d], J)
		return
	}
	copy(val, z)
	copy(jac, J)
}

func (m *MLP) export() map[string]any {
	coefs := make([][][]float64, len(m.coefs))
	for l, w := range m.coefs {
		coefs[l] = rows2(w, m.widths[l+1])
	}
	return map[string]any{"type": "MLPClassifier", "activation": activationNames[m.activation],
		"out_activation": map[bool]string{true: "softmax", false: "logistic"}[m.softmax],
		"coefs":          coefs, "intercepts": m.intercepts}
}
