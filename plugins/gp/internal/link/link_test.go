package link

import (
	"math"
	"testing"
)

// TestTails: the asymptotic branches meet the direct formulas at z = -30
// and behave far below it.
func TestTails(t *testing.T) {
	z := -30.000001 // Phi is still accurate here, so compare both branches
	direct := Npdf(z) / Phi(z)
	if got := NormRatio(-30.000001); math.Abs(got-direct)/direct > 1e-7 {
		t.Errorf("ratio at the switch: %v vs %v", got, direct)
	}
	if got, want := LogPhi(-30.000001), math.Log(Phi(z)); math.Abs(got-want)/math.Abs(want) > 1e-7 {
		t.Errorf("log Phi at the switch: %v vs %v", got, want)
	}
	for _, z := range []float64{-1e3, -1e8} {
		if r, l := NormRatio(z), LogPhi(z); math.IsNaN(r) || math.IsInf(r, 0) || math.IsNaN(l) || math.IsInf(l, 0) {
			t.Errorf("z=%v: ratio %v, log Phi %v", z, r, l)
		}
	}
}

// TestLogisticLimits: scikit-learn's erf mixture is the sigmoid at zero
// variance (to its fit accuracy) and 1/2 at mean 0.
func TestLogisticLimits(t *testing.T) {
	for _, m := range []float64{-3, -0.5, 0, 0.7, 2} {
		p, _, _ := Logistic(m, 0)
		if want := 1 / (1 + math.Exp(-m)); math.Abs(p-want) > 2e-3 {
			t.Errorf("m=%v: %v, sigmoid %v", m, p, want)
		}
	}
	if p, _, _ := Logistic(0, 5); math.Abs(p-0.5) > 1e-8 { // sum(COEFS)/2 = 0.499999995
		t.Errorf("mean 0: %v", p)
	}
}
