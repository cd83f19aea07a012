package sdk

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/arthost/arthost/shared/estimatorv1"
	"github.com/arthost/arthost/shared/tensor"
)

// server adapts an Estimator to the generated gRPC service: wire messages
// in, validated sdk types to the estimator, wire messages out.
type server struct {
	estimatorv1.UnimplementedEstimatorServer
	impl   Estimator
	log    hclog.Logger
	serial bool

	mu   sync.RWMutex // guards desc; write-held by Load and Fit
	call sync.Mutex   // serialises estimator calls unless concurrent
	desc *Description
	// spool, when set, carries large tensors through shared memory.
	spool *tensor.Spool
}

// encode turns an output into a wire tensor, through shared memory when
// it is large and the host set a spool up.
func (s *server) encode(t tensor.Tensor) (*estimatorv1.Tensor, error) {
	p, err := tensor.ToProto(t)
	if err != nil {
		return nil, err
	}
	return p, s.spool.Put(p)
}

// receive brings the bytes of tensors sent through shared memory inline.
func (s *server) receive(ps ...*estimatorv1.Tensor) error {
	for _, p := range ps {
		if err := s.spool.Take(p); err != nil {
			return InvalidArgumentf("%v", err)
		}
	}
	return nil
}

// NewServer returns the gRPC service for impl. Serve uses it; tests and
// in-process hosts may register it on their own grpc.Server.
func NewServer(impl Estimator, log hclog.Logger, concurrent bool) estimatorv1.EstimatorServer {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	return &server{impl: impl, log: log, serial: !concurrent}
}

// run calls f with panics recovered into codes.Internal, errors mapped to
// status codes, and the estimator's name and the method in the message.
func (s *server) run(ctx context.Context, method string, exclusive bool, f func(d *Description) error) (err error) {
	if exclusive {
		s.mu.Lock()
		defer s.mu.Unlock()
	} else {
		s.mu.RLock()
		defer s.mu.RUnlock()
	}
	name := "plugin"
	if s.desc != nil && s.desc.Name != "" {
		name = s.desc.Name
	}
	if s.desc == nil && method != "load" {
		return status.Error(codes.FailedPrecondition, "no model loaded")
	}
	if s.serial || exclusive {
		s.call.Lock()
		defer s.call.Unlock()
	}
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("panic", "method", method, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = status.Errorf(codes.Internal, "plugin %s panicked in %s: %v", name, method, r)
		}
	}()
	if err := ctx.Err(); err != nil {
		return toStatus(err)
	}
	return toStatus(f(s.desc))
}

// toStatus gives err a gRPC code, keeping one the estimator chose. The
// host prefixes its own name for the estimator and the method, so the
// message itself carries neither.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	code := codes.Internal
	msg := err.Error()
	if st, ok := status.FromError(err); ok {
		code, msg = st.Code(), st.Message()
	} else if errors.Is(err, context.DeadlineExceeded) {
		code = codes.DeadlineExceeded
	} else if errors.Is(err, context.Canceled) {
		code = codes.Canceled
	}
	return status.Error(code, msg)
}

func (s *server) Load(ctx context.Context, req *estimatorv1.LoadRequest) (*estimatorv1.LoadResponse, error) {
	var out *estimatorv1.LoadResponse
	err := s.run(ctx, "load", true, func(*Description) error {
		d, err := s.impl.Load(ctx, LoadRequest{ModelPath: req.ModelPath, ModelBytes: req.ModelBytes, Options: *NewOptions(req.Options)})
		if err != nil {
			return err
		}
		if err := checkDescription(d); err != nil {
			return status.Errorf(codes.Internal, "invalid description: %v", err)
		}
		s.desc = &d
		out = &estimatorv1.LoadResponse{Description: s.describe(d)}
		return nil
	})
	return out, err
}

func (s *server) Describe(ctx context.Context, _ *estimatorv1.DescribeRequest) (*estimatorv1.DescribeResponse, error) {
	var out *estimatorv1.DescribeResponse
	err := s.run(ctx, "describe", false, func(*Description) error {
		d, err := s.impl.Describe(ctx)
		if err != nil {
			return err
		}
		if err := checkDescription(d); err != nil {
			return status.Errorf(codes.Internal, "invalid description: %v", err)
		}
		out = &estimatorv1.DescribeResponse{Description: s.describe(d)}
		return nil
	})
	return out, err
}

