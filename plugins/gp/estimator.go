package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"gonum.org/v1/gonum/mat"

	"github.com/arthost/arthost/plugins/gp/internal/gpc"
	"github.com/arthost/arthost/sdk"
	"github.com/arthost/arthost/shared/tensor"
)

// maxModelBytes caps the model file Load reads: a file at max_train=5000
// rows of a few hundred features is far below it.
const maxModelBytes = 1 << 30

// estimator is the gp plugin: a Gaussian-process classifier that is fitted
// in the plugin (Fit) or loaded from a model file (Load).
type estimator struct {
	set        settings
	inputShape []int // nil until fitted or loaded
	model      *gpc.Model
}

func newEstimator() *estimator { return &estimator{set: defaultSettings()} }

var (
	_ sdk.Estimator            = (*estimator)(nil)
	_ sdk.UncertaintyPredictor = (*estimator)(nil)
	_ sdk.Losser               = (*estimator)(nil)
	_ sdk.LossGradienter       = (*estimator)(nil)
	_ sdk.ClassGradienter      = (*estimator)(nil)
	_ sdk.Fitter               = (*estimator)(nil)
	_ sdk.Saver                = (*estimator)(nil)
)

// Load reads the options and, when a model path or bytes are given, the
// model file. Without a model the estimator is unfitted: Describe reports
// nb_classes 0 and an unknown input shape until Fit.
func (e *estimator) Load(ctx context.Context, req sdk.LoadRequest) (sdk.Description, error) {
	s, err := parseSettings(&req.Options, defaultSettings())
	if err != nil {
		return sdk.Description{}, err
	}
	data, name := req.ModelBytes, "<model bytes>"
	if req.ModelPath != "" {
		name = req.ModelPath
		if data, err = readModel(req.ModelPath); err != nil {
			return sdk.Description{}, err
		}
	}
	var m *gpc.Model
	var shape []int
	switch {
	case len(data) > 0:
		if m, err = gpc.Unmarshal(data, s.maxTrain); err != nil {
			return sdk.Description{}, sdk.InvalidArgumentf("gp load %q: %v", name, err)
		}
		if req.Options.Has("inference") && m.Inference != s.inference {
			return sdk.Description{}, sdk.InvalidArgumentf("gp load %q: option inference=%s but the model was fitted with %s", name, s.inference, m.Inference)
		}
		if s.nbFeatures > 0 && s.nbFeatures != m.Features() {
			return sdk.Description{}, sdk.InvalidArgumentf("gp load %q: option nb_features=%d but the model has %d features", name, s.nbFeatures, m.Features())
		}
		s, shape = withModelKernel(s, req.Options.Raw(), m), []int{m.Features()}
	case s.nbFeatures > 0:
		shape = []int{s.nbFeatures}
	}
	e.set, e.model, e.inputShape = s, m, shape
	return e.Describe(ctx)
}

func readModel(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, sdk.InvalidArgumentf("gp load: %v", err)
	}
	if st.Size() > maxModelBytes {
		return nil, sdk.ResourceExhaustedf("gp load %q: %d bytes exceed the %d-byte model file cap", path, st.Size(), maxModelBytes)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, sdk.InvalidArgumentf("gp load: %v", err)
	}
	return data, nil
}

// Describe reports the model; before Fit, nb_classes is 0 and the input
// shape nil (unknown).
func (e *estimator) Describe(context.Context) (sdk.Description, error) {
	d := sdk.Description{
		Name: "gp", Version: "1", Framework: "gaussian-process",
		InputShape: append([]int(nil), e.inputShape...), Output: sdk.OutputProbabilities,
		NativeDType: tensor.Float64, GradientsEstimated: e.set.fdGradient,
		Info: map[string]string{"inference": string(e.set.inference), "gradient": "analytic"},
	}
	if e.inputShape == nil {
		d.InputShape = nil
	}
	if e.set.fdGradient {
		d.Info["gradient"] = "finite-difference"
	}
	if e.model == nil {
		d.Info["fitted"] = "false"
		return d, nil
	}
	m := e.model
	n, _ := m.X.Dims()
	d.NbClasses = m.Classes
	d.Info["fitted"] = "true"
	d.Info["kernel"] = m.Bins[0].Kernel.Family.String()
	d.Info["n_train"] = strconv.Itoa(n)
	d.Info["log_marginal_likelihood"] = strconv.FormatFloat(m.LML, 'g', 10, 64)
	return d, nil
}

