package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/hashicorp/go-hclog"

	"github.com/arthost/arthost/plugins/blackbox/internal/accounting"
	"github.com/arthost/arthost/plugins/blackbox/internal/nes"
	"github.com/arthost/arthost/sdk"
	"github.com/arthost/arthost/shared/tensor"
)

// estimator is a black-box prediction source behind query accounting. Its
// methods are safe for concurrent use.
type estimator struct {
	log hclog.Logger

	mu     sync.Mutex // guards loaded state against Close
	loaded bool
	cfg    config
	src    source
	acct   *accounting.Accountant
	grad   *nes.Estimator // nil unless gradient=nes
	desc   sdk.Description
}

// source is what each kind of prediction source gives the estimator on top
// of answering queries.
type source interface {
	accounting.Source
	// info is shown in Describe; it must hold no secrets.
	info() map[string]string
	health(ctx context.Context) error
	close() error
}

var (
	_ sdk.Estimator       = (*estimator)(nil)
	_ sdk.Losser          = (*estimator)(nil)
	_ sdk.LossGradienter  = (*estimator)(nil)
	_ sdk.ClassGradienter = (*estimator)(nil)
	_ sdk.HealthChecker   = (*estimator)(nil)
)

func newEstimator(log hclog.Logger) *estimator {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	return &estimator{log: log}
}