func (s *server) Predict(ctx context.Context, req *estimatorv1.PredictRequest) (*estimatorv1.PredictResponse, error) {
	var out *estimatorv1.PredictResponse
	err := s.run(ctx, "predict", false, func(d *Description) error {
		if err := s.receive(req.X); err != nil {
			return err
		}
		x, err := checkInput(d, req.X)
		if err != nil {
			return err
		}
		y, err := s.impl.Predict(ctx, x, req.Logits)
		if err != nil {
			return err
		}
		if y, err = checkOutput(y, x.DType, x.Rows(), outputWidth(d)); err != nil {
			return err
		}
		p, err := s.encode(y)
		out = &estimatorv1.PredictResponse{Y: p}
		return err
	})
	return out, err
}

func (s *server) PredictUncertainty(ctx context.Context, req *estimatorv1.PredictUncertaintyRequest) (*estimatorv1.PredictUncertaintyResponse, error) {
	u, ok := s.impl.(UncertaintyPredictor)
	var out *estimatorv1.PredictUncertaintyResponse
	err := s.run(ctx, "predict_uncertainty", false, func(d *Description) error {
		if !ok || withheld(d, CapPredictUncertainty) {
			return unimplemented(CapPredictUncertainty)
		}
		if err := s.receive(req.X); err != nil {
			return err
		}
		x, err := checkInput(d, req.X)
		if err != nil {
			return err
		}
		v, err := u.PredictUncertainty(ctx, x)
		if err != nil {
			return err
		}
		if err := checkRows(v, x.Rows()); err != nil {
			return err
		}
		p, err := s.encode(v)
		out = &estimatorv1.PredictUncertaintyResponse{Variance: p}
		return err
	})
	return out, err
}

func (s *server) Loss(ctx context.Context, req *estimatorv1.LossRequest) (*estimatorv1.LossResponse, error) {
	l, ok := s.impl.(Losser)
	var out *estimatorv1.LossResponse
	err := s.run(ctx, "loss", false, func(d *Description) error {
		if !ok || withheld(d, CapLoss) {
			return unimplemented(CapLoss)
		}
		if err := s.receive(req.X, req.Labels); err != nil {
			return err
		}
		x, y, err := checkInputLabels(d, req.X, req.Labels)
		if err != nil {
			return err
		}
		v, err := l.Loss(ctx, x, y)
		if err != nil {
			return err
		}
		if v, err = checkOutput(v, x.DType, x.Rows()); err != nil {
			return err
		}
		r, err := reduce(v, req.Reduction)
		if err != nil {
			return err
		}
		p, err := s.encode(r)
		out = &estimatorv1.LossResponse{Loss: p}
		return err
	})
	return out, err
}

func (s *server) LossGradient(ctx context.Context, req *estimatorv1.LossGradientRequest) (*estimatorv1.LossGradientResponse, error) {
	g, ok := s.impl.(LossGradienter)
	var out *estimatorv1.LossGradientResponse
	err := s.run(ctx, "loss_gradient", false, func(d *Description) error {
		if !ok || withheld(d, CapLossGradient) {
			return unimplemented(CapLossGradient)
		}
		if err := s.receive(req.X, req.Labels); err != nil {
			return err
		}
		x, y, err := checkInputLabels(d, req.X, req.Labels)
		if err != nil {
			return err
		}
		v, err := g.LossGradient(ctx, x, y)
		if err != nil {
			return err
		}
		if v, err = checkOutput(v, x.DType, x.Shape...); err != nil {
			return err
		}
		p, err := s.encode(v)
		out = &estimatorv1.LossGradientResponse{Gradient: p}
		return err
	})
	return out, err
}

func (s *server) ClassGradient(ctx context.Context, req *estimatorv1.ClassGradientRequest) (*estimatorv1.ClassGradientResponse, error) {
	g, ok := s.impl.(ClassGradienter)
	var out *estimatorv1.ClassGradientResponse
	err := s.run(ctx, "class_gradient", false, func(d *Description) error {
		if !ok || withheld(d, CapClassGradient) {
			return unimplemented(CapClassGradient)
		}
		if err := s.receive(req.X); err != nil {
			return err
		}
		x, err := checkInput(d, req.X)
		if err != nil {
			return err
		}
		classes, err := expandClasses(req.Classes, x.Rows(), d.NbClasses)
		if err != nil {
			return err
		}
		v, err := g.ClassGradient(ctx, x, classes)
		if err != nil {
			return err
		}
		k := d.NbClasses
		if classes != nil {
			k = 1
		}
		if v, err = checkOutput(v, x.DType, append([]int{x.Rows(), k}, x.Shape[1:]...)...); err != nil {
			return err
		}
		p, err := s.encode(v)
		out = &estimatorv1.ClassGradientResponse{Gradient: p}
		return err
	})
	return out, err
}

