package dense

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// BenchmarkMulSub: square products, this package against gonum's Dgemm.
func BenchmarkMulSub(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, n := range []int{200, 1000} {
		x, y, c := randGeneral(rng, n, n, 0), randGeneral(rng, n, n, 0), randGeneral(rng, n, n, 0)
		b.Run(fmt.Sprintf("n=%d/dense", n), func(b *testing.B) {
			for b.Loop() {
				MulSub(c, x, false, y, true)
			}
		})
		b.Run(fmt.Sprintf("n=%d/gonum", n), func(b *testing.B) {
			for b.Loop() {
				blas64.Gemm(blas.NoTrans, blas.Trans, -1, x, y, 1, c)
			}
		})
	}
}

// BenchmarkCholesky: factorisation of an SPD matrix, against gonum's Dpotrf
// (through blas64.Trsm-free lapack64.Potrf is not imported here; see
// BenchmarkSolveRight for the solve).
func BenchmarkCholesky(b *testing.B) {
	rng := rand.New(rand.NewPCG(2, 2))
	for _, n := range []int{200, 2000} {
		a := spd(rng, n, 0)
		w := clone(a)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			start := cpuNs()
			for b.Loop() {
				copy(w.Data, a.Data)
				Cholesky(w)
			}
			reportCPU(b, start)
		})
	}
}

// BenchmarkSolveRight: 1000 right-hand sides against an n x n factor,
// this package against gonum's Dtrsm.
func BenchmarkSolveRight(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, n := range []int{200, 2000} {
		l, _ := Cholesky(spd(rng, n, 0))
		x := randGeneral(rng, 1000, n, 0)
		w := clone(x)
		b.Run(fmt.Sprintf("n=%d/dense", n), func(b *testing.B) {
			start := cpuNs()
			for b.Loop() {
				copy(w.Data, x.Data)
				SolveRightLowerT(l, w)
			}
			reportCPU(b, start)
		})
		b.Run(fmt.Sprintf("n=%d/gonum", n), func(b *testing.B) {
			for b.Loop() {
				copy(w.Data, x.Data)
				blas64.Trsm(blas.Right, blas.Trans, 1, l, w)
			}
		})
	}
}

// BenchmarkTiles: one-goroutine 500^3 product under each micro-kernel.
func BenchmarkTiles(b *testing.B) {
	rng := rand.New(rand.NewPCG(4, 4))
	x, y, c := randGeneral(rng, 500, 500, 0), randGeneral(rng, 500, 500, 0), randGeneral(rng, 500, 500, 0)
	saved := tile
	defer func() { tile = saved }()
	for _, ts := range tileShapes() {
		b.Run(fmt.Sprintf("%dx%d/asm=%v", ts.mr, ts.nr, ts.asm != nil), func(b *testing.B) {
			tile = ts
			start := cpuNs()
			for b.Loop() {
				mulSubSerial(c, x, false, y, true)
			}
			reportCPU(b, start)
		})
	}
}

// cpuNs returns the process's user+system CPU time in nanoseconds: on a
// shared machine it measures the work done, not the time waited.
func cpuNs() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// reportCPU adds a cpu-ns/op metric measured since start.
func reportCPU(b *testing.B, start int64) {
	b.ReportMetric(float64(cpuNs()-start)/float64(b.N), "cpu-ns/op")
}