// fitted returns the model or a FailedPrecondition error naming method.
func (e *estimator) fitted(method string) (*gpc.Model, error) {
	if e.model == nil {
		return nil, sdk.FailedPreconditionf("gp %s: no model: call fit, or load a model file", method)
	}
	return e.model, nil
}

// rows copies x into an n x d float64 matrix. The SDK has checked x's
// shape; this check keeps a direct caller from reaching a panic.
func rows(method string, x tensor.Tensor, d int) (*mat.Dense, error) {
	n := x.Rows()
	if n == 0 || x.Len() != n*d {
		return nil, sdk.InvalidArgumentf("gp %s: input shape %v, want (n, %d) features", method, x.Shape, d)
	}
	return mat.NewDense(n, d, append([]float64(nil), x.Float64s()...)), nil
}

// out returns v with the given shape in x's dtype.
func out(x tensor.Tensor, v []float64, shape ...int) tensor.Tensor {
	return tensor.FromFloat64(v, shape...).As(x.DType)
}

// Predict returns class probabilities, or with logits the latent means.
func (e *estimator) Predict(_ context.Context, x tensor.Tensor, logits bool) (tensor.Tensor, error) {
	m, err := e.fitted("predict")
	if err != nil {
		return tensor.Tensor{}, err
	}
	xs, err := rows("predict", x, m.Features())
	if err != nil {
		return tensor.Tensor{}, err
	}
	if logits {
		mean, _ := m.Latent(xs)
		return out(x, mean, x.Rows(), m.Classes), nil
	}
	return out(x, m.Proba(xs), x.Rows(), m.Classes), nil
}

// PredictUncertainty returns the latent predictive variance, (n, classes).
func (e *estimator) PredictUncertainty(_ context.Context, x tensor.Tensor) (tensor.Tensor, error) {
	m, err := e.fitted("predict-uncertainty")
	if err != nil {
		return tensor.Tensor{}, err
	}
	xs, err := rows("predict-uncertainty", x, m.Features())
	if err != nil {
		return tensor.Tensor{}, err
	}
	_, v := m.Latent(xs)
	return out(x, v, x.Rows(), m.Classes), nil
}

// probFloor keeps the loss finite when a probability underflows to 0.
const probFloor = 1e-300

// Loss is the cross-entropy -sum_c y_c log P_c of the predicted
// probabilities, per sample.
func (e *estimator) Loss(_ context.Context, x tensor.Tensor, y tensor.Labels) (tensor.Tensor, error) {
	m, err := e.fitted("loss")
	if err != nil {
		return tensor.Tensor{}, err
	}
	xs, err := rows("loss", x, m.Features())
	if err != nil {
		return tensor.Tensor{}, err
	}
	if y.N != x.Rows() || y.K != m.Classes || len(y.Prob) != y.N*y.K {
		return tensor.Tensor{}, sdk.InvalidArgumentf("gp loss: labels (%d, %d) for %d rows and %d classes", y.N, y.K, x.Rows(), m.Classes)
	}
	p := m.Proba(xs)
	k := m.Classes
	loss := make([]float64, x.Rows())
	for i := range loss {
		for c := 0; c < k; c++ {
			if w := y.Prob[i*k+c]; w != 0 {
				loss[i] -= w * math.Log(math.Max(p[i*k+c], probFloor))
			}
		}
	}
	return out(x, loss, x.Rows()), nil
}

// gradAt returns the probabilities and their input gradients at one row.
func (e *estimator) gradAt(m *gpc.Model, row []float64) (prob, grad []float64) {
	if e.set.fdGradient {
		return m.ProbaGradFD(row)
	}
	return m.ProbaGrad(row)
}

// LossGradient is d loss_i / d x_i = -sum_c y_c (dP_c/dx) / P_c.
func (e *estimator) LossGradient(ctx context.Context, x tensor.Tensor, y tensor.Labels) (tensor.Tensor, error) {
	m, err := e.fitted("loss-gradient")
	if err != nil {
		return tensor.Tensor{}, err
	}
	d, k := m.Features(), m.Classes
	xs, err := rows("loss-gradient", x, d)
	if err != nil {
		return tensor.Tensor{}, err
	}
	if y.N != x.Rows() || y.K != k || len(y.Prob) != y.N*y.K {
		return tensor.Tensor{}, sdk.InvalidArgumentf("gp loss-gradient: labels (%d, %d) for %d rows and %d classes", y.N, y.K, x.Rows(), k)
	}
	g := make([]float64, x.Rows()*d)
	for i := 0; i < x.Rows(); i++ {
		if err := ctx.Err(); err != nil {
			return tensor.Tensor{}, err
		}
		p, dp := e.gradAt(m, xs.RawRowView(i))
		for c := 0; c < k; c++ {
			w := y.Prob[i*k+c]
			if w == 0 {
				continue
			}
			s := -w / math.Max(p[c], probFloor)
			for j := 0; j < d; j++ {
				g[i*d+j] += s * dp[c*d+j]
			}
		}
	}
	return out(x, g, x.Shape...), nil
}

