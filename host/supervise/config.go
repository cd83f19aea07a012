package supervise

import (
	"fmt"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/arthost/arthost/host/remote"
)

// Defaults for the zero values of Config.
const (
	DefaultHealthInterval = 30 * time.Second
	DefaultHealthTimeout  = 10 * time.Second
	DefaultBackoffInitial = 100 * time.Millisecond
	DefaultBackoffMax     = 30 * time.Second
	DefaultBackoffJitter  = 0.2
	DefaultMaxCrashes     = 5
	DefaultCrashWindow    = time.Minute
	// poisonLimit bounds how many input hashes are remembered.
	poisonLimit = 1024
)

// Config says what to supervise and how.
type Config struct {
	// Remote starts each instance: the same model and options every time.
	Remote remote.Config
	// Deadlines bounds each call by method name (predict,
	// predict_uncertainty, loss, loss_gradient, class_gradient,
	// activations, save, fit, health). A missing method gets
	// Remote.CallTimeout (fit: Remote.FitTimeout, health:
	// DefaultHealthTimeout). A call over its deadline counts as a hang: the
	// plugin is killed and restarted.
	Deadlines map[string]time.Duration
	// HealthInterval is how often an idle plugin's Health runs; negative
	// turns the periodic check off.
	HealthInterval time.Duration
	// BackoffInitial is the wait before the first restart; it doubles with
	// each further crash in the window, up to BackoffMax, and varies by
	// ±BackoffJitter (a fraction) so replicas do not restart in step.
	BackoffInitial, BackoffMax time.Duration
	BackoffJitter              float64
	// MaxCrashes crashes (or failed restarts) within CrashWindow quarantine
	// the estimator until Reload.
	MaxCrashes  int
	CrashWindow time.Duration
	// Logger receives state changes, crashes and retries; nil uses
	// Remote.Logger.
	Logger hclog.Logger
}

func (c *Config) defaults() error {
	if c.Remote.Name == "" {
		c.Remote.Name = c.Remote.Plugin
	}
	if c.HealthInterval == 0 {
		c.HealthInterval = DefaultHealthInterval
	}
	if c.BackoffInitial == 0 {
		c.BackoffInitial = DefaultBackoffInitial
	}
	if c.BackoffMax == 0 {
		c.BackoffMax = DefaultBackoffMax
	}
	if c.BackoffJitter == 0 {
		c.BackoffJitter = DefaultBackoffJitter
	}
	if c.MaxCrashes == 0 {
		c.MaxCrashes = DefaultMaxCrashes
	}
	if c.CrashWindow == 0 {
		c.CrashWindow = DefaultCrashWindow
	}
	if c.Logger == nil {
		c.Logger = c.Remote.Logger
	}
	if c.Logger == nil {
		c.Logger = hclog.NewNullLogger()
	}
	switch {
	case c.BackoffInitial < 0 || c.BackoffMax < c.BackoffInitial:
		return fmt.Errorf("backoff %v..%v: want 0 < initial <= max", c.BackoffInitial, c.BackoffMax)
	case c.BackoffJitter < 0 || c.BackoffJitter >= 1:
		return fmt.Errorf("backoff jitter %v: want a fraction in [0, 1)", c.BackoffJitter)
	case c.MaxCrashes < 1 || c.CrashWindow < 0:
		return fmt.Errorf("quarantine after %d crashes in %v: want at least 1 crash and a positive window", c.MaxCrashes, c.CrashWindow)
	}
	for m, d := range c.Deadlines {
		if d <= 0 {
			return fmt.Errorf("deadline for %s is %v: want a positive duration", m, d)
		}
	}
	return nil
}

// deadline returns the bound for one call of method (zero: none).
func (c *Config) deadline(method string) time.Duration {
	if d, ok := c.Deadlines[method]; ok {
		return d
	}
	switch method {
	case "fit":
		return c.Remote.FitTimeout
	case "health":
		return DefaultHealthTimeout
	}
	if c.Remote.CallTimeout > 0 {
		return c.Remote.CallTimeout
	}
	return remote.DefaultCallTimeout
}

// State is where a supervised estimator is in its life.
type State int

// The states. Calls wait while Starting or Restarting, run when Ready, and
// fail at once when Quarantined or Closed.
const (
	Starting State = iota
	Ready
	Restarting
	Quarantined
	Closed
)

func (s State) String() string {
	switch s {
	case Starting:
		return "starting"
	case Ready:
		return "ready"
	case Restarting:
		return "restarting"
	case Quarantined:
		return "quarantined"
	case Closed:
		return "closed"
	}
	return fmt.Sprintf("state(%d)", int(s))
}

// Status is a snapshot of a supervisor.
type Status struct {
	Name     string
	State    State
	PID      int // of the running plugin, 0 when none
	Restarts int // successful restarts
	Crashes  int // crashes detected (exits, hangs, failed health checks, failed restarts)
	// RecentCrashes counts the crashes inside the quarantine window.
	RecentCrashes int
	// LastCrash says what went wrong last ("" before the first crash).
	LastCrash string
	// PoisonInputs counts the inputs refused as poison.
	PoisonInputs int
}
