package supervise

import (
	"context"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc/codes"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/host/remote"
)

// Supervisor is a host.Estimator that restarts its plugin process when it
// fails. It is safe for concurrent use.
type Supervisor struct {
	cfg  Config
	log  hclog.Logger
	stop chan struct{}
	wg   sync.WaitGroup

	mu       sync.Mutex
	state    State
	changed  chan struct{} // closed and replaced at every state change
	inst     *remote.Estimator
	gen      uint64 // bumped at every crash and reload; stale reports are ignored
	desc     host.Description
	inflight int
	alone    bool        // a retry after a crash runs with no other call in flight
	queued   int         // retries waiting to run alone; new calls wait behind them
	crashes  []time.Time // inside the window
	status   Status
	poison   *poisonMemory
	// model is what a restart loads: the configured model, or the one saved
	// after the last Fit. unsaved is set when a Fit could not be saved, so
	// a restart would lose it.
	model    string
	unsaved  bool
	stateDir string
}

var _ host.Estimator = (*Supervisor)(nil)

// New starts the first instance and returns once it is ready; a plugin
// that cannot start or load its model at all is an error, not a crash.
func New(ctx context.Context, cfg Config) (*Supervisor, error) {
	if err := cfg.defaults(); err != nil {
		return nil, host.Errorf(cfg.Remote.Name, "start", codes.InvalidArgument, "supervision: %v", err)
	}
	s := &Supervisor{
		cfg: cfg, log: cfg.Logger.Named("supervise").With("estimator", cfg.Remote.Name),
		stop: make(chan struct{}), changed: make(chan struct{}),
		poison: newPoisonMemory(poisonLimit), model: cfg.Remote.ModelPath,
	}
	s.status.Name = cfg.Remote.Name
	s.log.Info("supervisor state", "state", Starting)
	inst, err := remote.Start(ctx, cfg.Remote)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.install(inst)
	s.mu.Unlock()
	if cfg.HealthInterval > 0 {
		s.wg.Add(1)
		go s.healthLoop()
	}
	return s, nil
}

// Status returns a snapshot of the supervisor's state and counters.
func (s *Supervisor) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.status
	st.State = s.state
	st.RecentCrashes = len(s.recentCrashes(time.Now()))
	if s.inst != nil {
		st.PID = s.inst.PID()
	}
	return st
}

// Describe returns the description of the model being served.
func (s *Supervisor) Describe() host.Description {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.desc
}

// setState changes the state, wakes waiting callers and logs the change.
// s.mu is held.
func (s *Supervisor) setState(st State, kv ...any) {
	if s.state == st {
		return
	}
	s.log.Info("supervisor state", append([]any{"from", s.state, "state", st}, kv...)...)
	s.state = st
	s.notify()
}

// install makes inst the serving instance and watches it. s.mu is held.
func (s *Supervisor) install(inst *remote.Estimator) {
	s.inst = inst
	s.desc = inst.Describe()
	s.setState(Ready, "pid", inst.PID())
	gen := s.gen
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		select {
		case <-inst.Done():
			s.crashed(gen, "process exited: "+exitText(inst))
		case <-s.stop:
		}
	}()
}

func exitText(inst *remote.Estimator) string {
	if err := inst.ExitErr(); err != nil {
		return err.Error()
	}
	return "exit status 0"
}

// acquire returns the serving instance and its generation, waiting while
// the plugin starts or restarts. With alone set it also waits until no
// other call is in flight and keeps new calls out until release, so a
// crash during the call is known to be caused by its input.
func (s *Supervisor) acquire(ctx context.Context, method string, alone bool) (*remote.Estimator, uint64, error) {
	if alone {
		s.mu.Lock()
		s.queued++
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			s.queued--
			s.notify()
			s.mu.Unlock()
		}()
	}
	for {
		s.mu.Lock()
		switch s.state {
		case Ready:
			if s.alone || (alone && s.inflight > 0) || (!alone && s.queued > 0) {
				break
			}
			s.inflight++
			s.alone = alone
			inst, gen := s.inst, s.gen
			s.mu.Unlock()
			return inst, gen, nil
		case Quarantined:
			err := host.Errorf(s.cfg.Remote.Name, method, codes.FailedPrecondition, "%w: %s; reload the estimator to try again", ErrQuarantined, s.status.LastCrash)
			s.mu.Unlock()
			return nil, 0, err
		case Closed:
			s.mu.Unlock()
			return nil, 0, host.Errorf(s.cfg.Remote.Name, method, codes.FailedPrecondition, "estimator is closed")
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, 0, host.Errorf(s.cfg.Remote.Name, method, codes.DeadlineExceeded, "waiting for the plugin to restart: %v", ctx.Err())
		}
	}
}

func (s *Supervisor) release() {
	s.mu.Lock()
	s.inflight--
	s.alone = false
	s.notify()
	s.mu.Unlock()
}

// notify wakes the callers waiting in acquire. s.mu is held.
func (s *Supervisor) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// recentCrashes drops crashes older than the window. s.mu is held.
func (s *Supervisor) recentCrashes(now time.Time) []time.Time {
	keep := s.crashes[:0]
	for _, t := range s.crashes {
		if now.Sub(t) < s.cfg.CrashWindow {
			keep = append(keep, t)
		}
	}
	s.crashes = keep
	return keep
}

