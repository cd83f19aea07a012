package remote_test

import (
	"context"
	"testing"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/host/internal/hosttest"
	"github.com/arthost/arthost/host/remote"
	"github.com/arthost/arthost/shared/tensor"
)

// TestDirectChannelMatchesGRPC checks that a Go plugin's hot calls move to
// the direct channel and answer exactly as over gRPC, small and large
// (shared-memory) tensors and a plugin error alike.
func TestDirectChannelMatchesGRPC(t *testing.T) {
	fast := hosttest.StartLinear(t, pluginDir, remote.Config{})
	slow := hosttest.StartLinear(t, pluginDir, remote.Config{DisableDirect: true})
	if !fast.Direct() || slow.Direct() {
		t.Fatalf("Direct() = %v and %v, want true (default) and false (DisableDirect)", fast.Direct(), slow.Direct())
	}
	ctx := context.Background()
	for _, n := range []int{1, 5000} { // 5000 x 4 float32 goes through shared memory
		x := batch(n)
		y := tensor.New(tensor.Int64, n)
		for i := range y.I64 {
			y.I64[i] = int64(i % 3)
		}
		calls := map[string]func(e *remote.Estimator) (tensor.Tensor, error){
			"predict":        func(e *remote.Estimator) (tensor.Tensor, error) { return e.Predict(ctx, x, false) },
			"logits":         func(e *remote.Estimator) (tensor.Tensor, error) { return e.Predict(ctx, x, true) },
			"loss":           func(e *remote.Estimator) (tensor.Tensor, error) { return e.Loss(ctx, x, y, host.ReduceNone) },
			"loss_gradient":  func(e *remote.Estimator) (tensor.Tensor, error) { return e.LossGradient(ctx, x, y) },
			"class_gradient": func(e *remote.Estimator) (tensor.Tensor, error) { return e.ClassGradient(ctx, x, nil) },
		}
		for name, call := range calls {
			a, errA := call(fast)
			b, errB := call(slow)
			if errA != nil || errB != nil {
				t.Fatalf("%s batch %d: errors %v (direct) and %v (gRPC)", name, n, errA, errB)
			}
			if a.Len() != b.Len() || a.Len() == 0 {
				t.Fatalf("%s batch %d: %d and %d values", name, n, a.Len(), b.Len())
			}
			for i := range a.Len() {
				if a.At(i) != b.At(i) {
					t.Fatalf("%s batch %d: value %d is %v direct, %v over gRPC", name, n, i, a.At(i), b.At(i))
				}
			}
		}
	}
	// A plugin's refusal keeps its code and message, and the channel
	// answers the next call.
	_, errA := fast.ClassGradient(ctx, batch(2), []int{0, 99})
	_, errB := slow.ClassGradient(ctx, batch(2), []int{0, 99})
	if errA == nil || errA.Error() != errB.Error() || host.Code(errA) != host.Code(errB) {
		t.Fatalf("refusal %q (%v) direct, %q (%v) over gRPC", errA, host.Code(errA), errB, host.Code(errB))
	}
	if _, err := fast.Predict(ctx, batch(1), false); err != nil {
		t.Fatalf("after a refusal: %v", err)
	}
}
