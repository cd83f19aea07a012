package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/host/assemble"
	"github.com/arthost/arthost/host/config"
)

// estimatorFlags select the estimator a command runs on: a plugin with a
// model and options, or an entry of a config file.
type estimatorFlags struct {
	plugin    string
	model     string
	opts      []string
	config    string
	estimator string
	timeout   time.Duration
	sup       superviseFlags
	batchSize int
}

func (f *estimatorFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.plugin, "plugin", "", "plugin name (arthost-plugin-NAME) or path to its executable")
	fl.StringVar(&f.model, "model", "", "model file passed to the plugin")
	fl.StringArrayVar(&f.opts, "opt", nil, "plugin option key=value (repeatable)")
	fl.StringVar(&f.config, "config", "", "YAML config file naming estimators")
	fl.StringVar(&f.estimator, "estimator", "", "estimator name in --config (default: the file's default)")
	fl.DurationVar(&f.timeout, "timeout", 0, "deadline for each plugin call (default 2m)")
	f.sup.register(fl)
}

func (f *estimatorFlags) registerBatch(cmd *cobra.Command) {
	cmd.Flags().IntVar(&f.batchSize, "batch-size", 0, "rows per plugin call (default: chunks of at most 64 MiB)")
}

// spec turns the flags into a config entry.
func (f *estimatorFlags) spec() (*config.Estimator, error) {
	switch {
	case f.plugin != "" && f.config != "":
		return nil, fmt.Errorf("give either --plugin or --config, not both")
	case f.plugin == "" && f.config == "":
		return nil, fmt.Errorf("no estimator: give --plugin NAME [--model PATH] or --config FILE")
	case f.config != "":
		if f.model != "" || len(f.opts) > 0 {
			return nil, fmt.Errorf("--model and --opt go with --plugin; with --config, set them in the file")
		}
		file, err := config.Load(f.config)
		if err != nil {
			return nil, err
		}
		return file.Select(f.estimator)
	}
	if f.estimator != "" {
		return nil, fmt.Errorf("--estimator goes with --config")
	}
	opts, err := parseKV("--opt", f.opts)
	if err != nil {
		return nil, err
	}
	return &config.Estimator{Name: f.plugin, Plugin: f.plugin, Model: f.model, Options: opts}, nil
}

// parseKV reads repeated key=value flags.
func parseKV(flag string, pairs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range pairs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%s %q: want key=value", flag, kv)
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("%s %q: %s given twice", flag, kv, k)
		}
		out[k] = v
	}
	return out, nil
}

// open starts the selected estimator (and, for a config entry, all it
// references); the caller closes it.
func (f *estimatorFlags) open(ctx context.Context, g *globals) (host.Estimator, error) {
	if f.batchSize < 0 {
		return nil, fmt.Errorf("--batch-size %d: want a positive number", f.batchSize)
	}
	env := assemble.Env{PluginDirs: g.dirs(), Logger: g.logger(), CallTimeout: f.timeout, BatchSize: f.batchSize}
	sup, err := f.sup.options()
	if err != nil {
		return nil, err
	}
	env.Supervision = sup
	if f.config != "" && f.plugin == "" && f.model == "" && len(f.opts) == 0 {
		file, err := config.Load(f.config)
		if err != nil {
			return nil, err
		}
		return assemble.BuildFile(ctx, file, f.estimator, env)
	}
	spec, err := f.spec()
	if err != nil {
		return nil, err
	}
	return assemble.Build(ctx, spec, env)
}
