package model

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSVCPairProduct checks the pair decisions taken from one matrix
// product against the per-pair loop, on ordinary rows (within rounding)
// and, for poly kernels, on rows whose kernel values overflow (identical:
// such rows are redone by the loop, so infinities do not turn into NaN
// through zero coefficients).
func TestSVCPairProduct(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"digits__svc_poly", "digits__svc_linear", "iris__svc_rbf_ovo", "breast_cancer__svc_poly"} {
		overflow := strings.HasSuffix(name, "_poly")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "models", name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			exp, err := Load(data)
			if err != nil {
				t.Fatal(err)
			}
			m := Final(exp.Model).(*SVC)
			if m.pairW == nil {
				t.Fatal("no pair product")
			}
			loop := *m
			loop.pairW = nil
			n, d, w := 21, m.NumFeatures(), m.DecisionWidth()
			x := make([]float64, n*d)
			for i := range x {
				x[i] = math.Sin(float64(i)) * 3
			}
			if overflow {
				for f := 0; f < d; f++ {
					x[5*d+f] = 1e200 // (gamma x . sv + coef0)^3 overflows
					x[6*d+f] = -1e200
				}
				x[7*d] = math.Inf(1)
			}
			got, want := make([]float64, n*w), make([]float64, n*w)
			m.Decision(x, n, got)
			loop.Decision(x, n, want)
			for i := range want {
				row := i / w
				if overflow && row >= 5 && row <= 7 {
					if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
						t.Fatalf("row %d: product %v, loop %v", row, got[i], want[i])
					}
					continue
				}
				if math.Abs(got[i]-want[i]) > 1e-12*math.Max(1, math.Abs(want[i])) {
					t.Fatalf("row %d: product %v, loop %v", row, got[i], want[i])
				}
			}
		})
	}
}
