package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
)

// modelFormat names the JSON files this plugin reads and writes.
const (
	modelFormat  = "arthost-linear"
	modelVersion = 1
)

// modelFile is the on-disk softmax regression: logits = W x + b with W of
// shape (classes, features).
type modelFile struct {
	Format     string      `json:"format"`
	Version    int         `json:"version"`
	Weights    [][]float64 `json:"weights"`
	Bias       []float64   `json:"bias"`
	ClipValues []float64   `json:"clip_values,omitempty"`
}

// softmaxModel holds the weights row-major for fast products.
type softmaxModel struct {
	k, d int
	w    []float64 // k*d
	b    []float64 // k
	clip []float64 // empty or [min, max]
}

func parseModel(data []byte) (*softmaxModel, error) {
	var f modelFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("parse model: %w", err)
	}
	if f.Format != modelFormat {
		return nil, fmt.Errorf("model format %q, want %q", f.Format, modelFormat)
	}
	if f.Version != modelVersion {
		return nil, fmt.Errorf("model version %d, this plugin reads version %d", f.Version, modelVersion)
	}
	k := len(f.Weights)
	if k < 2 {
		return nil, fmt.Errorf("model has %d classes, want at least 2", k)
	}
	d := len(f.Weights[0])
	if d == 0 {
		return nil, fmt.Errorf("model has no features")
	}
	if len(f.Bias) != k {
		return nil, fmt.Errorf("bias has %d values for %d classes", len(f.Bias), k)
	}
	m := &softmaxModel{k: k, d: d, w: make([]float64, 0, k*d), b: f.Bias}
	for c, row := range f.Weights {
		if len(row) != d {
			return nil, fmt.Errorf("weights row %d has %d values, row 0 has %d", c, len(row), d)
		}
		m.w = append(m.w, row...)
	}
	for i, v := range append(append([]float64(nil), m.w...), m.b...) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("parameter %d is %v", i, v)
		}
	}
	switch len(f.ClipValues) {
	case 0:
	case 2:
		if !(f.ClipValues[0] < f.ClipValues[1]) {
			return nil, fmt.Errorf("clip_values %v: min must be below max", f.ClipValues)
		}
		m.clip = f.ClipValues
	default:
		return nil, fmt.Errorf("clip_values has %d values, want 2", len(f.ClipValues))
	}
	return m, nil
}

func (m *softmaxModel) save(path string) error {
	f := modelFile{Format: modelFormat, Version: modelVersion, Bias: m.b, ClipValues: m.clip}
	for c := 0; c < m.k; c++ {
		f.Weights = append(f.Weights, m.w[c*m.d:(c+1)*m.d])
	}
	data, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// logits writes W x + b for one sample into dst (length k).
func (m *softmaxModel) logits(dst []float64, x []float64) {
	for c := 0; c < m.k; c++ {
		s := m.b[c]
		row := m.w[c*m.d : (c+1)*m.d]
		for j, v := range row {
			s += v * x[j]
		}
		dst[c] = s
	}
}

// softmax turns logits into probabilities in place, shifted by the maximum
// so exp never overflows.
func softmax(z []float64) {
	mx := z[0]
	for _, v := range z[1:] {
		mx = math.Max(mx, v)
	}
	sum := 0.0
	for i, v := range z {
		z[i] = math.Exp(v - mx)
		sum += z[i]
	}
	for i := range z {
		z[i] /= sum
	}
}

// lossGradient writes d/dx of -sum_j q_j log p_j, which is W^T (p - q), for
// one sample with probabilities p and label distribution q.
func (m *softmaxModel) lossGradient(dst, p, q []float64) {
	clear(dst)
	for c := 0; c < m.k; c++ {
		g := p[c] - q[c]
		row := m.w[c*m.d : (c+1)*m.d]
		for j, v := range row {
			dst[j] += g * v
		}
	}
}

// classGradient writes d p_c / dx = p_c (W_c - sum_j p_j W_j) for one sample.
func (m *softmaxModel) classGradient(dst, p []float64, c int) {
	clear(dst)
	for j := 0; j < m.k; j++ {
		row := m.w[j*m.d : (j+1)*m.d]
		coef := -p[c] * p[j]
		if j == c {
			coef += p[c]
		}
		for i, v := range row {
			dst[i] += coef * v
		}
	}
}
