package supervise

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/host/remote"
	"github.com/arthost/arthost/shared/tensor"
)

// ErrPoisonInput is in the chain of the error of a call whose input
// crashed the plugin twice in a row, and of every later call with the same
// input, which is refused without being sent.
var ErrPoisonInput = errors.New("poison input")

// ErrQuarantined is in the chain of the error of a call made while the
// estimator is quarantined; Reload lifts the quarantine.
var ErrQuarantined = errors.New("plugin quarantined")

// errDeadline marks a call stopped by the supervisor's per-method deadline.
var errDeadline = errors.New("method deadline")

// exitWait is how long a failed call waits for the process to be reported
// dead, so its error can say how the process ended.
const exitWait = 2 * time.Second

// do runs f on the serving instance. A crash during f (the process died,
// the connection broke, or f ran past its deadline) restarts the plugin;
// when retry is set the call then runs once more on the new instance.
func (s *Supervisor) do(ctx context.Context, req *request, retry bool, f func(ctx context.Context, inst *remote.Estimator) error) error {
	method := req.method
	if err := s.refusePoison(req); err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		inst, gen, err := s.acquire(ctx, method, attempt > 0)
		if err != nil {
			return err
		}
		cctx, cancel := ctx, context.CancelFunc(func() {})
		if d := s.cfg.deadline(method); d > 0 {
			cctx, cancel = context.WithTimeoutCause(ctx, d, errDeadline)
		}
		err = f(cctx, inst)
		gaveUp := callerGaveUp(ctx)
		hung := !gaveUp && (errors.Is(context.Cause(cctx), errDeadline) || host.Code(err) == codes.DeadlineExceeded)
		cancel()
		s.release()
		if err == nil {
			s.answered(req)
			return nil
		}
		cause, crash := s.classify(inst, err, gaveUp, hung, method)
		if !crash {
			return err
		}
		s.crashed(gen, cause)
		if s.strike(req, attempt > 0) {
			return host.Errorf(s.cfg.Remote.Name, method, codes.InvalidArgument, "%w: this input (sha256 %x) crashed plugin %q twice (%s); it will not be sent again", ErrPoisonInput, req.digest(), s.cfg.Remote.Plugin, cause)
		}
		if !retry || attempt > 0 {
			again := "it is being restarted"
			if attempt > 0 {
				again = "also on the retry; it is being restarted"
			}
			if method == "fit" {
				again += "; fit is never retried: the training did not happen"
			}
			return host.Errorf(s.cfg.Remote.Name, method, codes.Unavailable, "plugin %q failed during the call (%s); %s", s.cfg.Remote.Plugin, cause, again)
		}
		s.log.Warn("retrying after a plugin failure", "method", method, "cause", cause)
	}
}

// classify decides whether err means the instance failed, and says how.
func (s *Supervisor) classify(inst *remote.Estimator, err error, gaveUp, hung bool, method string) (string, bool) {
	select {
	case <-inst.Done():
		return "process exited: " + exitText(inst), true
	default:
	}
	if gaveUp {
		return "", false // the caller's deadline; the health check watches the plugin
	}
	if hung {
		return fmt.Sprintf("no answer to %s within %v (hung)", method, s.cfg.deadline(method)), true
	}
	if host.Code(err) != codes.Unavailable {
		return "", false
	}
	select {
	case <-inst.Done():
		return "process exited: " + exitText(inst), true
	case <-time.After(exitWait):
		return "connection lost: " + err.Error(), true
	}
}

// callerGaveUp reports whether ctx is done or past its deadline. gRPC
// enforces a deadline itself and can report it a moment before ctx's own
// timer marks ctx done.
func callerGaveUp(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}

func (s *Supervisor) refusePoison(req *request) error {
	s.mu.Lock()
	known := s.poison.any()
	s.mu.Unlock()
	if !known {
		return nil
	}
	d := req.digest()
	s.mu.Lock()
	bad := s.poison.isPoison(d)
	if bad {
		s.status.PoisonInputs++
	}
	s.mu.Unlock()
	if bad {
		return host.Errorf(s.cfg.Remote.Name, req.method, codes.InvalidArgument, "%w: this input (sha256 %x) crashed plugin %q twice before; it is not sent again (reload the estimator to forget)", ErrPoisonInput, d, s.cfg.Remote.Plugin)
	}
	return nil
}

// strike records that req was in flight during a crash; alone says it
// was the only call in flight, so it caused the crash. An input is poison
// when it was in flight during one crash and then caused another.
func (s *Supervisor) strike(req *request, alone bool) bool {
	d := req.digest()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.poison.strike(d, alone) {
		s.status.PoisonInputs++
		s.log.Error("poison input", "method", req.method, "sha256", fmt.Sprintf("%x", d))
		return true
	}
	return false
}

