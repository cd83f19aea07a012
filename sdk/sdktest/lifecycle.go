package sdktest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/arthost/arthost/shared"
	"github.com/arthost/arthost/shared/estimatorv1"
)

// The checks of a plugin's process life, which need a real executable:
// the go-plugin handshake and the protocol version it settles on, and what
// happens when the process is killed. Check covers everything in between.

// ProtocolMismatchError says the plugin answered the handshake with a
// protocol version this host does not speak.
type ProtocolMismatchError struct {
	Plugin int // the version the plugin announced
	Host   int // the version this host speaks
	Err    error
}

func (e *ProtocolMismatchError) Error() string {
	return fmt.Sprintf("plugin speaks protocol version %d, this host speaks version %d", e.Plugin, e.Host)
}

func (e *ProtocolMismatchError) Unwrap() error { return e.Err }

// pluginVersion finds the plugin's version in go-plugin's handshake
// error ("incompatible API version with plugin. Plugin version: 2, Client
// versions: [1]"); go-plugin has no typed error for it.
var pluginVersion = regexp.MustCompile(`incompatible API version with plugin\. Plugin version: (-?\d+)`)

// AsProtocolMismatch turns go-plugin's version-mismatch error into a
// ProtocolMismatchError; other errors come back unchanged.
func AsProtocolMismatch(err error) error {
	if err == nil {
		return nil
	}
	m := pluginVersion.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	v, _ := strconv.Atoi(m[1])
	return &ProtocolMismatchError{Plugin: v, Host: shared.ProtocolVersion, Err: err}
}

// LaunchOptions configure LaunchWith; the zero value launches like Launch
// but discards go-plugin's log.
type LaunchOptions struct {
	DisableMTLS bool
	// Logger receives go-plugin's and the plugin's log lines; nil discards them.
	Logger hclog.Logger
}

// LaunchWith is Launch with options.
func LaunchWith(path string, o LaunchOptions) (*Plugin, error) {
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	c := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  shared.Handshake,
		VersionedPlugins: map[int]plugin.PluginSet{shared.ProtocolVersion: shared.PluginSet(nil)},
		Cmd:              exec.Command(path),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         !o.DisableMTLS,
		GRPCDialOptions:  shared.DialOptions(),
		Logger:           o.Logger,
	})
	rpc, err := c.Client()
	if err != nil {
		c.Kill()
		return nil, err
	}
	raw, err := rpc.Dispense(shared.PluginName)
	if err != nil {
		c.Kill()
		return nil, err
	}
	ec, ok := raw.(estimatorv1.EstimatorClient)
	if !ok {
		c.Kill()
		return nil, fmt.Errorf("plugin dispensed %T", raw)
	}
	p := &Plugin{Client: ec, Version: c.NegotiatedVersion(), client: c}
	if rc := c.ReattachConfig(); rc != nil {
		p.Pid = rc.Pid
	}
	return p, nil
}

// LaunchChecked launches the plugin like LaunchWith and reports the
// handshake and the negotiated protocol version as results. The plugin is
// nil when the handshake failed; otherwise the caller kills it.
func LaunchChecked(path string, o LaunchOptions) (*Plugin, []Result) {
	transport := "AutoMTLS"
	if o.DisableMTLS {
		transport = "plain gRPC"
	}
	start := time.Now()
	p, err := LaunchWith(path, o)
	if err != nil {
		err = AsProtocolMismatch(err)
		var pm *ProtocolMismatchError
		if errors.As(err, &pm) {
			return nil, []Result{
				{Name: "handshake", Passed: true, Detail: "go-plugin handshake line read"},
				{Name: "protocol version", Detail: pm.Error()},
			}
		}
		return nil, []Result{{Name: "handshake", Detail: oneLine(err.Error())}}
	}
	res := []Result{{Name: "handshake", Passed: true,
		Detail: fmt.Sprintf("pid %d, %s, handshake in %v", p.Pid, transport, time.Since(start).Round(time.Millisecond))}}
	if p.Version != shared.ProtocolVersion {
		res = append(res, Result{Name: "protocol version", Detail: fmt.Sprintf("negotiated %d, this host speaks %d", p.Version, shared.ProtocolVersion)})
	} else {
		res = append(res, Result{Name: "protocol version", Passed: true, Detail: fmt.Sprintf("%d", p.Version)})
	}
	return p, res
}

// oneLine joins a multi-line error (go-plugin adds advice on new lines).
func oneLine(s string) string {
	out := []byte{}
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\n' || c == '\t' || c == ' ' {
			space = len(out) > 0
			continue
		}
		if space {
			out = append(out, ' ')
			space = false
		}
		out = append(out, c)
	}
	return string(out)
}

// CheckKilled kills the plugin process with SIGKILL (as the OOM killer or
// a crash would) and checks that the next call fails with Unavailable,
// promptly, and that no process is left behind: neither the plugin nor
// (on Linux) any helper process it had started. Leftover helpers are
// killed after the check. The plugin is unusable afterwards.
func CheckKilled(ctx context.Context, p *Plugin, timeout time.Duration) Result {
	const name = "killed: next call Unavailable, no process left"
	if p.Pid <= 0 {
		return Result{Name: name, Skipped: true, Detail: "process id unknown"}
	}
	proc, err := os.FindProcess(p.Pid)
	if err != nil {
		return Result{Name: name, Detail: fmt.Sprintf("find pid %d: %v", p.Pid, err)}
	}
	helpers := descendants(p.Pid)
	defer killAll(helpers)
	if err := proc.Kill(); err != nil {
		return Result{Name: name, Detail: fmt.Sprintf("kill pid %d: %v", p.Pid, err)}
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_, err = p.Client.Describe(cctx, &estimatorv1.DescribeRequest{})
	switch code := status.Code(err); {
	case err == nil:
		return Result{Name: name, Detail: fmt.Sprintf("pid %d killed, yet Describe answered", p.Pid)}
	case code != codes.Unavailable:
		return Result{Name: name, Detail: fmt.Sprintf("after kill, Describe answered %v, want Unavailable", code)}
	}
	deadline := time.Now().Add(timeout)
	for {
		left := alive(append([]int{p.Pid}, helpers...))
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return Result{Name: name, Detail: leftover(p.Pid, left, timeout)}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return Result{Name: name, Passed: true, Detail: fmt.Sprintf("pid %d gone, Describe: %s", p.Pid, status.Convert(err).Message())}
}

func alive(pids []int) []int {
	var out []int
	for _, pid := range pids {
		if processExists(pid) {
			out = append(out, pid)
		}
	}
	return out
}

// leftover explains which processes remain. A helper that outlives the
// plugin is named first: it also holds the plugin's stdout and stderr
// open, so go-plugin never reaps the dead plugin either.
func leftover(pid int, left []int, timeout time.Duration) string {
	for _, p := range left {
		if p != pid {
			return fmt.Sprintf("child pid %d of plugin pid %d outlived it by %v: a crashed plugin must not leave helper processes behind (have them exit when their parent dies)", p, pid, timeout)
		}
	}
	return fmt.Sprintf("pid %d still exists %v after SIGKILL", pid, timeout)
}

// killAll stops leftover helper processes once the check has seen them.
func killAll(pids []int) {
	for _, pid := range pids {
		if proc, err := os.FindProcess(pid); err == nil && processExists(pid) {
			_ = proc.Kill()
		}
	}
}
