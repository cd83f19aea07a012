// Package remote runs one plugin process per loaded model and adapts its
// gRPC client to host.Estimator: every call under a deadline, inputs split
// into batch_size chunks, gRPC status codes turned into host errors that
// name the estimator and the method.
package remote

import (
	"context"
	"fmt"
	"os/exec"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/codes"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/shared"
	"github.com/arthost/arthost/shared/estimatorv1"
)

// Default limits. A call that takes longer than its deadline fails with
// DeadlineExceeded instead of hanging the host on a stuck plugin.
const (
	DefaultCallTimeout  = 2 * time.Minute
	DefaultLoadTimeout  = 5 * time.Minute
	DefaultStartTimeout = 30 * time.Second
	// DefaultMaxChunkBytes bounds one request's input tensor when no batch
	// size is set, well under shared.MaxMessageSize.
	DefaultMaxChunkBytes = 64 << 20
)

// Config says which plugin to start and what to load in it.
type Config struct {
	// Name is the estimator's name in errors and logs.
	Name string
	// Plugin is the plugin's name; Path its executable.
	Plugin string
	Path   string
	// Args are extra arguments for the executable (rarely needed).
	Args []string
	// ModelPath and Options are passed to Load.
	ModelPath string
	Options   map[string]string
	// BatchSize splits inputs into chunks of at most this many rows; zero
	// picks chunks of at most DefaultMaxChunkBytes.
	BatchSize int
	// CallTimeout bounds every call but Load and Fit; LoadTimeout bounds
	// Load; FitTimeout bounds Fit (zero: no bound beyond ctx).
	CallTimeout, LoadTimeout, FitTimeout time.Duration
	// StartTimeout bounds the plugin's handshake.
	StartTimeout time.Duration
	// DisableAutoMTLS turns off mutual TLS between host and plugin, for
	// trusted local plugins (and for comparing start-up times).
	DisableAutoMTLS bool
	// Logger receives the plugin's log lines; nil discards them.
	Logger hclog.Logger
	// SecureConfig, when set, checks the executable's checksum before launch.
	SecureConfig *plugin.SecureConfig
}

func (c *Config) defaults() {
	if c.Name == "" {
		c.Name = c.Plugin
	}
	if c.CallTimeout == 0 {
		c.CallTimeout = DefaultCallTimeout
	}
	if c.LoadTimeout == 0 {
		c.LoadTimeout = DefaultLoadTimeout
	}
	if c.StartTimeout == 0 {
		c.StartTimeout = DefaultStartTimeout
	}
	if c.Logger == nil {
		c.Logger = hclog.NewNullLogger()
	}
}

// Estimator is a plugin process with a loaded model.
type Estimator struct {
	cfg    Config
	client *plugin.Client
	rpc    estimatorv1.EstimatorClient
	desc   host.Description
}

var _ host.Estimator = (*Estimator)(nil)

// Start launches the plugin, completes the handshake and loads the model.
// On any error the process is stopped before Start returns.
func Start(ctx context.Context, cfg Config) (*Estimator, error) {
	cfg.defaults()
	if cfg.Path == "" {
		return nil, host.Errorf(cfg.Name, "start", codes.InvalidArgument, "no executable for plugin %q", cfg.Plugin)
	}
	cmd := exec.Command(cfg.Path, cfg.Args...)
	configureCommand(cmd)
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  shared.Handshake,
		VersionedPlugins: map[int]plugin.PluginSet{shared.ProtocolVersion: shared.PluginSet(nil)},
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         !cfg.DisableAutoMTLS,
		StartTimeout:     cfg.StartTimeout,
		Logger:           cfg.Logger.Named(cfg.Name),
		GRPCDialOptions:  shared.DialOptions(),
		SecureConfig:     cfg.SecureConfig,
	})
	e := &Estimator{cfg: cfg, client: client}
	if err := e.connect(); err != nil {
		client.Kill()
		return nil, err
	}
	if err := e.load(ctx); err != nil {
		client.Kill()
		return nil, err
	}
	return e, nil
}

func (e *Estimator) connect() error {
	rpcClient, err := e.client.Client()
	if err != nil {
		return host.Errorf(e.cfg.Name, "start", codes.Unavailable, "plugin %q (%s): %v", e.cfg.Plugin, e.cfg.Path, err)
	}
	raw, err := rpcClient.Dispense(shared.PluginName)
	if err != nil {
		return host.Errorf(e.cfg.Name, "start", codes.Unavailable, "plugin %q: %v", e.cfg.Plugin, err)
	}
	c, ok := raw.(estimatorv1.EstimatorClient)
	if !ok {
		return host.Errorf(e.cfg.Name, "start", codes.Internal, "plugin %q dispensed %T", e.cfg.Plugin, raw)
	}
	if v := e.client.NegotiatedVersion(); v != shared.ProtocolVersion {
		return host.Errorf(e.cfg.Name, "start", codes.FailedPrecondition, "plugin %q speaks protocol %d, this host speaks %d", e.cfg.Plugin, v, shared.ProtocolVersion)
	}
	e.rpc = c
	return nil
}

func (e *Estimator) load(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.LoadTimeout)
	defer cancel()
	resp, err := e.rpc.Load(ctx, &estimatorv1.LoadRequest{ModelPath: e.cfg.ModelPath, Options: e.cfg.Options})
	if err != nil {
		return e.wrap("load", err)
	}
	e.desc = describe(e.cfg, resp.Description)
	return nil
}

// Describe returns the description the plugin gave at Load (or after Fit).
func (e *Estimator) Describe() host.Description { return e.desc }

// PID is the plugin process id, for logs and tests.
func (e *Estimator) PID() int {
	if rc := e.client.ReattachConfig(); rc != nil {
		return rc.Pid
	}
	return 0
}

// Exited reports whether the plugin process has ended.
func (e *Estimator) Exited() bool { return e.client.Exited() }

// Close stops the plugin process.
func (e *Estimator) Close() error {
	e.client.Kill()
	return nil
}

// Health runs the plugin's canary check.
func (e *Estimator) Health(ctx context.Context) (time.Duration, error) {
	ctx, cancel := e.deadline(ctx, e.cfg.CallTimeout)
	defer cancel()
	resp, err := e.rpc.Health(ctx, &estimatorv1.HealthRequest{})
	if err != nil {
		return 0, e.wrap("health", err)
	}
	if !resp.Ok {
		return 0, host.Errorf(e.cfg.Name, "health", codes.Unavailable, "%s", resp.Detail)
	}
	return time.Duration(resp.CanaryMicros) * time.Microsecond, nil
}

func (e *Estimator) deadline(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}

func (e *Estimator) String() string { return fmt.Sprintf("%s (plugin %s)", e.cfg.Name, e.cfg.Plugin) }
