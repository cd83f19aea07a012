package supervise_test

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/host/remote"
	"github.com/arthost/arthost/host/supervise"
)

// BenchmarkPredict compares a supervised call with a bare remote one: the
// supervisor's cost per call (locking, deadline context).
func BenchmarkPredict(b *testing.B) {
	x := input(8, 0.1, 1)
	rc := remote.Config{Name: "faulty", Plugin: "faulty", Path: filepath.Join(pluginDir, "arthost-plugin-faulty")}
	run := func(b *testing.B, e host.Estimator) {
		ctx := context.Background()
		for b.Loop() {
			if _, err := e.Predict(ctx, x, false); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("remote", func(b *testing.B) {
		e, err := remote.Start(context.Background(), rc)
		if err != nil {
			b.Fatal(err)
		}
		defer e.Close()
		run(b, e)
	})
	b.Run("supervised", func(b *testing.B) {
		s, err := supervise.New(context.Background(), supervise.Config{Remote: rc})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		run(b, s)
	})
}

// BenchmarkRestart measures the time from a plugin's death (SIGKILL) to a
// ready replacement with the backoff set to 1ns: exit detection, process
// start, handshake (with AutoMTLS) and Load.
func BenchmarkRestart(b *testing.B) {
	s, err := supervise.New(context.Background(), supervise.Config{
		Remote:         remote.Config{Name: "faulty", Plugin: "faulty", Path: filepath.Join(pluginDir, "arthost-plugin-faulty")},
		BackoffInitial: time.Nanosecond, BackoffMax: time.Nanosecond, MaxCrashes: 1 << 30,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for b.Loop() {
		before := s.Status()
		syscall.Kill(before.PID, syscall.SIGKILL)
		for st := s.Status(); st.Restarts == before.Restarts || st.State != supervise.Ready; st = s.Status() {
			time.Sleep(100 * time.Microsecond)
		}
	}
}
