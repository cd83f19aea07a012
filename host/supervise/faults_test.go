package supervise_test

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/host/remote"
	"github.com/arthost/arthost/host/supervise"
	"github.com/arthost/arthost/shared/tensor"
)

// TestFaults injects each fault on the third call. For the crashing faults
// the documented outcome is a correct answer: the supervisor detects the
// failure, restarts the plugin and retries the call once.
func TestFaults(t *testing.T) {
	cases := []struct {
		fault   string
		opts    map[string]string
		restart bool // the plugin is replaced
		cause   string
		// deadline for predict (default 1s); filling the memory limit can
		// take longer on a loaded machine.
		deadline time.Duration
		logged   string // in the host's log, from the plugin's stderr
	}{
		{fault: "panic", restart: true, cause: "exit status 2", logged: "faulty: injected panic"},
		{fault: "exit", restart: true, cause: "exit status 3"},
		{fault: "segv", restart: true, cause: "signal: segmentation fault"},
		{fault: "hang", restart: true, cause: "hung"},
		{fault: "oom", restart: true, cause: "exit status 2", deadline: time.Minute, logged: "out of memory"},
		{fault: "slow", opts: map[string]string{"delay": "3s"}, restart: true, cause: "hung"},
		{fault: "slow", opts: map[string]string{"delay": "50ms"}},
		{fault: "garbage-log"},
	}
	for _, c := range cases {
		name := c.fault
		if c.opts != nil {
			name += "/" + c.opts["delay"]
		}
		t.Run(name, func(t *testing.T) {
			opts := map[string]string{"fault": c.fault, "after": "2"}
			for k, v := range c.opts {
				opts[k] = v
			}
			deadline := c.deadline
			if deadline == 0 {
				deadline = time.Second
			}
			s, logs := startFaulty(t, opts, supervise.Config{
				Deadlines: map[string]time.Duration{"predict": deadline},
				Remote:    remote.Config{MemoryLimit: 384 << 20},
			})
			pid := s.Status().PID
			ctx := context.Background()
			for i := 0; i < 4; i++ {
				x := input(3, 0.1*float64(i), float64(i))
				y, err := s.Predict(ctx, x, false)
				if err != nil {
					t.Fatalf("call %d: %v", i+1, err)
				}
				checkAnswer(t, x, y)
			}
			st := s.Status()
			if !c.restart {
				if st.Crashes != 0 || st.PID != pid {
					t.Fatalf("status %+v: want no crash and pid %d", st, pid)
				}
				return
			}
			if st.Crashes != 1 || st.Restarts != 1 || st.PID == pid || st.State != supervise.Ready {
				t.Fatalf("status %+v: want 1 crash, 1 restart, a new pid (old %d), ready", st, pid)
			}
			if !strings.Contains(st.LastCrash, c.cause) {
				t.Fatalf("last crash %q does not mention %q", st.LastCrash, c.cause)
			}
			if out := logs.String(); !strings.Contains(out, "plugin failed") || !strings.Contains(out, c.logged) {
				t.Fatalf("no crash (or no %q) in the log:\n%s", c.logged, out)
			}
		})
	}
}

// TestGarbageLogIsContained checks what the host logged of garbage stderr:
// the long line truncated, binary bytes replaced, the burst rate-limited.
func TestGarbageLogIsContained(t *testing.T) {
	s, logs := startFaulty(t, map[string]string{"fault": "garbage-log", "after": "0"}, supervise.Config{})
	x := input(2, 0.3, 1)
	y, err := s.Predict(context.Background(), x, false)
	if err != nil {
		t.Fatal(err)
	}
	checkAnswer(t, x, y)
	s.Close()
	out := logs.String()
	for _, want := range []string{"…(truncated)", "binary ?", "plugin log lines dropped", "truncated", "pid="} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if len(line) > 10<<10 {
			t.Fatalf("a logged line has %d bytes", len(line))
		}
	}
}

// TestPoisonInput: an input that crashes the plugin twice fails as poison
// and is then refused without reaching the plugin; other inputs still work.
func TestPoisonInput(t *testing.T) {
	s, _ := startFaulty(t, map[string]string{"fault": "exit", "after": "1000", "poison": "0.5"}, supervise.Config{})
	ctx := context.Background()
	bad := input(2, 0.5, 7)
	_, err := s.Predict(ctx, bad, false)
	if !errors.Is(err, supervise.ErrPoisonInput) || host.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "poison input") {
		t.Fatalf("first poison call: %v, want a poison-input error", err)
	}
	waitState(t, s, supervise.Ready)
	_, err = s.Predict(ctx, bad.Clone(), false)
	if !errors.Is(err, supervise.ErrPoisonInput) {
		t.Fatalf("second poison call: %v, want refused as poison", err)
	}
	good := input(2, 0.25, 7)
	y, err := s.Predict(ctx, good, false)
	if err != nil {
		t.Fatal(err)
	}
	checkAnswer(t, good, y)
	if st := s.Status(); st.Crashes != 2 || st.PoisonInputs != 2 {
		t.Fatalf("status %+v: want 2 crashes (the refused call sent nothing) and 2 poison refusals", st)
	}
}