// crashed reports that instance generation gen failed. The first report
// for a generation kills the instance and restarts it (or quarantines the
// estimator); later ones are ignored. It returns whether this report was
// the first.
func (s *Supervisor) crashed(gen uint64, cause string) bool {
	s.mu.Lock()
	if gen != s.gen || s.state != Ready {
		s.mu.Unlock()
		return false
	}
	inst := s.inst
	s.inst = nil
	s.gen++
	s.status.Crashes++
	s.status.LastCrash = cause
	now := time.Now()
	s.crashes = append(s.recentCrashes(now), now)
	s.log.Error("plugin failed", "cause", cause, "pid", inst.PID(), "stderr", strings.Join(inst.StderrTail(), " | "))
	switch {
	case s.unsaved:
		s.status.LastCrash = cause + " after a Fit that could not be saved (the plugin has no Save), so a restart would lose the training"
		s.setState(Quarantined, "cause", s.status.LastCrash)
	case len(s.crashes) >= s.cfg.MaxCrashes:
		s.status.LastCrash = cause + "; quarantined after " + strconv.Itoa(len(s.crashes)) + " crashes within " + s.cfg.CrashWindow.String()
		s.setState(Quarantined, "cause", s.status.LastCrash)
	default:
		s.setState(Restarting, "cause", cause)
		s.wg.Add(1)
		go s.restart(s.gen, len(s.crashes))
	}
	s.mu.Unlock()
	inst.Kill()
	return true
}

// restart starts a new instance after a backoff, retrying until one
// starts, the crash window fills (quarantine), or a reload or Close takes
// over (the generation changes).
func (s *Supervisor) restart(gen uint64, crashes int) {
	defer s.wg.Done()
	for attempt := 0; ; attempt++ {
		select {
		case <-time.After(s.backoff(crashes - 1 + attempt)):
		case <-s.stop:
			return
		}
		cfg := s.startConfig()
		inst, err := remote.Start(context.Background(), cfg)
		s.mu.Lock()
		if gen != s.gen || s.state != Restarting {
			s.mu.Unlock()
			if inst != nil {
				inst.Kill()
			}
			return
		}
		if err == nil {
			s.status.Restarts++
			s.install(inst)
			s.mu.Unlock()
			return
		}
		s.log.Error("restart failed", "attempt", attempt+1, "error", err)
		now := time.Now()
		s.status.Crashes++
		s.status.LastCrash = "restart failed: " + err.Error()
		s.crashes = append(s.recentCrashes(now), now)
		if len(s.crashes) >= s.cfg.MaxCrashes {
			s.setState(Quarantined, "cause", s.status.LastCrash)
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
	}
}

// backoff is BackoffInitial doubled k times, capped at BackoffMax, with
// jitter.
func (s *Supervisor) backoff(k int) time.Duration {
	d := s.cfg.BackoffInitial
	for i := 0; i < k && d < s.cfg.BackoffMax; i++ {
		d *= 2
	}
	d = min(d, s.cfg.BackoffMax)
	j := 1 + s.cfg.BackoffJitter*(2*rand.Float64()-1)
	return time.Duration(float64(d) * j)
}

// startConfig is the remote configuration for the next instance.
func (s *Supervisor) startConfig() remote.Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	cfg := s.cfg.Remote
	cfg.ModelPath = s.model
	return cfg
}

// Reload lifts a quarantine (or replaces a running plugin): it forgets the
// crash history and poison inputs, kills the current instance and starts a
// new one with the configured model, returning once it is ready.
func (s *Supervisor) Reload(ctx context.Context) error {
	s.mu.Lock()
	if s.state == Closed {
		s.mu.Unlock()
		return host.Errorf(s.cfg.Remote.Name, "reload", codes.FailedPrecondition, "estimator is closed")
	}
	old := s.inst
	s.inst = nil
	s.gen++
	gen := s.gen
	s.crashes = nil
	s.poison.reset()
	s.status.PoisonInputs = 0
	s.model, s.unsaved = s.cfg.Remote.ModelPath, false
	s.setState(Starting, "cause", "reload")
	s.mu.Unlock()
	if old != nil {
		old.Kill()
	}
	inst, err := remote.Start(ctx, s.cfg.Remote)
	s.mu.Lock()
	defer s.mu.Unlock()
	if gen != s.gen || s.state != Starting {
		if inst != nil {
			inst.Kill()
		}
		return host.Errorf(s.cfg.Remote.Name, "reload", codes.Aborted, "another reload or close took over")
	}
	if err != nil {
		s.status.LastCrash = "reload failed: " + err.Error()
		s.setState(Quarantined, "cause", s.status.LastCrash)
		return err
	}
	s.install(inst)
	return nil
}

// Close stops the plugin and the supervisor's goroutines.
func (s *Supervisor) Close() error {
	s.mu.Lock()
	if s.state == Closed {
		s.mu.Unlock()
		return nil
	}
	inst := s.inst
	s.inst = nil
	s.gen++
	s.setState(Closed)
	close(s.stop)
	dir := s.stateDir
	s.mu.Unlock()
	if inst != nil {
		inst.Close()
	}
	s.wg.Wait()
	if dir != "" {
		os.RemoveAll(dir)
	}
	return nil
}

func (s *Supervisor) healthLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.HealthInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		s.mu.Lock()
		inst, gen, idle := s.inst, s.gen, s.state == Ready && s.inflight == 0
		s.mu.Unlock()
		if !idle {
			continue // calls in flight have deadlines of their own
		}
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.deadline("health"))
		_, err := inst.Health(ctx)
		cancel()
		if err != nil {
			s.crashed(gen, "health check failed: "+err.Error())
		}
	}
}
