package main

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/arthost/arthost/plugins/sklearn/internal/model"
)

// gradTolerance is the bound on the relative error between an
// analytic gradient and central finite differences of the Go model.
const gradTolerance = 1e-5

// gradFloor is the smallest gradient norm the relative error is taken
// against: below it the check is absolute (1e-5 * 1e-4 = 1e-9), since
// finite differences of a saturated probability (p = 1 - 1e-12) carry
// rounding errors of about 1e-16/h.
const gradFloor = 1e-4

// fdStep is the finite-difference step, relative to max(1, |x_f|).
const fdStep = 1e-5

// outputOf evaluates what the class gradient differentiates: predict_proba,
// or the logits for models without probabilities.
func outputOf(m model.Model, x []float64) []float64 {
	out := make([]float64, m.NumClasses())
	if m.GradKind() == model.GradLogits {
		m.Logits(x, 1, out)
	} else {
		m.Proba(x, 1, out)
	}
	return out
}

// relErr is ||a - b||_inf / max(||b||_inf, floor) over one gradient.
func relErr(a, b []float64, floor float64) float64 {
	num, den := 0.0, floor
	for i := range a {
		num = math.Max(num, math.Abs(a[i]-b[i]))
		den = math.Max(den, math.Abs(b[i]))
	}
	return num / den
}

// testPoints are held-out rows moved by a small random amount, so no
// coordinate sits exactly on a kink (a MinMaxScaler clip bound, a ReLU).
func testPoints(f fixture, rows int, rng *rand.Rand) [][]float64 {
	var out [][]float64
	for _, r := range f.want.X[:min(rows, len(f.want.X))] {
		p := make([]float64, len(r))
		for i, v := range r {
			p[i] = v + 1e-3*(math.Abs(v)+1)*(2*rng.Float64()-1)
		}
		out = append(out, p)
	}
	return out
}

func TestGradientsMatchFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tested := 0
	worstClass, worstLoss := 0.0, 0.0
	for _, f := range loadFixtures(t, "testdata") {
		m := f.export.Model
		if m.GradKind() == model.GradNone {
			continue
		}
		tested++
		t.Run(f.name, func(t *testing.T) {
			d, k := m.NumFeatures(), m.NumClasses()
			var s model.Scratch
			for r, x := range testPoints(f, 3, rng) {
				jac := make([]float64, k*d)
				model.ClassJacobian(m, x, &s, jac)
				fd := make([]float64, k*d)
				y := make([]float64, k)
				y[f.want.Predict[r]] = 0.7
				y[(f.want.Predict[r]+1)%k] = 0.3
				grad := make([]float64, d)
				model.LossGrad(m, x, y, &s, grad)
				lossFD := make([]float64, d)
				for j := 0; j < d; j++ {
					// Fourth-order central differences:
					// f' = (8(f(x+h) - f(x-h)) - (f(x+2h) - f(x-2h))) / 12h.
					h := fdStep * math.Max(1, math.Abs(x[j]))
					at := func(step float64) ([]float64, float64) {
						xs := append([]float64(nil), x...)
						xs[j] += step
						return outputOf(m, xs), model.LossGrad(m, xs, y, &s, nil)
					}
					o1, l1 := at(h)
					o2, l2 := at(-h)
					o3, l3 := at(2 * h)
					o4, l4 := at(-2 * h)
					for c := 0; c < k; c++ {
						fd[c*d+j] = (8*(o1[c]-o2[c]) - (o3[c] - o4[c])) / (12 * h)
					}
					lossFD[j] = (8*(l1-l2) - (l3 - l4)) / (12 * h)
				}
				worstClass = math.Max(worstClass, relErr(jac, fd, gradFloor))
				worstLoss = math.Max(worstLoss, relErr(grad, lossFD, gradFloor))
				if e := relErr(jac, fd, gradFloor); e > gradTolerance {
					t.Errorf("row %d: class gradient relative error %.3g, want <= %g", r, e, gradTolerance)
				}
				if e := relErr(grad, lossFD, gradFloor); e > gradTolerance {
					t.Errorf("row %d: loss gradient relative error %.3g, want <= %g", r, e, gradTolerance)
				}
			}
		})
	}
	if tested < 40 {
		t.Errorf("only %d fixtures with gradients", tested)
	}
	t.Logf("%d models: worst relative error %.3g (class gradients), %.3g (loss gradients)", tested, worstClass, worstLoss)
}

// TestLossMatchesProba checks that the loss is the cross-entropy of the
// model's own predict_proba (or of softmax of its logits).
func TestLossMatchesProba(t *testing.T) {
	for _, f := range loadFixtures(t, "testdata") {
		m := f.export.Model
		if m.GradKind() == model.GradNone {
			continue
		}
		x, n := f.want.flatX()
		d, k := m.NumFeatures(), m.NumClasses()
		var s model.Scratch
		for i := 0; i < n; i++ {
			row := x[i*d : (i+1)*d]
			p := outputOf(m, row)
			if m.GradKind() == model.GradLogits {
				lse := 0.0
				mx := math.Inf(-1)
				for _, v := range p {
					mx = math.Max(mx, v)
				}
				for _, v := range p {
					lse += math.Exp(v - mx)
				}
				for c := range p {
					p[c] = math.Exp(p[c]-mx) / lse
				}
			}
			c := f.want.Predict[i]
			y := make([]float64, k)
			y[c] = 1
			got := model.LossGrad(m, row, y, &s, nil)
			if p[c] < 1e-300 {
				continue
			}
			want := -math.Log(p[c])
			if math.Abs(got-want) > 1e-9*math.Max(1, want) {
				t.Errorf("%s row %d: loss %v, -log p %v", f.name, i, got, want)
			}
		}
	}
}
