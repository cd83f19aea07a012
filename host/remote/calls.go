package remote

import (
	"context"
	"errors"
	"io"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/shared/estimatorv1"
	"github.com/arthost/arthost/shared/tensor"
)

// wrap turns a gRPC error into a host error naming the estimator and method.
func (e *Estimator) wrap(method string, err error) error {
	st, _ := status.FromError(err)
	code, msg := st.Code(), st.Message()
	switch {
	case errors.Is(err, context.DeadlineExceeded) || code == codes.DeadlineExceeded:
		code, msg = codes.DeadlineExceeded, "no answer within the deadline: "+msg
	case code == codes.Unavailable || e.client.Exited():
		code, msg = codes.Unavailable, "plugin process is not answering (exited or crashed): "+msg
	}
	return host.Errorf(e.cfg.Name, method, code, "%s", msg)
}

// encode turns t into a wire tensor, through shared memory when it is
// large and the plugin reads shared memory.
func (e *Estimator) encode(t tensor.Tensor) (*estimatorv1.Tensor, error) {
	p, err := tensor.ToProto(t)
	if err != nil || !e.desc.Capabilities.SharedMemory {
		return p, err
	}
	return p, e.spool.Put(p)
}

// decode reads a plugin's answer, from shared memory if it came that way.
func (e *Estimator) decode(p *estimatorv1.Tensor) (tensor.Tensor, error) {
	if err := e.spool.Take(p); err != nil {
		return tensor.Tensor{}, err
	}
	return tensor.FromProto(p)
}

// chunkRows is how many rows of x go in one request.
func (e *Estimator) chunkRows(x tensor.Tensor) int {
	n := x.Rows()
	if e.cfg.BatchSize > 0 {
		return max(1, min(n, e.cfg.BatchSize))
	}
	row := max(1, tensor.NumElements(x.Shape[1:])*x.DType.Size())
	return max(1, min(n, DefaultMaxChunkBytes/row))
}

