package httpsource

import (
	"context"
	"sync"
	"time"
)

// pacer spaces requests at least 1/rps apart (a token bucket holding one
// token), so a burst of concurrent callers is spread out instead of sent
// at once. A zero rps means no pacing.
type pacer struct {
	interval time.Duration
	now      func() time.Time
	sleep    func(ctx context.Context, d time.Duration) error

	mu   sync.Mutex
	next time.Time // earliest start of the next request
}

func newPacer(rps float64) *pacer {
	p := &pacer{now: time.Now, sleep: sleepCtx}
	if rps > 0 {
		p.interval = time.Duration(float64(time.Second) / rps)
	}
	return p
}

// wait blocks until the caller may send, or ctx ends. A caller that gives
// up keeps its slot: the pace is never exceeded.
func (p *pacer) wait(ctx context.Context) error {
	if p.interval <= 0 {
		return nil
	}
	p.mu.Lock()
	now := p.now()
	start := p.next
	if start.Before(now) {
		start = now
	}
	p.next = start.Add(p.interval)
	p.mu.Unlock()
	if d := start.Sub(now); d > 0 {
		return p.sleep(ctx, d)
	}
	return nil
}

// sleepCtx sleeps for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
