package supervise_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/host/supervise"
)

// TestSoak runs concurrent callers against a plugin that exits every K-th
// call. Every call must end with a correct answer or a clear error, the
// counts must add up, and goroutines and heap must not grow between two
// equal rounds.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("soak test")
	}
	const (
		callers = 4
		perCall = 60 // calls per caller per round
		k       = 10 // the plugin exits on every k-th call it serves
	)
	s, _ := startFaulty(t, map[string]string{"fault": "exit", "after": "9"}, supervise.Config{
		MaxCrashes: 1 << 20, BackoffInitial: 5 * time.Millisecond, BackoffMax: 20 * time.Millisecond,
	})
	var answers, errs atomic.Int64
	round := func(r int) {
		var wg sync.WaitGroup
		for c := 0; c < callers; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < perCall; i++ {
					x := input(2, float64(r*100000+c*1000+i)/1e6, float64(i))
					y, err := s.Predict(context.Background(), x, false)
					if err != nil {
						if msg := err.Error(); host.Code(err) != codes.Unavailable && !errors.Is(err, supervise.ErrPoisonInput) || !strings.Contains(msg, "faulty") {
							t.Errorf("unclear error: %v", err)
						}
						errs.Add(1)
						continue
					}
					if err := answerError(x, y); err != nil {
						t.Errorf("wrong answer: %v", err)
					}
					answers.Add(1)
				}
			}()
		}
		wg.Wait()
		waitState(t, s, supervise.Ready)
	}
	measure := func() (int, uint64) {
		time.Sleep(100 * time.Millisecond) // let exited goroutines finish
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return runtime.NumGoroutine(), m.HeapAlloc
	}
	round(0)
	g1, h1 := measure()
	round(1)
	g2, h2 := measure()
	st := s.Status()
	calls := int64(2 * callers * perCall)
	t.Logf("soak: calls %d, answers %d, errors %d, crashes %d, restarts %d, poison %d; goroutines %d -> %d, heap %d KiB -> %d KiB",
		calls, answers.Load(), errs.Load(), st.Crashes, st.Restarts, st.PoisonInputs, g1, g2, h1>>10, h2>>10)
	if answers.Load()+errs.Load() != calls {
		t.Fatalf("answers %d + errors %d != calls %d", answers.Load(), errs.Load(), calls)
	}
	// Each process serves k-1 calls and dies on the k-th, so at least
	// calls/k crashes happened, each followed by one restart.
	if st.Crashes < int(calls)/k || st.Restarts != st.Crashes {
		t.Fatalf("crashes %d, restarts %d: want at least %d crashes, each restarted", st.Crashes, st.Restarts, calls/k)
	}
	if g2 > g1+5 {
		t.Fatalf("goroutines grew from %d to %d", g1, g2)
	}
	if h2 > h1+8<<20 {
		t.Fatalf("heap grew from %d to %d bytes", h1, h2)
	}
}
