package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
)

// builtinWeights and builtinBias are the model used when no file is given:
// logits = W x + b for 4 features and 3 classes.
var (
	builtinWeights = [][]float64{
		{1, -1, 0.5, 0},
		{-0.5, 1, -1, 0.25},
		{0, 0.5, 1, -1},
	}
	builtinBias = []float64{0.1, -0.2, 0.05}
)

// modelFile is the linear plugin's JSON format.
type modelFile struct {
	Format  string      `json:"format"`
	Version int         `json:"version"`
	Weights [][]float64 `json:"weights"`
	Bias    []float64   `json:"bias"`
}

// model is a softmax regression with W stored row by row.
type model struct {
	w [][]float64
	b []float64
}

func builtinModel() *model {
	m := &model{b: append([]float64(nil), builtinBias...)}
	for _, row := range builtinWeights {
		m.w = append(m.w, append([]float64(nil), row...))
	}
	return m
}

func readModel(path string) (*model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f modelFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("parse model %q: %w", path, err)
	}
	if f.Format != "arthost-linear" || f.Version != 1 {
		return nil, fmt.Errorf("model %q: format %q version %d, want arthost-linear version 1", path, f.Format, f.Version)
	}
	if len(f.Weights) < 2 || len(f.Bias) != len(f.Weights) || len(f.Weights[0]) == 0 {
		return nil, fmt.Errorf("model %q: %d weight rows and %d biases, want at least 2 equal", path, len(f.Weights), len(f.Bias))
	}
	for c, row := range f.Weights {
		if len(row) != len(f.Weights[0]) {
			return nil, fmt.Errorf("model %q: weights row %d has %d values, row 0 has %d", path, c, len(row), len(f.Weights[0]))
		}
		for _, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("model %q: weights row %d holds %v", path, c, v)
			}
		}
	}
	return &model{w: f.Weights, b: f.Bias}, nil
}

func (m *model) save(path string) error {
	data, err := json.Marshal(modelFile{Format: "arthost-linear", Version: 1, Weights: m.w, Bias: m.b})
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

func (m *model) classes() int  { return len(m.w) }
func (m *model) features() int { return len(m.w[0]) }

// probs writes softmax(W x + b) (or the logits) for one sample into p.
func (m *model) probs(p, x []float64, logits bool) {
	mx := math.Inf(-1)
	for c, row := range m.w {
		s := m.b[c]
		for j, v := range row {
			s += v * x[j]
		}
		p[c] = s
		mx = math.Max(mx, s)
	}
	if logits {
		return
	}
	sum := 0.0
	for c := range p {
		p[c] = math.Exp(p[c] - mx)
		sum += p[c]
	}
	for c := range p {
		p[c] /= sum
	}
}

// lossGradient writes W^T (p - q), the gradient of the cross-entropy of one
// sample with probabilities p and label distribution q, into g.
func (m *model) lossGradient(g, p, q []float64) {
	clear(g)
	for c, row := range m.w {
		for j, v := range row {
			g[j] += (p[c] - q[c]) * v
		}
	}
}
