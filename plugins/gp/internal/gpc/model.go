package gpc

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/arthost/arthost/plugins/gp/internal/kernel"
)

// Config says how to fit. Kernel holds the fixed hyperparameters, or the
// first starting point when Optimize is set.
type Config struct {
	Kernel    kernel.Kernel
	Inference Inference
	Optimize  bool
	Restarts  int    // extra optimisation runs from random starting points
	Seed      uint64 // seeds the restart starting points
}

// Model is a fitted classifier: one Binary for two classes, one per class
// (one-vs-rest) for more.
type Model struct {
	Inference Inference
	X         *mat.Dense
	Labels    []int
	Classes   int
	Bins      []*Binary
	// LML is the log marginal likelihood (the mean over the one-vs-rest
	// classifiers for more than two classes, as scikit-learn reports).
	LML float64
}

// Features is the number of input features.
func (m *Model) Features() int { _, d := m.X.Dims(); return d }

// CheckTraining refuses training data that GP classification cannot use:
// fewer than two samples, non-finite values, duplicate rows, a class
// without samples, or lengthscales that do not match the features.
func CheckTraining(kern kernel.Kernel, x *mat.Dense, labels []int, classes int) error {
	n, d := x.Dims()
	if n < 2 || len(labels) != n {
		return fmt.Errorf("training set: %d samples and %d labels (need at least 2 of each, equal)", n, len(labels))
	}
	if err := kern.Validate(d); err != nil {
		return err
	}
	if classes < 2 {
		return fmt.Errorf("training labels: %d class, need at least 2", classes)
	}
	count := make([]int, classes)
	for i, c := range labels {
		if c < 0 || c >= classes {
			return fmt.Errorf("training labels: row %d is class %d, out of range [0,%d)", i, c, classes)
		}
		count[c]++
	}
	for c, k := range count {
		if k == 0 {
			return fmt.Errorf("training labels: class %d has no samples (single-class or missing-class labels cannot be fitted one-vs-rest)", c)
		}
	}
	seen := make(map[string]int, n)
	key := make([]byte, 8*d)
	for i := 0; i < n; i++ {
		row := x.RawRowView(i)
		for j, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("training inputs: row %d feature %d is %v", i, j, v)
			}
			b := math.Float64bits(v + 0) // +0 folds -0 into 0
			for k := 0; k < 8; k++ {
				key[8*j+k] = byte(b >> (8 * k))
			}
		}
		if first, ok := seen[string(key)]; ok {
			return fmt.Errorf("training inputs: rows %d and %d are duplicates (remove them, or add noise)", first, i)
		}
		seen[string(key)] = i
	}
	return nil
}

// Fit checks the training set and fits one binary classifier per
// one-vs-rest task. progress, when not nil, is called after each task.
func Fit(ctx context.Context, cfg Config, x *mat.Dense, labels []int, classes int, progress func(done, total int, lml float64)) (*Model, error) {
	if err := CheckTraining(cfg.Kernel, x, labels, classes); err != nil {
		return nil, err
	}
	tasks := classes
	if classes == 2 {
		tasks = 1
	}
	m := &Model{Inference: cfg.Inference, X: x, Labels: append([]int(nil), labels...), Classes: classes}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15))
	for t := 0; t < tasks; t++ {
		pos := t
		if classes == 2 {
			pos = 1
		}
		target := make([]float64, len(labels))
		for i, c := range labels {
			if c == pos {
				target[i] = 1
			}
		}
		var b *Binary
		var err error
		if cfg.Optimize && cfg.Kernel.NumTheta() > 0 {
			b, err = optimiseBinary(ctx, cfg.Inference, cfg.Kernel, x, target, cfg.Restarts, rng)
		} else {
			b, _, err = fitBinary(cfg.Inference, cfg.Kernel, x, target, false)
		}
		if err != nil {
			return nil, fmt.Errorf("fit class %d vs rest: %w", pos, err)
		}
		m.Bins = append(m.Bins, b)
		m.LML += b.LML / float64(tasks)
		if progress != nil {
			progress(t+1, tasks, b.LML)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Latent returns the latent predictive mean and variance, m x Classes
// each, row-major. For two classes the columns are (-f, f) and (v, v):
// the latent of "class 0" is the negated latent of class 1.
func (m *Model) Latent(xs *mat.Dense) (mean, variance []float64) {
	rows, _ := xs.Dims()
	k := m.Classes
	mean = make([]float64, rows*k)
	variance = make([]float64, rows*k)
	for t, b := range m.Bins {
		mu, v := b.post.MeanVar(xs)
		for i := range mu {
			if k == 2 {
				mean[i*2], mean[i*2+1] = -mu[i], mu[i]
				variance[i*2], variance[i*2+1] = v[i], v[i]
				continue
			}
			mean[i*k+t], variance[i*k+t] = mu[i], v[i]
		}
	}
	return mean, variance
}

// Proba returns class probabilities, rows x Classes, row-major: (1-p, p)
// for two classes, the one-vs-rest probabilities divided by their sum for
// more (scikit-learn's normalisation).
func (m *Model) Proba(xs *mat.Dense) []float64 {
	rows, _ := xs.Dims()
	mean, variance := m.Latent(xs)
	lk := linkFor(m.Inference)
	k := m.Classes
	out := make([]float64, rows*k)
	for i := 0; i < rows; i++ {
		if k == 2 {
			p, _, _ := lk(mean[i*2+1], variance[i*2+1])
			out[i*2], out[i*2+1] = 1-p, p
			continue
		}
		sum := 0.0
		for c := 0; c < k; c++ {
			p, _, _ := lk(mean[i*k+c], variance[i*k+c])
			out[i*k+c] = p
			sum += p
		}
		for c := 0; c < k; c++ {
			if !(sum > 0) { // every one-vs-rest probability underflowed
				out[i*k+c] = 1 / float64(k)
				continue
			}
			out[i*k+c] /= sum
		}
	}
	return out
}
