// Package assemble turns configuration entries into running estimators:
// it finds each plugin, starts its process with the model loaded, builds
// ensembles from other entries, and wraps each entry in the pipeline
// (defences, standardisation, clip values) it asks for.
package assemble

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/host/config"
	"github.com/arthost/arthost/host/discovery"
	"github.com/arthost/arthost/host/ensemble"
	"github.com/arthost/arthost/host/pipeline"
	"github.com/arthost/arthost/host/remote"
	"github.com/arthost/arthost/host/supervise"
)

// Env is what assembling needs from the host program.
type Env struct {
	// PluginDirs is the discovery search path (see discovery.DefaultDirs).
	PluginDirs []string
	Logger     hclog.Logger
	// CallTimeout bounds each plugin call (zero: remote's default).
	CallTimeout time.Duration
	// BatchSize, when positive, overrides the entries' batch sizes.
	BatchSize int
	// Supervision says how plugins are launched and kept running: lock
	// file, memory limit, mTLS, restarts. The zero value supervises every
	// plugin with supervise's defaults.
	Supervision supervise.Options
}

// Build starts the single plugin entry e (no references to other entries).
func Build(ctx context.Context, e *config.Estimator, env Env) (host.Estimator, error) {
	if e.Ensemble != nil {
		return nil, fmt.Errorf("%s: an ensemble needs its config file; use BuildFile", e.Name)
	}
	b := &builder{env: env, built: map[string]host.Estimator{}}
	return b.build(ctx, nil, e)
}

// BuildFile starts the entry called name in f (the default when empty)
// and everything it references. Entries referenced twice share one
// instance. On error everything started is closed.
func BuildFile(ctx context.Context, f *config.File, name string, env Env) (host.Estimator, error) {
	e, err := f.Select(name)
	if err != nil {
		return nil, err
	}
	b := &builder{env: env, built: map[string]host.Estimator{}}
	est, err := b.build(ctx, f, e)
	if err != nil {
		for _, s := range b.built {
			s.Close()
		}
		return nil, err
	}
	return est, nil
}

type builder struct {
	env   Env
	built map[string]host.Estimator
}

func (b *builder) build(ctx context.Context, f *config.File, e *config.Estimator) (host.Estimator, error) {
	if est, ok := b.built[e.Name]; ok {
		return est, nil
	}
	var core host.Estimator
	var err error
	if e.Ensemble != nil {
		core, err = b.ensemble(ctx, f, e)
	} else {
		core, err = b.plugin(ctx, e)
	}
	if err != nil {
		return nil, err
	}
	est, err := wrap(core, e)
	if err != nil {
		core.Close()
		return nil, err
	}
	b.built[e.Name] = est
	return est, nil
}

func (b *builder) plugin(ctx context.Context, e *config.Estimator) (host.Estimator, error) {
	p, err := discovery.Find(e.Plugin, b.env.PluginDirs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", e.Name, err)
	}
	batch := e.BatchSize
	if b.env.BatchSize > 0 {
		batch = b.env.BatchSize
	}
	rc := remote.Config{
		Name: e.Name, Plugin: p.Name, Path: p.Path,
		ModelPath: e.Model, Options: e.Options,
		BatchSize: batch, CallTimeout: b.env.CallTimeout, Logger: b.env.Logger,
	}
	return supervise.Start(ctx, rc, b.env.Supervision)
}

func (b *builder) ensemble(ctx context.Context, f *config.File, e *config.Estimator) (host.Estimator, error) {
	var members []host.Estimator
	for _, name := range e.Ensemble.Members {
		m, err := f.Select(name)
		if err != nil {
			return nil, err
		}
		est, err := b.build(ctx, f, m)
		if err != nil {
			return nil, err
		}
		members = append(members, est)
	}
	ens, err := ensemble.New(members, ensemble.Config{
		Name: e.Name, Weights: e.Ensemble.Weights, Logger: b.env.Logger,
		GradientPolicy: ensemble.GradientPolicy(e.Ensemble.GradientPolicy),
		MemberFailure:  ensemble.FailurePolicy(e.Ensemble.MemberFailure),
	})
	if err != nil {
		return nil, fmt.Errorf("config %s: estimators.%s: %w", f.Path, e.Name, err)
	}
	return ens, nil
}

// wrap puts the entry's defences, standardisation and clip values around
// core, or returns core when the entry has none.
func wrap(core host.Estimator, e *config.Estimator) (host.Estimator, error) {
	if len(e.ClipMin) == 0 && len(e.Subtrahend) == 0 && len(e.Divisor) == 0 && len(e.Pre) == 0 && len(e.Post) == 0 && e.InputShape == nil {
		return core, nil
	}
	cfg := pipeline.Config{Name: e.Name, ClipMin: e.ClipMin, ClipMax: e.ClipMax, Subtrahend: e.Subtrahend, Divisor: e.Divisor, InputShape: e.InputShape}
	channelsFirst := core.Describe().ChannelsFirst
	for _, d := range e.Pre {
		p, err := newPreprocessor(d, channelsFirst)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.Path, err)
		}
		cfg.Pre = append(cfg.Pre, p)
	}
	for _, d := range e.Post {
		p, err := newPostprocessor(d)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.Path, err)
		}
		cfg.Post = append(cfg.Post, p)
	}
	return pipeline.New(core, cfg)
}
