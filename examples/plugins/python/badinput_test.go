package python

import (
	"context"
	"encoding/binary"
	"math"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/arthost/arthost/sdk/sdktest"
	"github.com/arthost/arthost/shared/direct"
	"github.com/arthost/arthost/shared/estimatorv1"
)

func f64bytes(v ...float64) []byte {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(x))
	}
	return b
}

// TestBadRequests sends malformed requests straight over the wire (no
// host-side checks in between), over gRPC and over the plugin's direct
// channel: each must be refused with InvalidArgument, never crash the
// plugin or answer Internal.
func TestBadRequests(t *testing.T) {
	need(t)
	t.Run("grpc", func(t *testing.T) { badRequests(t, false) })
	t.Run("direct", func(t *testing.T) { badRequests(t, true) })
}

func badRequests(t *testing.T, viaDirect bool) {
	p, err := sdktest.LaunchWith(launcher, sdktest.LaunchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Kill()
	c := p.Client
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if viaDirect {
		dc, ok := c.(*direct.Client)
		if !ok {
			t.Fatalf("client %T has no direct channel", c)
		}
		if err := dc.Open(ctx); err != nil || !dc.Direct() {
			t.Fatalf("open the Python plugin's direct channel: %v", err)
		}
		defer dc.Close()
	}
	if _, err := c.Predict(ctx, &estimatorv1.PredictRequest{}); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("predict before load: %v, want FailedPrecondition", err)
	}
	if _, err := c.Load(ctx, &estimatorv1.LoadRequest{ModelPath: smallModel}); err != nil {
		t.Fatal(err)
	}
	f64 := estimatorv1.DType_DTYPE_FLOAT64
	x := &estimatorv1.Tensor{Dtype: f64, Shape: []int64{1, 4}, Data: f64bytes(.1, .2, .3, .4)}
	lab := func(shape []int64, v ...float64) *estimatorv1.Tensor {
		return &estimatorv1.Tensor{Dtype: f64, Shape: shape, Data: f64bytes(v...)}
	}
	for _, c2 := range []struct {
		name string
		call func() error
	}{
		{"missing x", func() error { _, err := c.Predict(ctx, &estimatorv1.PredictRequest{}); return err }},
		{"unknown dtype", func() error {
			_, err := c.Predict(ctx, &estimatorv1.PredictRequest{X: &estimatorv1.Tensor{Dtype: 9, Shape: []int64{1, 4}}})
			return err
		}},
		{"overflowing shape", func() error {
			_, err := c.Predict(ctx, &estimatorv1.PredictRequest{X: &estimatorv1.Tensor{Dtype: f64, Shape: []int64{1 << 40, 1 << 40, 1 << 40}, Data: f64bytes(1)}})
			return err
		}},
		{"negative dimension", func() error {
			_, err := c.Predict(ctx, &estimatorv1.PredictRequest{X: &estimatorv1.Tensor{Dtype: f64, Shape: []int64{-1, 4}}})
			return err
		}},
		{"scalar input", func() error {
			_, err := c.Predict(ctx, &estimatorv1.PredictRequest{X: &estimatorv1.Tensor{Dtype: f64, Data: f64bytes(1)}})
			return err
		}},
		{"infinite input", func() error {
			_, err := c.Predict(ctx, &estimatorv1.PredictRequest{X: &estimatorv1.Tensor{Dtype: f64, Shape: []int64{1, 4}, Data: f64bytes(1, math.Inf(1), 0, 0)}})
			return err
		}},
		{"missing labels", func() error { _, err := c.Loss(ctx, &estimatorv1.LossRequest{X: x}); return err }},
		{"fractional label", func() error {
			_, err := c.Loss(ctx, &estimatorv1.LossRequest{X: x, Labels: lab([]int64{1}, 0.5)})
			return err
		}},
		{"negative label", func() error {
			_, err := c.LossGradient(ctx, &estimatorv1.LossGradientRequest{X: x, Labels: lab([]int64{1}, -1)})
			return err
		}},
		{"NaN soft label", func() error {
			_, err := c.LossGradient(ctx, &estimatorv1.LossGradientRequest{X: x, Labels: lab([]int64{1, 3}, math.NaN(), .5, .5)})
			return err
		}},
		{"soft labels not summing to one", func() error {
			_, err := c.Loss(ctx, &estimatorv1.LossRequest{X: x, Labels: lab([]int64{1, 3}, .5, .5, .5)})
			return err
		}},
		{"labels for another batch", func() error {
			_, err := c.Loss(ctx, &estimatorv1.LossRequest{X: x, Labels: lab([]int64{2}, 0, 1)})
			return err
		}},
		{"labels of the wrong width", func() error {
			_, err := c.Loss(ctx, &estimatorv1.LossRequest{X: x, Labels: lab([]int64{1, 2}, 0, 1)})
			return err
		}},
		{"unknown reduction", func() error {
			_, err := c.Loss(ctx, &estimatorv1.LossRequest{X: x, Labels: lab([]int64{1}, 0), Reduction: 7})
			return err
		}},
		{"two classes for one row", func() error {
			_, err := c.ClassGradient(ctx, &estimatorv1.ClassGradientRequest{X: lab([]int64{3, 4}, make([]float64, 12)...), Classes: []int64{0, 1}})
			return err
		}},
		{"negative class", func() error {
			_, err := c.ClassGradient(ctx, &estimatorv1.ClassGradientRequest{X: x, Classes: []int64{-1}})
			return err
		}},
		{"unknown option", func() error {
			_, err := c.Load(ctx, &estimatorv1.LoadRequest{ModelPath: smallModel, Options: map[string]string{"lr": "1"}})
			return err
		}},
		{"missing model", func() error { _, err := c.Load(ctx, &estimatorv1.LoadRequest{}); return err }},
		{"model bytes not JSON", func() error { _, err := c.Load(ctx, &estimatorv1.LoadRequest{ModelBytes: []byte{0xff, 0}}); return err }},
		{"model with NaN weight", func() error {
			_, err := c.Load(ctx, &estimatorv1.LoadRequest{ModelBytes: []byte(`{"format":"arthost-linear","version":1,"weights":[[1],[NaN]],"bias":[0,0]}`)})
			return err
		}},
		{"model with ragged weights", func() error {
			_, err := c.Load(ctx, &estimatorv1.LoadRequest{ModelBytes: []byte(`{"format":"arthost-linear","version":1,"weights":[[1,2],[3]],"bias":[0,0]}`)})
			return err
		}},
	} {
		t.Run(c2.name, func(t *testing.T) {
			if err := c2.call(); status.Code(err) != codes.InvalidArgument {
				t.Errorf("got %v, want InvalidArgument", err)
			}
		})
	}
	// The refused loads left the first model in place.
	resp, err := c.Describe(ctx, &estimatorv1.DescribeRequest{})
	if err != nil || resp.Description.NbClasses != 3 {
		t.Fatalf("after bad loads: %v %v", resp, err)
	}
}