// Load parses the options, opens the source and learns the input shape
// and class count from the options, the table or the server's metadata.
func (e *estimator) Load(ctx context.Context, req sdk.LoadRequest) (sdk.Description, error) {
	cfg, err := parseOptions(&req.Options, req.ModelPath)
	if err != nil {
		return sdk.Description{}, err
	}
	src, shape, err := openSource(ctx, &cfg, e.log)
	if err != nil {
		return sdk.Description{}, err
	}
	if len(cfg.inputShape) == 0 || cfg.nbClasses == 0 {
		src.close()
		return sdk.Description{}, sdk.InvalidArgumentf("source=%s: set options input_shape and nb_classes (they could not be learnt from the source)", cfg.source)
	}
	parallel := 1
	if cfg.source == "http" {
		parallel = cfg.concurrency
	}
	acct := accounting.New(src, accounting.Config{Budget: cfg.budget, CacheSize: cfg.cache, BatchSize: cfg.batchSize, Parallel: parallel})
	var grad *nes.Estimator
	if cfg.gradient == "nes" {
		if grad, err = nes.New(nes.Config{Samples: cfg.nesSamples, Sigma: cfg.nesSigma, Seed: uint64(cfg.seed)}); err != nil {
			src.close()
			return sdk.Description{}, sdk.InvalidArgumentf("%v", err)
		}
	}
	d := sdk.Description{
		Name:        shape.name,
		Version:     "1",
		Framework:   "blackbox-" + cfg.source,
		InputShape:  cfg.inputShape,
		NbClasses:   cfg.nbClasses,
		Output:      sdk.OutputProbabilities,
		NativeDType: shape.dtype,
	}
	if cfg.outputKind == kindLogits {
		d.Output = sdk.OutputLogits
	}
	if grad == nil {
		d.Withheld = []sdk.Capability{sdk.CapLossGradient, sdk.CapClassGradient}
	} else {
		d.GradientsEstimated = true
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.loaded {
		src.close()
		return sdk.Description{}, sdk.FailedPreconditionf("a model is already loaded")
	}
	e.cfg, e.src, e.acct, e.grad, e.desc, e.loaded = cfg, src, acct, grad, d, true
	e.log.Info("black-box source ready", "source", cfg.source, "input_shape", fmt.Sprint(cfg.inputShape), "nb_classes", cfg.nbClasses, "output_kind", cfg.outputKind, "budget", cfg.budget, "gradient", cfg.gradient)
	return e.describe(), nil
}

// Describe reports the description with live query counts in Info.
func (e *estimator) Describe(ctx context.Context) (sdk.Description, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.loaded {
		return sdk.Description{}, sdk.FailedPreconditionf("no model loaded")
	}
	return e.describe(), nil
}

func (e *estimator) describe() sdk.Description {
	d := e.desc
	d.Info = map[string]string{"source": e.cfg.source, "output_kind": e.cfg.outputKind, "gradient": e.cfg.gradient}
	for k, v := range e.src.info() {
		d.Info[k] = v
	}
	st := e.acct.Stats()
	d.Info["queries"] = strconv.FormatInt(st.Queries, 10)
	d.Info["requests"] = strconv.FormatInt(st.Requests, 10)
	d.Info["cache_hits"] = strconv.FormatInt(st.CacheHits, 10)
	d.Info["deduplicated"] = strconv.FormatInt(st.Deduplicated, 10)
	if e.cfg.budget > 0 {
		d.Info["budget"] = strconv.FormatInt(e.cfg.budget, 10)
		d.Info["remaining"] = strconv.FormatInt(e.acct.Remaining(), 10)
	}
	if e.grad != nil {
		d.Info["nes_samples"] = strconv.Itoa(e.cfg.nesSamples)
		d.Info["nes_sigma"] = strconv.FormatFloat(e.cfg.nesSigma, 'g', -1, 64)
	}
	return d
}

// state returns the loaded parts, or FailedPrecondition.
func (e *estimator) state(method string) (config, *accounting.Accountant, *nes.Estimator, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.loaded {
		return config{}, nil, nil, sdk.FailedPreconditionf("%s: no model loaded", method)
	}
	return e.cfg, e.acct, e.grad, nil
}

// scores queries x and returns its (n, k) probabilities or logits.
func (e *estimator) scores(ctx context.Context, cfg config, acct *accounting.Accountant, x tensor.Tensor) ([]float64, error) {
	y, err := acct.Query(ctx, x)
	if err != nil {
		return nil, err
	}
	return toScores(y, cfg.outputKind, cfg.nbClasses)
}

// Predict returns the source's probabilities (labels as one-hot rows), or
// its logits when output_kind=logits.
func (e *estimator) Predict(ctx context.Context, x tensor.Tensor, logits bool) (tensor.Tensor, error) {
	cfg, acct, _, err := e.state("predict")
	if err != nil {
		return tensor.Tensor{}, err
	}
	if logits && cfg.outputKind != kindLogits {
		return tensor.Tensor{}, sdk.InvalidArgumentf("predict: logits requested but the source gives %s (output_kind=%s)", cfg.outputKind, cfg.outputKind)
	}
	s, err := e.scores(ctx, cfg, acct, x)
	if err != nil {
		return tensor.Tensor{}, err
	}
	return asDType(s, x.DType, x.Shape[0], cfg.nbClasses), nil
}

// Loss returns each row's cross-entropy against y.
func (e *estimator) Loss(ctx context.Context, x tensor.Tensor, y tensor.Labels) (tensor.Tensor, error) {
	cfg, acct, _, err := e.state("loss")
	if err != nil {
		return tensor.Tensor{}, err
	}
	s, err := e.scores(ctx, cfg, acct, x)
	if err != nil {
		return tensor.Tensor{}, err
	}
	k := cfg.nbClasses
	out := make([]float64, x.Shape[0])
	for i := range out {
		out[i] = crossEntropy(s[i*k:(i+1)*k], y.Prob[i*k:(i+1)*k], cfg.outputKind)
	}
	return asDType(out, x.DType, len(out)), nil
}

// Health checks the source without spending a query.
func (e *estimator) Health(ctx context.Context) error {
	e.mu.Lock()
	src, loaded := e.src, e.loaded
	e.mu.Unlock()
	if !loaded {
		return sdk.FailedPreconditionf("health: no model loaded")
	}
	return src.health(ctx)
}

// Close releases the source and logs the closing query count.
func (e *estimator) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.loaded {
		return nil
	}
	st := e.acct.Stats()
	e.log.Info("black-box source closing", "source", e.cfg.source, "queries", st.Queries, "requests", st.Requests, "cache_hits", st.CacheHits, "deduplicated", st.Deduplicated)
	e.loaded = false
	return e.src.close()
}

// sourceShape is what opening a source learnt.
type sourceShape struct {
	name  string
	dtype tensor.DType
}

func baseName(p string) string { return filepath.Base(p) }