func (s *server) Activations(ctx context.Context, req *estimatorv1.ActivationsRequest) (*estimatorv1.ActivationsResponse, error) {
	a, ok := s.impl.(Activator)
	var out *estimatorv1.ActivationsResponse
	err := s.run(ctx, "activations", false, func(d *Description) error {
		if !ok || withheld(d, CapActivations) {
			return unimplemented(CapActivations)
		}
		if err := s.receive(req.X); err != nil {
			return err
		}
		x, err := checkInput(d, req.X)
		if err != nil {
			return err
		}
		layer, err := resolveLayer(d.Layers, req.Layer)
		if err != nil {
			return err
		}
		v, err := a.Activations(ctx, x, layer)
		if err != nil {
			return err
		}
		if err := checkRows(v, x.Rows()); err != nil {
			return err
		}
		p, err := s.encode(v)
		out = &estimatorv1.ActivationsResponse{Activations: p}
		return err
	})
	return out, err
}

func (s *server) Fit(req *estimatorv1.FitRequest, stream grpc.ServerStreamingServer[estimatorv1.FitProgress]) error {
	f, ok := s.impl.(Fitter)
	ctx := stream.Context()
	return s.run(ctx, "fit", true, func(d *Description) error {
		if !ok || withheld(d, CapFit) {
			return unimplemented(CapFit)
		}
		if err := s.receive(req.X, req.Labels); err != nil {
			return err
		}
		x, y, err := checkFitInput(d, req.X, req.Labels)
		if err != nil {
			return err
		}
		if req.Epochs < 0 || req.BatchSize < 0 {
			return InvalidArgumentf("epochs %d and batch size %d must not be negative", req.Epochs, req.BatchSize)
		}
		var sendErr error
		progress := func(p FitProgress) {
			if sendErr == nil {
				sendErr = stream.Send(progressToProto(p, false))
			}
		}
		opts := NewOptions(req.Options)
		if err := f.Fit(ctx, FitRequest{X: x, Y: y, Epochs: int(req.Epochs), BatchSize: int(req.BatchSize), Options: *opts}, progress); err != nil {
			return err
		}
		if sendErr != nil {
			return sendErr
		}
		nd, err := s.impl.Describe(ctx)
		if err != nil {
			return err
		}
		s.desc = &nd
		return stream.Send(&estimatorv1.FitProgress{Done: true, Message: "fit complete"})
	})
}

func (s *server) Save(ctx context.Context, req *estimatorv1.SaveRequest) (*estimatorv1.SaveResponse, error) {
	sv, ok := s.impl.(Saver)
	var out *estimatorv1.SaveResponse
	err := s.run(ctx, "save", false, func(d *Description) error {
		if !ok || withheld(d, CapSave) {
			return unimplemented(CapSave)
		}
		if req.Path == "" {
			return InvalidArgumentf("empty path")
		}
		if err := sv.Save(ctx, req.Path); err != nil {
			return err
		}
		out = &estimatorv1.SaveResponse{Path: req.Path}
		return nil
	})
	return out, err
}

func (s *server) Health(ctx context.Context, _ *estimatorv1.HealthRequest) (*estimatorv1.HealthResponse, error) {
	start := time.Now()
	err := s.run(ctx, "health", false, func(d *Description) error {
		if h, ok := s.impl.(HealthChecker); ok {
			return h.Health(ctx)
		}
		x := canary(d)
		y, err := s.impl.Predict(ctx, x, false)
		if err != nil {
			return fmt.Errorf("canary predict: %w", err)
		}
		if y, err = checkOutput(y, x.DType, 1, outputWidth(d)); err != nil {
			return fmt.Errorf("canary predict: %w", err)
		}
		if i := y.FirstNonFinite(); i >= 0 {
			return fmt.Errorf("canary predict returned %v at %v", y.At(i), y.Index(i))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &estimatorv1.HealthResponse{Ok: true, Detail: "canary predict ok", CanaryMicros: time.Since(start).Microseconds()}, nil
}

func unimplemented(c Capability) error {
	return Unimplementedf("%s is not supported by this estimator", c)
}

func withheld(d *Description, c Capability) bool {
	for _, w := range d.Withheld {
		if w == c {
			return true
		}
	}
	return false
}
