package gpc

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/arthost/arthost/plugins/gp/internal/kernel"
)

// fixture is one case of testdata/fixtures.json (make_fixtures.py).
type fixture struct {
	Name      string `json:"name"`
	Inference string `json:"inference"`
	Kernel    struct {
		Family      string    `json:"family"`
		Variance    float64   `json:"variance"`
		Lengthscale []float64 `json:"lengthscale"`
		Constant    float64   `json:"constant"`
		White       float64   `json:"white"`
	} `json:"kernel"`
	Optimize    bool        `json:"optimize"`
	XTrain      [][]float64 `json:"x_train"`
	YTrain      []int       `json:"y_train"`
	XTest       [][]float64 `json:"x_test"`
	Proba       [][]float64 `json:"proba"`
	LML         float64     `json:"lml"`
	LMLPerClass []float64   `json:"lml_per_class"`
	Theta       [][]float64 `json:"theta"`
	LMLGrad     []float64   `json:"lml_grad"`
}

func loadFixtures(t testing.TB) []fixture {
	t.Helper()
	raw, err := os.ReadFile("../../testdata/fixtures.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Cases []fixture }
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	return f.Cases
}

func dense(rows [][]float64) *mat.Dense {
	m := mat.NewDense(len(rows), len(rows[0]), nil)
	for i, r := range rows {
		m.SetRow(i, r)
	}
	return m
}

func (f fixture) config(t testing.TB) Config {
	fam, err := kernel.ParseFamily(f.Kernel.Family)
	if err != nil {
		t.Fatal(err)
	}
	return Config{
		Kernel:    kernel.Kernel{Family: fam, Variance: f.Kernel.Variance, Lengthscale: f.Kernel.Lengthscale, Constant: f.Kernel.Constant, White: f.Kernel.White},
		Inference: Inference(f.Inference),
		Optimize:  f.Optimize,
	}
}

func classesOf(y []int) int {
	k := 0
	for _, c := range y {
		k = max(k, c+1)
	}
	return k
}

func (f fixture) fit(t testing.TB) *Model {
	t.Helper()
	m, err := Fit(context.Background(), f.config(t), dense(f.XTrain), f.YTrain, classesOf(f.YTrain), nil)
	if err != nil {
		t.Fatalf("%s: fit: %v", f.Name, err)
	}
	return m
}

// TestFixturesFixed: at fixed hyperparameters predict_proba and the log
// marginal likelihood agree with scikit-learn (Laplace) and with the numpy
// EP reference within 1e-6.
func TestFixturesFixed(t *testing.T) {
	for _, f := range loadFixtures(t) {
		if f.Optimize {
			continue
		}
		t.Run(f.Name, func(t *testing.T) {
			m := f.fit(t)
			got := m.Proba(dense(f.XTest))
			k := m.Classes
			for i, row := range f.Proba {
				for c, want := range row {
					if d := math.Abs(got[i*k+c] - want); d > 1e-6 {
						t.Errorf("proba[%d][%d] = %.12g, want %.12g (diff %.3g)", i, c, got[i*k+c], want, d)
					}
				}
			}
			if d := math.Abs(m.LML - f.LML); d > 1e-6 {
				t.Errorf("lml = %.12g, want %.12g (diff %.3g)", m.LML, f.LML, d)
			}
			for c, b := range m.Bins {
				if d := math.Abs(b.LML - f.LMLPerClass[c]); d > 1e-6 {
					t.Errorf("class %d lml = %.12g, want %.12g", c, b.LML, f.LMLPerClass[c])
				}
			}
		})
	}
}

// TestFixturesLMLGradient: the Laplace LML gradient matches scikit-learn's
// (Algorithm 5.1) at the fixed hyperparameters.
func TestFixturesLMLGradient(t *testing.T) {
	for _, f := range loadFixtures(t) {
		if f.LMLGrad == nil {
			continue
		}
		t.Run(f.Name, func(t *testing.T) {
			cfg := f.config(t)
			target := make([]float64, len(f.YTrain))
			for i, c := range f.YTrain {
				target[i] = float64(c)
			}
			_, g, err := fitBinary(cfg.Inference, cfg.Kernel, dense(f.XTrain), target, true)
			if err != nil {
				t.Fatal(err)
			}
			for j := range g {
				if d := math.Abs(g[j] - f.LMLGrad[j]); d > 1e-6*math.Max(1, math.Abs(f.LMLGrad[j])) {
					t.Errorf("grad[%d] = %.12g, want %.12g", j, g[j], f.LMLGrad[j])
				}
			}
		})
	}
}

// TestFixturesOptimised: maximising the LML from scikit-learn's starting
// kernel reaches a log marginal likelihood at least as high as scikit-learn's
// L-BFGS-B (per one-vs-rest classifier, up to 1e-6).
func TestFixturesOptimised(t *testing.T) {
	for _, f := range loadFixtures(t) {
		if !f.Optimize {
			continue
		}
		t.Run(f.Name, func(t *testing.T) {
			m := f.fit(t)
			for c, b := range m.Bins {
				if b.LML < f.LMLPerClass[c]-1e-6 {
					t.Errorf("class %d: lml %.10g below scikit-learn's %.10g (theta %v, sklearn %v)", c, b.LML, f.LMLPerClass[c], b.Kernel.Theta(), f.Theta[c])
				}
			}
			if m.LML < f.LML-1e-6 {
				t.Errorf("lml %.10g below scikit-learn's %.10g", m.LML, f.LML)
			}
			t.Logf("lml %.10g, scikit-learn %.10g", m.LML, f.LML)
		})
	}
}
