// Package sdktest is the arthost conformance kit: the contract checks a
// plugin must pass, runnable against any plugin executable (whatever its
// language) or against a Go sdk.Estimator in process.
//
// In a plugin's tests, one line runs them all:
//
//	func TestConformance(t *testing.T) {
//		sdktest.RunPlugin(t, "../../bin/arthost-plugin-mine", sdktest.Config{ModelPath: "testdata/model.json"})
//	}
//
// The same checks back the `arthost plugins test` command, which prints
// them as a checklist.
package sdktest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/arthost/arthost/shared/estimatorv1"
)

// Config says what to load and how far to go.
type Config struct {
	ModelPath string
	Options   map[string]string
	// SymbolicSize replaces symbolic (-1) input dimensions; default 4.
	SymbolicSize int
	// Fit also runs a one-epoch Fit (which changes the loaded model).
	Fit bool
	// FitBeforeChecks trains on random data first, for estimators that
	// start unfitted (nb_classes 0 until Fit).
	FitBeforeChecks bool
	// GradientTolerance, when positive, compares class gradients with
	// central finite differences of Predict (float64) at that relative
	// tolerance.
	GradientTolerance float64
	// Seed makes the random inputs repeatable; default 1.
	Seed uint64
	// Timeout bounds each call; default 60s.
	Timeout time.Duration
}

// Result is one check's outcome.
type Result struct {
	Name    string
	Passed  bool
	Skipped bool
	Detail  string
}

func (r Result) String() string {
	mark := "PASS"
	switch {
	case r.Skipped:
		mark = "SKIP"
	case !r.Passed:
		mark = "FAIL"
	}
	if r.Detail == "" {
		return fmt.Sprintf("[%s] %s", mark, r.Name)
	}
	return fmt.Sprintf("[%s] %s: %s", mark, r.Name, r.Detail)
}

// Check runs every contract check against a connected plugin and returns
// the results in order. It loads the model first; a failed load stops
// the run.
func Check(ctx context.Context, c estimatorv1.EstimatorClient, cfg Config) []Result {
	if cfg.SymbolicSize <= 0 {
		cfg.SymbolicSize = 4
	}
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	k := &checker{ctx: ctx, c: c, cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 7))}
	k.run()
	return k.results
}

// Passed reports whether no result failed.
func Passed(results []Result) bool {
	for _, r := range results {
		if !r.Passed && !r.Skipped {
			return false
		}
	}
	return true
}

// RunPlugin launches the plugin executable at path and runs the checks
// as subtests of t, then verifies the process is gone after Kill.
func RunPlugin(t *testing.T, path string, cfg Config) {
	t.Helper()
	p, err := Launch(path, false)
	if err != nil {
		t.Fatalf("launch %s: %v", path, err)
	}
	defer p.Kill()
	report(t, Check(context.Background(), p.Client, cfg))
}

func report(t *testing.T, results []Result) {
	t.Helper()
	for _, r := range results {
		t.Run(r.Name, func(t *testing.T) {
			switch {
			case r.Skipped:
				t.Skip(r.Detail)
			case !r.Passed:
				t.Error(r.Detail)
			}
		})
	}
}
