package sdktest

import (
	"context"
	"strings"
	"testing"

	"github.com/arthost/arthost/sdk"
	"github.com/arthost/arthost/shared/tensor"
)

// liar breaks the contract in ways the kit must catch: its probabilities
// do not sum to one and its loss gradient is scaled by 1/batch (ART's
// PyTorch mistake).
type liar struct{}

func (liar) Load(context.Context, sdk.LoadRequest) (sdk.Description, error) {
	return liar{}.Describe(context.Background())
}

func (liar) Describe(context.Context) (sdk.Description, error) {
	return sdk.Description{Name: "liar", InputShape: []int{2}, NbClasses: 2, Output: sdk.OutputProbabilities}, nil
}

func (liar) Predict(_ context.Context, x tensor.Tensor, _ bool) (tensor.Tensor, error) {
	out := tensor.New(tensor.Float64, x.Rows(), 2)
	for i := range out.F64 {
		out.F64[i] = 0.9
	}
	return out, nil
}

func (liar) LossGradient(_ context.Context, x tensor.Tensor, _ tensor.Labels) (tensor.Tensor, error) {
	g := tensor.New(tensor.Float64, x.Shape...)
	for i := range g.F64 {
		g.F64[i] = 1 / float64(x.Rows())
	}
	return g, nil
}

func TestCheckCatchesBrokenEstimator(t *testing.T) {
	c, stop := Serve(liar{})
	defer stop()
	results := Check(context.Background(), c, Config{})
	if Passed(results) {
		t.Fatal("a broken estimator passed")
	}
	failed := map[string]string{}
	for _, r := range results {
		if !r.Passed && !r.Skipped {
			failed[r.Name] = r.Detail
		}
	}
	for _, want := range []string{"predict float32 batch 3", "loss_gradient independent of batch"} {
		if _, ok := failed[want]; !ok {
			t.Errorf("check %q did not fail; failures: %v", want, failed)
		}
	}
	if d := failed["predict float32 batch 3"]; !strings.Contains(d, "sums to") {
		t.Errorf("predict failure does not say why: %q", d)
	}
	// What the estimator does not implement must be reported Unimplemented.
	for _, r := range results {
		if r.Name == "class_gradient not claimed" && !r.Passed {
			t.Errorf("class_gradient: %s", r.Detail)
		}
	}
}
