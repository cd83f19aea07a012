package supervise

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/shared/tensor"
)

func TestBackoff(t *testing.T) {
	s := &Supervisor{cfg: Config{BackoffInitial: 100 * time.Millisecond, BackoffMax: time.Second, BackoffJitter: 0.2}}
	for k, want := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		want *= time.Millisecond
		lo, hi := time.Duration(float64(want)*0.8), time.Duration(float64(want)*1.2)
		seen := map[time.Duration]bool{}
		for i := 0; i < 50; i++ {
			d := s.backoff(k)
			if d < lo || d > hi {
				t.Fatalf("backoff(%d) = %v, want within %v..%v", k, d, lo, hi)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Fatalf("backoff(%d) has no jitter", k)
		}
	}
}

func TestConfigRejects(t *testing.T) {
	for name, c := range map[string]Config{
		"max below initial": {BackoffInitial: time.Second, BackoffMax: time.Millisecond},
		"jitter 1":          {BackoffJitter: 1},
		"negative crashes":  {MaxCrashes: -1},
		"zero deadline":     {Deadlines: map[string]time.Duration{"predict": -time.Second}},
	} {
		if err := c.defaults(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestPoisonMemory(t *testing.T) {
	p := newPoisonMemory(4)
	a := newRequest("predict", []int64{0}, tensor.FromFloat64([]float64{1, 2}, 1, 2)).digest()
	b := newRequest("predict", []int64{1}, tensor.FromFloat64([]float64{1, 2}, 1, 2)).digest()
	c := newRequest("predict", []int64{0}, tensor.FromFloat32([]float32{1, 2}, 1, 2)).digest()
	if a == b || a == c {
		t.Fatal("different requests share a digest")
	}
	if p.strike(a, false) || p.strike(a, false) {
		t.Fatal("crashes with others in flight made the input poison")
	}
	if !p.strike(a, true) {
		t.Fatal("a crash with the input alone, after one before, is poison")
	}
	p.strike(b, false)
	p.clean(b)
	if p.strike(b, true) {
		t.Fatal("an input answered between crashes is poison")
	}
	for i := 0; i < 100; i++ {
		d := newRequest("predict", []int64{int64(i)}).digest()
		p.strike(d, false)
		p.strike(d, true)
	}
	if len(p.strikes) > 4 || len(p.poison) > 4 {
		t.Fatalf("memory holds %d strikes and %d poison, limit 4", len(p.strikes), len(p.poison))
	}
}

func TestMemberFailure(t *testing.T) {
	cases := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{host.Errorf("m", "predict", codes.Unavailable, "crashed"), true},
		{host.Errorf("m", "predict", codes.DeadlineExceeded, "hung"), true},
		{host.Errorf("m", "predict", codes.FailedPrecondition, "%w", ErrQuarantined), true},
		{host.Errorf("m", "predict", codes.InvalidArgument, "%w", ErrPoisonInput), true},
		{fmt.Errorf("ensemble: %w", host.Errorf("m", "predict", codes.Internal, "panicked")), true},
		{host.Errorf("m", "predict", codes.InvalidArgument, "shape [2 5]"), false},
		{host.Errorf("m", "predict", codes.Unimplemented, "no gradients"), false},
		{context.Canceled, false},
		{errors.New("other"), false},
	}
	for _, c := range cases {
		if got := MemberFailure(c.err); got != c.want {
			t.Errorf("MemberFailure(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
