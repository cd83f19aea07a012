//go:build amd64 && !noasm

package linalg

import (
	"math/rand/v2"
	"testing"
)

// TestEachAsmKernel runs every assembly kernel the CPU supports against
// the Go kernel (the dispatcher alone would only test the best one).
func TestEachAsmKernel(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	saved512, saved2 := useAVX512, useAVX2
	defer func() { useAVX512, useAVX2 = saved512, saved2 }()
	for _, isa := range []struct {
		name         string
		avx512, avx2 bool
	}{{"avx512", true, false}, {"avx2", false, true}} {
		if (isa.avx512 && !saved512) || (isa.avx2 && !saved2) {
			t.Logf("%s: not supported by this CPU", isa.name)
			continue
		}
		useAVX512, useAVX2 = isa.avx512, isa.avx2
		for _, k := range []int{1, 3, 300} {
			for rows := 1; rows <= mr; rows++ {
				checkKernel(t, r, k, rows)
			}
		}
	}
}