// ClassGradient returns d P_c / d x for every class (classes nil) or for
// one class per row.
func (e *estimator) ClassGradient(ctx context.Context, x tensor.Tensor, classes []int) (tensor.Tensor, error) {
	m, err := e.fitted("class-gradient")
	if err != nil {
		return tensor.Tensor{}, err
	}
	d, k := m.Features(), m.Classes
	xs, err := rows("class-gradient", x, d)
	if err != nil {
		return tensor.Tensor{}, err
	}
	width := k
	if classes != nil {
		width = 1
		if len(classes) != x.Rows() {
			return tensor.Tensor{}, sdk.InvalidArgumentf("gp class-gradient: %d classes for %d rows", len(classes), x.Rows())
		}
	}
	g := make([]float64, 0, x.Rows()*width*d)
	for i := 0; i < x.Rows(); i++ {
		if err := ctx.Err(); err != nil {
			return tensor.Tensor{}, err
		}
		_, dp := e.gradAt(m, xs.RawRowView(i))
		if classes == nil {
			g = append(g, dp...)
			continue
		}
		c := classes[i]
		if c < 0 || c >= k {
			return tensor.Tensor{}, sdk.InvalidArgumentf("gp class-gradient: row %d class %d out of range [0,%d)", i, c, k)
		}
		g = append(g, dp[c*d:(c+1)*d]...)
	}
	shape := append([]int{x.Rows(), width}, x.Shape[1:]...)
	return out(x, g, shape...), nil
}

// Fit trains on (x, y). Fit options override the Load options for this
// and later fits. Inputs of any sample shape are flattened to features.
func (e *estimator) Fit(ctx context.Context, req sdk.FitRequest, progress func(sdk.FitProgress)) error {
	s, err := parseSettings(&req.Options, e.set)
	if err != nil {
		return err
	}
	x := req.X
	if len(x.Shape) < 2 {
		return sdk.InvalidArgumentf("gp fit: input shape %v, want (n, features...)", x.Shape)
	}
	n, d := x.Rows(), tensor.NumElements(x.Shape[1:])
	if n > s.maxTrain {
		return sdk.ResourceExhaustedf("gp fit: %d training rows exceed max_train=%d (the kernel matrix is n x n and fitting costs n^3; raise max_train or subsample)", n, s.maxTrain)
	}
	kern, err := s.kernelFor(d)
	if err != nil {
		return sdk.InvalidArgumentf("gp fit: %v", err)
	}
	cfg := gpc.Config{Kernel: kern, Inference: s.inference, Optimize: s.optimize, Restarts: s.restarts, Seed: uint64(s.seed)}
	report := func(done, total int, lml float64) {
		if progress != nil {
			progress(sdk.FitProgress{Step: done, Steps: total, Loss: -lml, Message: fmt.Sprintf("binary classifier %d/%d: log marginal likelihood %.6g", done, total, lml)})
		}
	}
	xs, err := rows("fit", x, d)
	if err != nil {
		return err
	}
	if req.Y.N != n || len(req.Y.Index) != n {
		return sdk.InvalidArgumentf("gp fit: %d labels for %d rows", len(req.Y.Index), n)
	}
	m, err := gpc.Fit(ctx, cfg, xs, req.Y.Index, req.Y.K, report)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return sdk.InvalidArgumentf("gp fit: %v", err)
	}
	e.set, e.model, e.inputShape = s, m, append([]int(nil), x.Shape[1:]...)
	return nil
}

// Save writes the model file atomically (a temporary file renamed).
func (e *estimator) Save(_ context.Context, path string) error {
	m, err := e.fitted("save")
	if err != nil {
		return err
	}
	data, err := m.Marshal()
	if err != nil {
		return fmt.Errorf("gp save: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".gp-model-*")
	if err != nil {
		return sdk.InvalidArgumentf("gp save %q: %v", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("gp save %q: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("gp save %q: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("gp save %q: %w", path, err)
	}
	return nil
}
