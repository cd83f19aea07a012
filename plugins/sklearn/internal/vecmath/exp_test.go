package vecmath

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// maxULP is how far Exp may be from math.Exp, in units of the last place.
const maxULP = 4

func ulps(got, want float64) float64 {
	if got == want || (math.IsNaN(got) && math.IsNaN(want)) {
		return 0
	}
	if math.IsInf(want, 0) || math.IsInf(got, 0) || math.IsNaN(got) || math.IsNaN(want) {
		return math.Inf(1)
	}
	// Subnormal results carry fewer bits: measure against the smallest
	// normal's spacing there.
	spacing := math.Max(math.Nextafter(math.Abs(want), math.Inf(1))-math.Abs(want), 0x1p-1074)
	return math.Abs(got-want) / spacing
}

func special() []float64 {
	return []float64{0, math.Copysign(0, -1), 1, -1, 1e-300, -1e-300, 0.5 * math.Ln2, -0.5 * math.Ln2,
		expLo, expHi, math.Nextafter(expLo, -1000), math.Nextafter(expHi, 1000),
		-708.39, -720, -745.2, -746, 709.78, 709.8, 710, 1000, -1000,
		math.Inf(1), math.Inf(-1), math.NaN(), math.MaxFloat64, -math.MaxFloat64}
}

func check(t *testing.T, name string, f func(dst, src []float64), src []float64) {
	t.Helper()
	dst := make([]float64, len(src))
	f(dst, src)
	for i, v := range src {
		if u := ulps(dst[i], math.Exp(v)); u > maxULP {
			t.Fatalf("%s: exp(%v) = %v, math.Exp %v (%.1f ulp)", name, v, dst[i], math.Exp(v), u)
		}
	}
	// In place gives the same values.
	in := append([]float64(nil), src...)
	f(in, in)
	for i := range in {
		if math.Float64bits(in[i]) != math.Float64bits(dst[i]) && !(math.IsNaN(in[i]) && math.IsNaN(dst[i])) {
			t.Fatalf("%s: in place exp(%v) = %v, out of place %v", name, src[i], in[i], dst[i])
		}
	}
}

// expImpls are the versions of Exp under test: as chosen at run time,
// limited to the four-wide kernel, and portable.
var expImpls = map[string]func(dst, src []float64){
	"runtime":  Exp,
	"width4":   func(dst, src []float64) { expWidth(dst, src, 4) },
	"portable": expGo,
}

// TestExp compares every version of Exp with math.Exp on random arguments
// over the whole range, on special and out-of-range values at every
// position of two blocks of eight, and on every length up to 40.
func TestExp(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for name, f := range expImpls {
		t.Run(name, func(t *testing.T) {
			for n := 0; n <= 40; n++ {
				src := make([]float64, n)
				for i := range src {
					src[i] = rng.Float64()*40 - 20
				}
				check(t, fmt.Sprintf("len %d", n), f, src)
			}
			wide := make([]float64, 100000)
			for i := range wide {
				switch i % 3 {
				case 0:
					wide[i] = rng.Float64()*(expHi-expLo) + expLo
				case 1:
					wide[i] = rng.NormFloat64() * 5
				default:
					wide[i] = (rng.Float64() - 0.5) * math.Ln2 // the reduced range
				}
			}
			check(t, "wide", f, wide)
			for _, s := range special() {
				for pos := 0; pos < 19; pos++ {
					src := make([]float64, 19)
					for i := range src {
						src[i] = float64(i%7) - 3.25
					}
					src[pos] = s
					check(t, fmt.Sprintf("%v at %d", s, pos), f, src)
				}
			}
		})
	}
}

// TestExpWidths checks that the eight- and four-wide kernels give the
// same bits over their range (blocks with other values go to math.Exp
// whole, so there the kernels' choice of block differs; TestExp covers
// them).
func TestExpWidths(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	for n := 0; n <= 200; n++ {
		src := make([]float64, n)
		for i := range src {
			src[i] = max(min(rng.NormFloat64()*200, expHi), expLo)
		}
		wide, narrow := make([]float64, n), make([]float64, n)
		Exp(wide, src)
		expWidth(narrow, src, 4)
		for i := range src {
			if math.Float64bits(wide[i]) != math.Float64bits(narrow[i]) {
				t.Fatalf("len %d: exp(%v) = %v eight-wide, %v four-wide", n, src[i], wide[i], narrow[i])
			}
		}
	}
}

func TestExpPanics(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("no panic for a short dst")
		}
	}()
	Exp(make([]float64, 2), make([]float64, 3))
}

func BenchmarkExp(b *testing.B) {
	src := make([]float64, 10000)
	for i := range src {
		src[i] = float64(i%200)/10 - 10
	}
	dst := make([]float64, len(src))
	b.Run("vecmath", func(b *testing.B) {
		for range b.N {
			Exp(dst, src)
		}
	})
	b.Run("width4", func(b *testing.B) {
		for range b.N {
			expWidth(dst, src, 4)
		}
	})
	b.Run("math", func(b *testing.B) {
		for range b.N {
			expGo(dst, src)
		}
	})
}
