package sdk

import (
	"os"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/arthost/arthost/shared"
	"github.com/arthost/arthost/shared/tensor"
)

// ServeOpt configures Serve.
type ServeOpt func(*serveConfig)

type serveConfig struct {
	logger     hclog.Logger
	concurrent bool
	extra      map[int]Estimator
}

// WithLogger sets the logger; the default writes JSON to stderr, which the
// host reads and tags with the plugin name and pid.
func WithLogger(l hclog.Logger) ServeOpt { return func(c *serveConfig) { c.logger = l } }

// WithConcurrentCalls lets the host call Predict, Loss and the gradients
// concurrently. Without it the SDK runs one call at a time, so an estimator
// that reuses buffers needs no locking of its own.
func WithConcurrentCalls() ServeOpt { return func(c *serveConfig) { c.concurrent = true } }

// WithProtocolVersion also serves impl under another protocol version, for
// plugins that answer several contract versions during a transition.
func WithProtocolVersion(version int, impl Estimator) ServeOpt {
	return func(c *serveConfig) { c.extra[version] = impl }
}

// NewLogger returns the logger plugins should use: JSON on stderr, which
// the host parses.
func NewLogger(name string) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Name: name, Output: os.Stderr, JSONFormat: true, Level: hclog.Info})
}

// Serve runs impl as an arthost plugin and returns when the host stops it.
// It must be called from main of an executable the host launched; run
// directly, it prints a message and exits with status 1.
func Serve(impl Estimator, opts ...ServeOpt) {
	cfg := serveConfig{extra: map[int]Estimator{}}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.logger == nil {
		cfg.logger = NewLogger("plugin")
	}
	var spool *tensor.Spool
	if dir := os.Getenv(tensor.EnvShmDir); dir != "" {
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			spool = &tensor.Spool{Dir: dir}
		}
	}
	newServer := func(e Estimator) *server {
		s := NewServer(e, cfg.logger, cfg.concurrent).(*server)
		s.spool = spool
		return s
	}
	versions := map[int]plugin.PluginSet{shared.ProtocolVersion: shared.PluginSet(newServer(impl))}
	for v, e := range cfg.extra {
		versions[v] = shared.PluginSet(newServer(e))
	}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  shared.Handshake,
		VersionedPlugins: versions,
		Logger:           cfg.logger,
		GRPCServer: func(o []grpc.ServerOption) *grpc.Server {
			return grpc.NewServer(append(o, shared.ServerOptions()...)...)
		},
	})
}
