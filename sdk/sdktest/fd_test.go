package sdktest

import (
	"context"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/arthost/arthost/sdk"
	"github.com/arthost/arthost/shared/tensor"
)

// hinge is a two-input, two-class estimator p1 = sigmoid(s(x)) with
// s = 2 x0 - x1 + kink * relu(x0 - k0), where k0 is the first input of
// the latest class-gradient batch: with kink > 0 the checked sample sits
// exactly on a kink, where central differences cannot measure the
// derivative. Its class gradient is exact (relu'(0) = 0, as PyTorch has
// it) times gradScale.
type hinge struct {
	kink, gradScale float64
	mu              sync.Mutex
	k0              float64
}

func (h *hinge) Load(context.Context, sdk.LoadRequest) (sdk.Description, error) {
	return h.Describe(context.Background())
}

func (h *hinge) Describe(context.Context) (sdk.Description, error) {
	return sdk.Description{Name: "hinge", InputShape: []int{2}, NbClasses: 2, Output: sdk.OutputProbabilities}, nil
}

func (h *hinge) score(x0, x1 float64) (s, ds0 float64) {
	h.mu.Lock()
	k0 := h.k0
	h.mu.Unlock()
	s, ds0 = 2*x0-x1, 2
	if x0 > k0 {
		s += h.kink * (x0 - k0)
		ds0 += h.kink
	}
	return s, ds0
}

func (h *hinge) Predict(_ context.Context, x tensor.Tensor, _ bool) (tensor.Tensor, error) {
	x = x.As(tensor.Float64)
	out := tensor.New(tensor.Float64, x.Rows(), 2)
	for i := range x.Rows() {
		s, _ := h.score(x.F64[2*i], x.F64[2*i+1])
		p := 1 / (1 + math.Exp(-s))
		out.F64[2*i], out.F64[2*i+1] = 1-p, p
	}
	return out, nil
}

func (h *hinge) ClassGradient(_ context.Context, x tensor.Tensor, classes []int) (tensor.Tensor, error) {
	x = x.As(tensor.Float64)
	h.mu.Lock()
	h.k0 = x.F64[0]
	h.mu.Unlock()
	n := x.Rows()
	nc := 2
	if classes != nil {
		nc = 1
	}
	g := tensor.New(tensor.Float64, n, nc, 2)
	for i := range n {
		s, ds0 := h.score(x.F64[2*i], x.F64[2*i+1])
		p := 1 / (1 + math.Exp(-s))
		dp := []float64{ds0 * p * (1 - p) * h.gradScale, -p * (1 - p) * h.gradScale} // d p1 / d x
		for c := range nc {
			class := c
			if classes != nil {
				class = classes[i]
			}
			sign := 1.0
			if class == 0 {
				sign = -1
			}
			for j := range 2 {
				g.F64[(i*nc+c)*2+j] = sign * dp[j]
			}
		}
	}
	return g, nil
}

func fdResult(t *testing.T, est sdk.Estimator) Result {
	t.Helper()
	c, stop := Serve(est)
	defer stop()
	for _, r := range Check(context.Background(), c, Config{GradientTolerance: 1e-4}) {
		if r.Name == "class_gradient vs finite differences" {
			return r
		}
	}
	t.Fatal("no finite-difference check ran")
	return Result{}
}

func TestFiniteDifferencesPassExactGradient(t *testing.T) {
	if r := fdResult(t, &hinge{gradScale: 1}); !r.Passed {
		t.Errorf("exact gradient failed: %s", r.Detail)
	}
}

func TestFiniteDifferencesCatchWrongGradient(t *testing.T) {
	r := fdResult(t, &hinge{gradScale: 1.01})
	if r.Passed || !strings.Contains(r.Detail, "above") {
		t.Errorf("a gradient 1%% off passed: %+v", r)
	}
}

// A kink within the step is skipped, not reported as a wrong gradient:
// central differences there give the mean of both slopes.
func TestFiniteDifferencesSkipKinks(t *testing.T) {
	r := fdResult(t, &hinge{kink: 5, gradScale: 1})
	if !r.Passed || !strings.Contains(r.Detail, "1 skipped at kinks") {
		t.Errorf("kink at the sample: %+v", r)
	}
}
