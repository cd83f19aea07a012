// Package assemble turns configuration entries into running estimators:
// it finds the plugin, starts its process with the model loaded, and wraps
// it in the pipeline the entry asks for.
package assemble

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/host/config"
	"github.com/arthost/arthost/host/discovery"
	"github.com/arthost/arthost/host/pipeline"
	"github.com/arthost/arthost/host/remote"
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
}

// Build starts the estimator e describes. The caller closes it.
func Build(ctx context.Context, e *config.Estimator, env Env) (host.Estimator, error) {
	p, err := discovery.Find(e.Plugin, env.PluginDirs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", e.Name, err)
	}
	batch := e.BatchSize
	if env.BatchSize > 0 {
		batch = env.BatchSize
	}
	r, err := remote.Start(ctx, remote.Config{
		Name: e.Name, Plugin: p.Name, Path: p.Path,
		ModelPath: e.Model, Options: e.Options,
		BatchSize: batch, CallTimeout: env.CallTimeout, Logger: env.Logger,
	})
	if err != nil {
		return nil, err
	}
	if len(e.ClipMin) == 0 && len(e.Subtrahend) == 0 && len(e.Divisor) == 0 {
		return r, nil
	}
	pl, err := pipeline.New(r, pipeline.Config{Name: e.Name, ClipMin: e.ClipMin, ClipMax: e.ClipMax, Subtrahend: e.Subtrahend, Divisor: e.Divisor})
	if err != nil {
		r.Close()
		return nil, err
	}
	return pl, nil
}