// chunked calls f on each chunk of rows of x (and the matching rows of y,
// when y is a batch) and joins the answers along the first dimension.
func (e *Estimator) chunked(ctx context.Context, method string, x, y tensor.Tensor, f func(ctx context.Context, px, py *estimatorv1.Tensor, lo, hi int) (*estimatorv1.Tensor, error)) (tensor.Tensor, error) {
	if err := x.Validate(); err != nil {
		return tensor.Tensor{}, host.Errorf(e.cfg.Name, method, codes.InvalidArgument, "input: %v", err)
	}
	if x.Rows() == 0 {
		return tensor.Tensor{}, host.Errorf(e.cfg.Name, method, codes.InvalidArgument, "input shape %v: empty batch", x.Shape)
	}
	step := e.chunkRows(x)
	var parts []tensor.Tensor
	for lo := 0; lo < x.Rows(); lo += step {
		hi := min(lo+step, x.Rows())
		px, err := e.encode(x.Slice(lo, hi))
		if err != nil {
			return tensor.Tensor{}, host.Errorf(e.cfg.Name, method, codes.InvalidArgument, "input: %v", err)
		}
		var py *estimatorv1.Tensor
		if y.DType != tensor.Invalid {
			if y.Rows() != x.Rows() {
				return tensor.Tensor{}, host.Errorf(e.cfg.Name, method, codes.InvalidArgument, "labels shape %v does not match %d samples", y.Shape, x.Rows())
			}
			if py, err = e.encode(y.Slice(lo, hi)); err != nil {
				return tensor.Tensor{}, host.Errorf(e.cfg.Name, method, codes.InvalidArgument, "labels: %v", err)
			}
		}
		cctx, cancel := e.deadline(ctx, e.cfg.CallTimeout)
		out, err := f(cctx, px, py, lo, hi)
		cancel()
		if err != nil {
			// The plugin may not have read its input: do not leave it in
			// the spool (a plugin still reading keeps its open file).
			e.spool.Discard(px)
			e.spool.Discard(py)
			return tensor.Tensor{}, e.wrap(method, err)
		}
		t, err := e.decode(out)
		if err != nil {
			return tensor.Tensor{}, host.Errorf(e.cfg.Name, method, codes.Internal, "plugin answered an invalid tensor: %v", err)
		}
		if t.Rows() != hi-lo {
			return tensor.Tensor{}, host.Errorf(e.cfg.Name, method, codes.Internal, "plugin answered %d rows for %d inputs", t.Rows(), hi-lo)
		}
		parts = append(parts, t)
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	out, err := tensor.Concat(parts)
	if err != nil {
		return out, host.Errorf(e.cfg.Name, method, codes.Internal, "%v", err)
	}
	return out, nil
}

// Predict returns the model's output for x.
func (e *Estimator) Predict(ctx context.Context, x tensor.Tensor, logits bool) (tensor.Tensor, error) {
	return e.chunked(ctx, "predict", x, tensor.Tensor{}, func(ctx context.Context, px, _ *estimatorv1.Tensor, _, _ int) (*estimatorv1.Tensor, error) {
		r, err := e.rpc.Predict(ctx, &estimatorv1.PredictRequest{X: px, Logits: logits})
		return r.GetY(), err
	})
}

// PredictUncertainty returns the plugin's per-sample uncertainty.
func (e *Estimator) PredictUncertainty(ctx context.Context, x tensor.Tensor) (tensor.Tensor, error) {
	if err := host.Require(e.desc, "predict_uncertainty"); err != nil {
		return tensor.Tensor{}, err
	}
	return e.chunked(ctx, "predict_uncertainty", x, tensor.Tensor{}, func(ctx context.Context, px, _ *estimatorv1.Tensor, _, _ int) (*estimatorv1.Tensor, error) {
		r, err := e.rpc.PredictUncertainty(ctx, &estimatorv1.PredictUncertaintyRequest{X: px})
		return r.GetVariance(), err
	})
}

// Loss returns per-sample losses, reduced on the host so chunking does not
// change a mean.
func (e *Estimator) Loss(ctx context.Context, x, y tensor.Tensor, r host.Reduction) (tensor.Tensor, error) {
	if err := host.Require(e.desc, "loss"); err != nil {
		return tensor.Tensor{}, err
	}
	v, err := e.chunked(ctx, "loss", x, y, func(ctx context.Context, px, py *estimatorv1.Tensor, _, _ int) (*estimatorv1.Tensor, error) {
		resp, err := e.rpc.Loss(ctx, &estimatorv1.LossRequest{X: px, Labels: py})
		return resp.GetLoss(), err
	})
	if err != nil {
		return v, err
	}
	return Reduce(v, r), nil
}

// Reduce applies r to per-sample values v (shape (n,)).
func Reduce(v tensor.Tensor, r host.Reduction) tensor.Tensor {
	if r == host.ReduceNone {
		return v
	}
	sum := 0.0
	for i := 0; i < v.Len(); i++ {
		sum += v.At(i)
	}
	if r == host.ReduceMean && v.Len() > 0 {
		sum /= float64(v.Len())
	}
	return tensor.FromFloat64([]float64{sum}).As(v.DType)
}

// LossGradient returns the gradient of each sample's loss.
func (e *Estimator) LossGradient(ctx context.Context, x, y tensor.Tensor) (tensor.Tensor, error) {
	if err := host.Require(e.desc, "loss_gradient"); err != nil {
		return tensor.Tensor{}, err
	}
	return e.chunked(ctx, "loss_gradient", x, y, func(ctx context.Context, px, py *estimatorv1.Tensor, _, _ int) (*estimatorv1.Tensor, error) {
		r, err := e.rpc.LossGradient(ctx, &estimatorv1.LossGradientRequest{X: px, Labels: py})
		return r.GetGradient(), err
	})
}

// ClassGradient returns gradients of the outputs with respect to x.
func (e *Estimator) ClassGradient(ctx context.Context, x tensor.Tensor, classes []int) (tensor.Tensor, error) {
	if err := host.Require(e.desc, "class_gradient"); err != nil {
		return tensor.Tensor{}, err
	}
	if len(classes) > 1 && len(classes) != x.Rows() {
		return tensor.Tensor{}, host.Errorf(e.cfg.Name, "class_gradient", codes.InvalidArgument, "%d class labels for %d samples, want none, 1 or %d", len(classes), x.Rows(), x.Rows())
	}
	return e.chunked(ctx, "class_gradient", x, tensor.Tensor{}, func(ctx context.Context, px, _ *estimatorv1.Tensor, lo, hi int) (*estimatorv1.Tensor, error) {
		var cs []int64
		switch len(classes) {
		case 0:
		case 1:
			cs = []int64{int64(classes[0])}
		default:
			for _, c := range classes[lo:hi] {
				cs = append(cs, int64(c))
			}
		}
		r, err := e.rpc.ClassGradient(ctx, &estimatorv1.ClassGradientRequest{X: px, Classes: cs})
		return r.GetGradient(), err
	})
}

// Activations returns the output of a layer given by name or index.
func (e *Estimator) Activations(ctx context.Context, x tensor.Tensor, layer string) (tensor.Tensor, error) {
	if err := host.Require(e.desc, "activations"); err != nil {
		return tensor.Tensor{}, err
	}
	return e.chunked(ctx, "activations", x, tensor.Tensor{}, func(ctx context.Context, px, _ *estimatorv1.Tensor, _, _ int) (*estimatorv1.Tensor, error) {
		r, err := e.rpc.Activations(ctx, &estimatorv1.ActivationsRequest{X: px, Layer: layer})
		return r.GetActivations(), err
	})
}

// Fit trains the model in the plugin, relaying progress, then refreshes
// the description (a first fit can fix the input shape and classes).
func (e *Estimator) Fit(ctx context.Context, x, y tensor.Tensor, opts host.FitOptions) error {
	if err := host.Require(e.desc, "fit"); err != nil {
		return err
	}
	px, err := e.encode(x)
	if err != nil {
		return host.Errorf(e.cfg.Name, "fit", codes.InvalidArgument, "input: %v", err)
	}
	py, err := e.encode(y)
	if err != nil {
		return host.Errorf(e.cfg.Name, "fit", codes.InvalidArgument, "labels: %v", err)
	}
	ctx, cancel := e.deadline(ctx, e.cfg.FitTimeout)
	defer cancel()
	stream, err := e.rpc.Fit(ctx, &estimatorv1.FitRequest{X: px, Labels: py, Epochs: int64(opts.Epochs), BatchSize: int64(opts.BatchSize), Options: opts.Options})
	if err != nil {
		e.spool.Discard(px)
		e.spool.Discard(py)
		return e.wrap("fit", err)
	}
	done := false
	for {
		p, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return e.wrap("fit", err)
		}
		if p.Done {
			done = true
			continue
		}
		if opts.Progress != nil {
			opts.Progress(host.FitProgress{Epoch: int(p.Epoch), Epochs: int(p.Epochs), Step: int(p.Step), Steps: int(p.Steps), Loss: p.Loss, Accuracy: p.Accuracy, Message: p.Message})
		}
	}
	if !done {
		return host.Errorf(e.cfg.Name, "fit", codes.Internal, "plugin ended the progress stream without completing")
	}
	cctx, ccancel := e.deadline(context.Background(), e.cfg.CallTimeout)
	defer ccancel()
	resp, err := e.rpc.Describe(cctx, &estimatorv1.DescribeRequest{})
	if err != nil {
		return e.wrap("describe", err)
	}
	e.desc = describe(e.cfg, resp.Description)
	return nil
}

// Save asks the plugin to write its model to path.
func (e *Estimator) Save(ctx context.Context, path string) error {
	if err := host.Require(e.desc, "save"); err != nil {
		return err
	}
	ctx, cancel := e.deadline(ctx, e.cfg.CallTimeout)
	defer cancel()
	if _, err := e.rpc.Save(ctx, &estimatorv1.SaveRequest{Path: path}); err != nil {
		return e.wrap("save", err)
	}
	return nil
}
