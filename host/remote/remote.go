// Package remote runs one plugin process per loaded model and adapts its
// gRPC client to host.Estimator: every call under a deadline, inputs split
// into batch_size chunks, gRPC status codes turned into host errors that
// name the estimator and the method.
package remote

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/codes"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/shared"
	"github.com/arthost/arthost/shared/direct"
	"github.com/arthost/arthost/shared/estimatorv1"
	"github.com/arthost/arthost/shared/tensor"
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
	// DisableDirect keeps every call on gRPC, even when the plugin offers
	// the direct channel (shared/direct), for comparing the two.
	DisableDirect bool
	// Logger receives the plugin's log lines; nil discards them.
	Logger hclog.Logger
	// SecureConfig, when set, checks the executable's checksum just before
	// each launch; a mismatch refuses the launch.
	SecureConfig *plugin.SecureConfig
	// MemoryLimit, when positive, caps the plugin's private writable memory
	// (RLIMIT_DATA, bytes; Linux only) so the plugin, not the host, runs
	// out of memory. An idle Go plugin uses about 150 MB of it.
	MemoryLimit int64
	// EnvAllow names host environment variables the plugin inherits beyond
	// DefaultEnvAllow ("NAME" or "PREFIX*"); Env sets KEY=VALUE entries.
	EnvAllow, Env []string
	// SocketDir is the private 0700 folder for plugin sockets (default
	// $TMPDIR/arthost-UID); each host process uses a subfolder, and the
	// subfolders of dead hosts are removed at start.
	SocketDir string
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
	proc   *process
	// spool carries large tensors through shared memory both ways; the
	// plugin learns its folder from ARTHOST_SHM_DIR.
	spool *tensor.Spool
}

var _ host.Estimator = (*Estimator)(nil)

// Start launches the plugin, completes the handshake and loads the model.
// On any error the process is stopped before Start returns.
func Start(ctx context.Context, cfg Config) (*Estimator, error) {
	cfg.defaults()
	if cfg.Path == "" {
		return nil, host.Errorf(cfg.Name, "start", codes.InvalidArgument, "no executable for plugin %q", cfg.Plugin)
	}
	sockets, err := socketDir(cfg.SocketDir)
	if err != nil {
		return nil, host.Errorf(cfg.Name, "start", codes.FailedPrecondition, "%v", err)
	}
	// Spool folders live in a per-host folder like the sockets, so the
	// folders of a host that was killed are swept by the next one.
	spoolParent, err := socketDir(filepath.Join(tensor.SpoolBase(), fmt.Sprintf("arthost-shm-%d", os.Getuid())))
	if err != nil {
		return nil, host.Errorf(cfg.Name, "start", codes.FailedPrecondition, "shared-memory folder: %v", err)
	}
	spoolDir, err := tensor.NewSpoolDir(spoolParent)
	if err != nil {
		return nil, host.Errorf(cfg.Name, "start", codes.FailedPrecondition, "shared-memory folder: %v", err)
	}
	cfg.Env = append(append([]string(nil), cfg.Env...), tensor.EnvShmDir+"="+spoolDir)
	proc := newProcess(&cfg)
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  shared.Handshake,
		VersionedPlugins: map[int]plugin.PluginSet{shared.ProtocolVersion: shared.PluginSet(nil)},
		RunnerFunc:       proc.runnerFunc,
		SkipHostEnv:      true,
		UnixSocketConfig: &plugin.UnixSocketConfig{TempDir: sockets},
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         !cfg.DisableAutoMTLS,
		StartTimeout:     cfg.StartTimeout,
		Logger:           cfg.Logger.Named(cfg.Name),
		GRPCDialOptions:  shared.DialOptions(),
	})
	e := &Estimator{cfg: cfg, client: client, proc: proc, spool: &tensor.Spool{Dir: spoolDir}}
	if err := e.connect(); err != nil {
		e.Close()
		return nil, err
	}
	if err := e.load(ctx); err != nil {
		e.Close()
		return nil, err
	}
	e.openDirect(ctx)
	return e, nil
}

// openDirect moves the hot calls to the plugin's direct channel when it
// offers one; plugins without it (any non-Go plugin) stay on gRPC.
func (e *Estimator) openDirect(ctx context.Context) {
	dc, ok := e.rpc.(*direct.Client)
	if !ok || e.cfg.DisableDirect {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, e.cfg.LoadTimeout)
	defer cancel()
	if err := dc.Open(ctx); err != nil {
		e.cfg.Logger.Debug("direct channel not used", "estimator", e.cfg.Name, "reason", err)
	}
}

// Direct reports whether the hot calls go through the direct channel.
func (e *Estimator) Direct() bool {
	dc, ok := e.rpc.(*direct.Client)
	return ok && dc.Direct()
}

func (e *Estimator) connect() error {
	rpcClient, err := e.client.Client()
	if v, ok := protocolMismatch(err); ok {
		return host.Errorf(e.cfg.Name, "start", codes.FailedPrecondition, "plugin %q (%s) speaks protocol version %d, this host speaks version %d: use a plugin built for protocol %d", e.cfg.Plugin, e.cfg.Path, v, shared.ProtocolVersion, shared.ProtocolVersion)
	}
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
func (e *Estimator) PID() int { return e.proc.pid }

// SpoolDir is the shared-memory folder of this plugin, for tests.
func (e *Estimator) SpoolDir() string { return e.spool.Dir }

// Exited reports whether the plugin process has ended.
func (e *Estimator) Exited() bool { return e.client.Exited() }

// Close stops the plugin process.
func (e *Estimator) Close() error {
	if dc, ok := e.rpc.(*direct.Client); ok {
		dc.Close()
	}
	e.client.Kill()
	if e.spool != nil {
		e.spool.Close()
		tensor.RemoveSpoolDir(e.spool.Dir)
	}
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