// answered clears the strikes of a request that crashed once and then got
// an answer: it was not the cause.
func (s *Supervisor) answered(req *request) {
	if req.sum == nil {
		return
	}
	s.mu.Lock()
	s.poison.clean(*req.sum)
	s.mu.Unlock()
}

// Predict returns the model's output for x.
func (s *Supervisor) Predict(ctx context.Context, x tensor.Tensor, logits bool) (out tensor.Tensor, err error) {
	err = s.do(ctx, newRequest("predict", []int64{b2i(logits)}, x), true, func(ctx context.Context, inst *remote.Estimator) error {
		out, err = inst.Predict(ctx, x, logits)
		return err
	})
	return out, err
}

// PredictUncertainty returns the plugin's per-sample uncertainty.
func (s *Supervisor) PredictUncertainty(ctx context.Context, x tensor.Tensor) (out tensor.Tensor, err error) {
	err = s.do(ctx, newRequest("predict_uncertainty", nil, x), true, func(ctx context.Context, inst *remote.Estimator) error {
		out, err = inst.PredictUncertainty(ctx, x)
		return err
	})
	return out, err
}

// Loss returns per-sample losses or their reduction.
func (s *Supervisor) Loss(ctx context.Context, x, y tensor.Tensor, r host.Reduction) (out tensor.Tensor, err error) {
	err = s.do(ctx, newRequest("loss", []int64{int64(r)}, x, y), true, func(ctx context.Context, inst *remote.Estimator) error {
		out, err = inst.Loss(ctx, x, y, r)
		return err
	})
	return out, err
}

// LossGradient returns the gradient of each sample's loss.
func (s *Supervisor) LossGradient(ctx context.Context, x, y tensor.Tensor) (out tensor.Tensor, err error) {
	err = s.do(ctx, newRequest("loss_gradient", nil, x, y), true, func(ctx context.Context, inst *remote.Estimator) error {
		out, err = inst.LossGradient(ctx, x, y)
		return err
	})
	return out, err
}

// ClassGradient returns gradients of the outputs with respect to x.
func (s *Supervisor) ClassGradient(ctx context.Context, x tensor.Tensor, classes []int) (out tensor.Tensor, err error) {
	params := make([]int64, len(classes))
	for i, c := range classes {
		params[i] = int64(c)
	}
	err = s.do(ctx, newRequest("class_gradient", params, x), true, func(ctx context.Context, inst *remote.Estimator) error {
		out, err = inst.ClassGradient(ctx, x, classes)
		return err
	})
	return out, err
}

// Activations returns a layer's output.
func (s *Supervisor) Activations(ctx context.Context, x tensor.Tensor, layer string) (out tensor.Tensor, err error) {
	req := newRequest("activations", nil, x)
	req.text = layer
	err = s.do(ctx, req, true, func(ctx context.Context, inst *remote.Estimator) error {
		out, err = inst.Activations(ctx, x, layer)
		return err
	})
	return out, err
}

// Save writes the model; it is retried like the queries.
func (s *Supervisor) Save(ctx context.Context, path string) error {
	req := newRequest("save", nil)
	req.text = path
	return s.do(ctx, req, true, func(ctx context.Context, inst *remote.Estimator) error {
		return inst.Save(ctx, path)
	})
}

// Fit trains the model in the plugin. It is never retried. After a
// successful Fit the trained model is saved to a private file that later
// restarts load, so a crash does not silently undo the training; a plugin
// without Save is quarantined by its next crash instead.
func (s *Supervisor) Fit(ctx context.Context, x, y tensor.Tensor, opts host.FitOptions) error {
	var inst *remote.Estimator
	err := s.do(ctx, newRequest("fit", nil, x, y), false, func(ctx context.Context, in *remote.Estimator) error {
		inst = in
		return in.Fit(ctx, x, y, opts)
	})
	if err != nil {
		return err
	}
	desc := inst.Describe()
	path, serr := s.snapshot(ctx, inst, desc)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inst == inst {
		s.desc = desc
	}
	if serr != nil {
		s.unsaved = true
		s.log.Warn("trained model not saved; a crash will quarantine the estimator", "error", serr)
		return nil
	}
	s.model, s.unsaved = path, false
	return nil
}

// snapshot saves the trained model where restarts will load it.
func (s *Supervisor) snapshot(ctx context.Context, inst *remote.Estimator, d host.Description) (string, error) {
	if !d.Capabilities.Save {
		return "", fmt.Errorf("plugin %q cannot save", s.cfg.Remote.Plugin)
	}
	s.mu.Lock()
	dir := s.stateDir
	s.mu.Unlock()
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "arthost-fit-"); err != nil {
			return "", err
		}
		s.mu.Lock()
		s.stateDir = dir
		s.mu.Unlock()
	}
	path := filepath.Join(dir, "trained"+filepath.Ext(s.cfg.Remote.ModelPath))
	if err := inst.Save(ctx, path); err != nil {
		return "", err
	}
	return path, nil
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
