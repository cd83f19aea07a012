package defences

import (
	"math/rand/v2"
	"sync"
)

// source is a seeded random generator safe for concurrent use. Each call
// advances it, so a run that makes the same calls in the same order
// draws the same numbers.
type source struct {
	mu  sync.Mutex
	rng *rand.Rand
}

func newSource(seed uint64) *source {
	return &source{rng: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))}
}

// with runs f holding the generator, so one call's draws are contiguous.
func (s *source) with(f func(r *rand.Rand)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s.rng)
}