// TestFitNeverRetried: a crash during Fit fails the call, is not retried,
// and the restarted plugin answers the next query.
func TestFitNeverRetried(t *testing.T) {
	s, _ := startFaulty(t, map[string]string{"fault": "exit", "after": "1000", "poison": "0.5"}, supervise.Config{})
	ctx := context.Background()
	labels := tensor.FromInt64([]int64{0, 1}, 2)
	err := s.Fit(ctx, input(2, 0.5, 3), labels, host.FitOptions{Epochs: 1})
	if host.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "fit is never retried") {
		t.Fatalf("fit: %v, want Unavailable saying fit is not retried", err)
	}
	if st := waitState(t, s, supervise.Ready); st.Crashes != 1 {
		t.Fatalf("status %+v: want exactly 1 crash (no retry)", st)
	}
	x := input(1, 0.2, 4)
	out, err := s.Predict(ctx, x, false)
	if err != nil {
		t.Fatal(err)
	}
	checkAnswer(t, x, out)
}

// TestQuarantineAndReload: crashes past the limit quarantine the
// estimator; calls fail at once until Reload.
func TestQuarantineAndReload(t *testing.T) {
	s, logs := startFaulty(t, map[string]string{"fault": "exit", "after": "1000", "poison": "0.5"}, supervise.Config{MaxCrashes: 2, CrashWindow: time.Minute})
	ctx := context.Background()
	if _, err := s.Predict(ctx, input(1, 0.5, 1), false); !errors.Is(err, supervise.ErrPoisonInput) {
		t.Fatalf("crashing call: %v", err)
	}
	st := waitState(t, s, supervise.Quarantined)
	if !strings.Contains(st.LastCrash, "quarantined after 2 crashes") {
		t.Fatalf("last crash %q", st.LastCrash)
	}
	x := input(1, 0.1, 1)
	if _, err := s.Predict(ctx, x, false); !errors.Is(err, supervise.ErrQuarantined) || host.Code(err) != codes.FailedPrecondition {
		t.Fatalf("call while quarantined: %v", err)
	}
	if err := s.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	y, err := s.Predict(ctx, x, false)
	if err != nil {
		t.Fatal(err)
	}
	checkAnswer(t, x, y)
	if !strings.Contains(logs.String(), "state=quarantined") {
		t.Fatalf("no quarantine in the log:\n%s", logs)
	}
}

// TestRestartWithoutCall: a plugin killed between calls is restarted by
// the exit watcher, before anyone calls.
func TestRestartWithoutCall(t *testing.T) {
	s, _ := startFaulty(t, nil, supervise.Config{})
	pid := s.Status().PID
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for st := s.Status(); st.Restarts == 0 || st.State != supervise.Ready; st = s.Status() {
		if time.Now().After(deadline) {
			t.Fatalf("no restart: %+v", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if st := s.Status(); !strings.Contains(st.LastCrash, "signal: killed") || st.PID == pid {
		t.Fatalf("status %+v", st)
	}
}

// TestHealthFindsHang: a call whose caller gives up first leaves the
// plugin hung; the periodic deep health check finds it and restarts it.
func TestHealthFindsHang(t *testing.T) {
	s, _ := startFaulty(t, map[string]string{"fault": "hang", "after": "0"}, supervise.Config{
		HealthInterval: 100 * time.Millisecond,
		Deadlines:      map[string]time.Duration{"health": 300 * time.Millisecond},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := s.Predict(ctx, input(1, 0.1, 1), false)
	if err == nil {
		t.Fatal("hung call answered")
	}
	deadline := time.Now().Add(10 * time.Second)
	for st := s.Status(); st.Restarts == 0; st = s.Status() {
		if time.Now().After(deadline) {
			t.Fatalf("hang not found by health: %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st := s.Status(); !strings.Contains(st.LastCrash, "health check failed") {
		t.Fatalf("last crash %q, want a failed health check", st.LastCrash)
	}
}

// TestFitSurvivesRestart: after a Fit, a crash must not bring back the
// untrained model; the restarted plugin loads the saved trained one.
func TestFitSurvivesRestart(t *testing.T) {
	s, _ := startFaulty(t, nil, supervise.Config{})
	ctx := context.Background()
	x := input(4, 0.3, 2)
	if err := s.Fit(ctx, x, tensor.FromInt64([]int64{2, 2, 2, 2}, 4), host.FitOptions{Epochs: 20}); err != nil {
		t.Fatal(err)
	}
	trained, err := s.Predict(ctx, x, false)
	if err != nil {
		t.Fatal(err)
	}
	if answerError(x, trained) == nil {
		t.Fatal("fit did not change the model")
	}
	pid := s.Status().PID
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for st := s.Status(); st.Restarts == 0 || st.State != supervise.Ready; st = s.Status() {
		if time.Now().After(deadline) {
			t.Fatalf("no restart: %+v", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
	again, err := s.Predict(ctx, x, false)
	if err != nil {
		t.Fatal(err)
	}
	for i := range trained.F64 {
		if again.F64[i] != trained.F64[i] {
			t.Fatalf("after the restart predict[%d] = %v, trained model gave %v", i, again.F64[i], trained.F64[i])
		}
	}
}

// TestNoPartialAnswer: a crash in the last chunk of a chunked call gives
// an error, never the chunks answered before it. (With after=2 and three
// one-row chunks the retry crashes at the same place, so the input ends up
// poison.)
func TestNoPartialAnswer(t *testing.T) {
	s, _ := startFaulty(t, map[string]string{"fault": "exit", "after": "2"}, supervise.Config{Remote: remote.Config{BatchSize: 1}})
	out, err := s.Predict(context.Background(), input(3, 0.1, 1), false)
	if !errors.Is(err, supervise.ErrPoisonInput) {
		t.Fatalf("got %v, want the poison-input error", err)
	}
	if out.Len() != 0 {
		t.Fatalf("a failed call returned %d values", out.Len())
	}
}
