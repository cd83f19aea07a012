package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// TestTreeTableLayout pins the field offsets gbwalk_amd64.s reads.
func TestTreeTableLayout(t *testing.T) {
	t.Parallel()
	var tt treeTable
	got := []uintptr{unsafe.Offsetof(tt.depth), unsafe.Offsetof(tt.first), unsafe.Offsetof(tt.feat),
		unsafe.Offsetof(tt.bound), unsafe.Offsetof(tt.value)}
	if fmt.Sprint(got) != fmt.Sprint([]uintptr{0, 8, 16, 144, 272}) {
		t.Fatalf("treeTable offsets %v, the assembly expects [0 8 16 144 272]", got)
	}
}

// TestTreeTableAdd checks add (the AVX-512 walk where the CPU has it) and
// addGo against the node-by-node walk of sklearn's float32 comparison, on
// random trees of depth 0 to maxTableDepth, inputs on and beside the
// thresholds, NaN and infinities, for every row count modulo 8. The sums
// must match exactly: the same leaf values are added in the same order.
func TestTreeTableAdd(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	const d = 7
	thresholds := []float64{0, 0.5, -1.25, 1e-3, 0.1, 1.0 / 3, 3.4e38, -3.4e38, 7.000000476837158}
	var values []float64
	for _, v := range thresholds {
		f := float64(float32(v))
		b := bound64(v)
		values = append(values, v, f, math.Nextafter(f, math.Inf(1)), math.Nextafter(f, math.Inf(-1)),
			b, math.Nextafter(b, math.Inf(1)))
	}
	values = append(values, math.NaN(), math.Inf(1), math.Inf(-1))
	for depth := 0; depth <= maxTableDepth; depth++ {
		for rep := 0; rep < 4; rep++ {
			tr := randomTree(rng, d, depth, thresholds)
			leafValue := make([]float64, len(tr.left))
			for i := range leafValue {
				leafValue[i] = rng.NormFloat64()
			}
			tab := newTreeTable(tr.flat, tr.bySlot(leafValue, 1))
			if tab == nil {
				t.Fatalf("depth %d: no table", depth)
			}
			for _, n := range []int{0, 1, 7, 8, 9, 16, 23, 128, 131} {
				x := make([]float64, n*d)
				for i := range x {
					x[i] = values[rng.IntN(len(values))]
				}
				init := make([]float64, n)
				for i := range init {
					init[i] = rng.NormFloat64()
				}
				got, port := append([]float64(nil), init...), append([]float64(nil), init...)
				tab.add(x, d, n, got)
				tab.addGo(x, d, n, port)
				for i := 0; i < n; i++ {
					want := init[i] + leafValue[tr.leaf(x[i*d:(i+1)*d])]
					if got[i] != want || port[i] != want {
						t.Fatalf("depth %d n %d row %d %v: add %v, addGo %v, want %v", depth, n, i, x[i*d:(i+1)*d], got[i], port[i], want)
					}
				}
			}
		}
	}
	for range 10 {
		deep := randomTree(rng, d, maxTableDepth+1, thresholds)
		if deep.deeperThan(0, maxTableDepth) && newTreeTable(deep.flat, make([]float64, 1<<(maxTableDepth+1))) != nil {
			t.Fatal("a table for a tree deeper than maxTableDepth")
		}
	}
}
