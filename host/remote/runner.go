package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/go-plugin/runner"
)

// process is the go-plugin runner for one plugin process. It replaces
// go-plugin's own so that the host controls how the process starts and
// ends: checksum checked just before exec, environment reduced to an
// allowlist, no stdin, its own process group, Pdeathsig from a thread that
// lives as long as the child, an address-space limit, stderr read by
// stderrReader (go-plugin is handed an empty stream), and a channel that
// closes when the process exits.
type process struct {
	cfg    *Config
	cmd    *exec.Cmd
	stderr *stderrReader

	stdout io.ReadCloser
	pid    int

	done       chan struct{}
	stderrDone chan struct{}
	mu         sync.Mutex
	gone       bool // the process has ended; its pid may be reused soon
	waitErr    error
}

var _ runner.Runner = (*process)(nil)

// stderrGrace bounds how long Wait waits for the rest of a dead plugin's
// stderr.
const stderrGrace = 2 * time.Second

func newProcess(cfg *Config) *process {
	return &process{cfg: cfg, done: make(chan struct{}), stderrDone: make(chan struct{})}
}

// runnerFunc is the ClientConfig.RunnerFunc: spec carries the variables
// go-plugin sets for the plugin (magic cookie, client certificate, socket
// folder); the rest of the environment is the allowlisted host variables.
func (p *process) runnerFunc(log hclog.Logger, spec *exec.Cmd, _ string) (runner.Runner, error) {
	allow := append(append([]string(nil), DefaultEnvAllow...), p.cfg.EnvAllow...)
	p.cmd = exec.Command(p.cfg.Path, p.cfg.Args...)
	p.cmd.Env = pluginEnv(os.Environ(), allow, append(append([]string(nil), p.cfg.Env...), spec.Env...))
	configureCommand(p.cmd)
	return p, nil
}

// Start checks the executable's checksum, then starts it.
func (p *process) Start(context.Context) error {
	if sc := p.cfg.SecureConfig; sc != nil {
		if sc.Hash != nil {
			sc.Hash.Reset() // SecureConfig.Check does not reset a reused hash
		}
		ok, err := sc.Check(p.cmd.Path)
		if err != nil {
			return fmt.Errorf("checksum of %s: %w", p.cmd.Path, err)
		}
		if !ok {
			return fmt.Errorf("%s: %w (the lock file does not match this executable)", p.cmd.Path, plugin.ErrChecksumsDoNotMatch)
		}
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return err
	}
	p.cmd.Stdout, p.cmd.Stderr = outW, errW
	err = startLocked(p.cmd, p.dying, p.exited)
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		return err
	}
	p.pid, p.stdout = p.cmd.Process.Pid, outR
	p.stderr = newStderrReader(p.cfg.Logger.Named(p.cfg.Name).With("plugin", p.cfg.Plugin, "pid", p.pid))
	go func() {
		defer close(p.stderrDone)
		p.stderr.run(errR)
	}()
	if p.cfg.MemoryLimit > 0 {
		if err := setMemoryLimit(p.pid, uint64(p.cfg.MemoryLimit)); err != nil {
			p.Kill(context.Background())
			return fmt.Errorf("memory limit for pid %d: %w", p.pid, err)
		}
	}
	return nil
}

func (p *process) dying() {
	p.mu.Lock()
	p.gone = true
	p.mu.Unlock()
}

func (p *process) exited(err error) {
	p.mu.Lock()
	p.waitErr = err
	p.mu.Unlock()
	close(p.done)
}

// Wait returns when the process has ended and its stderr is read (or
// stderrGrace later, when something it started still holds the pipe).
func (p *process) Wait(context.Context) error {
	<-p.done
	select {
	case <-p.stderrDone:
	case <-time.After(stderrGrace):
	}
	if p.stdout != nil {
		p.stdout.Close()
	}
	return p.ExitErr()
}

// ExitErr is Wait's error once the process has ended ("exit status 3",
// "signal: segmentation fault"), nil for a clean exit or a live process.
func (p *process) ExitErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.waitErr
}

// Kill stops the process and its group, unless it has already ended (its
// pid, and so its group id, may then belong to another process).
func (p *process) Kill(context.Context) error {
	if p.cmd == nil || p.cmd.Process == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gone {
		return nil
	}
	err := killGroup(p.pid)
	if kerr := p.cmd.Process.Kill(); kerr != nil && !errors.Is(kerr, os.ErrProcessDone) && err == nil {
		err = kerr
	}
	return err
}

// Stdout carries go-plugin's handshake.
func (p *process) Stdout() io.ReadCloser { return p.stdout }

// Stderr is empty for go-plugin: stderrReader owns the real stream.
func (p *process) Stderr() io.ReadCloser { return io.NopCloser(strings.NewReader("")) }

func (p *process) Name() string { return p.cfg.Path }

func (p *process) ID() string {
	if p.pid == 0 {
		return ""
	}
	return strconv.Itoa(p.pid)
}

// Diagnose explains a failed handshake with the plugin's last stderr lines.
func (p *process) Diagnose(context.Context) string {
	if p.stderr == nil {
		return ""
	}
	if t := p.stderr.Tail(); len(t) > 0 {
		return "plugin stderr: " + strings.Join(t, " | ")
	}
	return "the plugin wrote nothing to stderr; is it an arthost plugin (it must call sdk.Serve)?"
}

func (p *process) PluginToHost(n, a string) (string, string, error) { return n, a, nil }
func (p *process) HostToPlugin(n, a string) (string, string, error) { return n, a, nil }
