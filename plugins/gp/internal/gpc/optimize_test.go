package gpc

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/arthost/arthost/plugins/gp/internal/kernel"
)

// TestRestartsSeeded: restarts never lower the LML of the first run, the
// same seed gives the same hyperparameters, and EP optimisation raises its
// own LML over the starting kernel.
func TestRestartsSeeded(t *testing.T) {
	var f fixture
	for _, c := range loadFixtures(t) {
		if c.Name == "moons_rbf_opt" {
			f = c
		}
	}
	x := dense(f.XTrain)
	start := kernel.Kernel{Family: kernel.Matern52, Variance: 1, Lengthscale: []float64{1}}
	fit := func(inf Inference, opt bool, restarts int, seed uint64) *Model {
		m, err := Fit(context.Background(), Config{Kernel: start, Inference: inf, Optimize: opt, Restarts: restarts, Seed: seed}, x, f.YTrain, 2, nil)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	one := fit(Laplace, true, 0, 1)
	a, b := fit(Laplace, true, 3, 7), fit(Laplace, true, 3, 7)
	if a.LML < one.LML-1e-9 {
		t.Errorf("3 restarts: lml %v below one run's %v", a.LML, one.LML)
	}
	if !slices.Equal(a.Bins[0].Kernel.Theta(), b.Bins[0].Kernel.Theta()) {
		t.Errorf("same seed, different hyperparameters: %v and %v", a.Bins[0].Kernel.Theta(), b.Bins[0].Kernel.Theta())
	}
	if fixed, opt := fit(EP, false, 0, 0), fit(EP, true, 0, 0); opt.LML <= fixed.LML {
		t.Errorf("ep optimisation: lml %v not above the start's %v", opt.LML, fixed.LML)
	}
}

func TestFitCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	fs := loadFixtures(t)
	_, err := Fit(ctx, Config{Kernel: kernel.Kernel{Family: kernel.RBF, Variance: 1, Lengthscale: []float64{1}}, Inference: Laplace, Optimize: true}, dense(fs[0].XTrain), fs[0].YTrain, 2, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled fit: %v", err)
	}
}
