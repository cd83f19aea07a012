package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// randomTree grows a tree over d features with up to depth levels, leaves
// placed at random, thresholds drawn so inputs land on them exactly.
func randomTree(rng *rand.Rand, d, depth int, thresholds []float64) tree {
	t := tree{}
	var grow func(level int) int32
	grow = func(level int) int32 {
		i := int32(len(t.left))
		t.left, t.right = append(t.left, -1), append(t.right, -1)
		t.feature, t.threshold = append(t.feature, -2), append(t.threshold, -2)
		if level < depth && (level == 0 || rng.IntN(4) != 0) {
			t.feature[i] = int32(rng.IntN(d))
			t.threshold[i] = thresholds[rng.IntN(len(thresholds))]
			l := grow(level + 1)
			r := grow(level + 1)
			t.left[i], t.right[i] = l, r
		}
		return i
	}
	grow(0)
	t.nodes = make([]node, len(t.left))
	for i := range t.nodes {
		t.nodes[i] = node{left: t.left[i], right: t.right[i], feature: t.feature[i], threshold: t.threshold[i]}
	}
	t.flat = t.flatten()
	return t
}

// TestFlatTree checks the complete layout against the node-by-node walk
// (sklearn's comparison of the float32 input with the float64 threshold)
// on trees of every depth up to past maxFlatDepth, with inputs on, just
// beside and between thresholds, NaN and infinities, for every row count
// modulo the four rows walked together.
func TestFlatTree(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	const d = 5
	thresholds := []float64{0, 0.5, -1.25, 1e-3, 0.1, 1.0 / 3, 3.4e38, -3.4e38, 1e39, 7.000000476837158}
	var values []float64
	for _, v := range thresholds {
		f := float64(float32(v))
		values = append(values, v, f, math.Nextafter(f, math.Inf(1)), math.Nextafter(f, math.Inf(-1)),
			float64(math.Nextafter32(float32(v), float32(math.Inf(1)))), float64(math.Nextafter32(float32(v), float32(math.Inf(-1)))))
		b := bound64(v)
		values = append(values, b, math.Nextafter(b, math.Inf(1)), math.Nextafter(b, math.Inf(-1)))
	}
	values = append(values, math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1))
	for depth := 0; depth <= maxFlatDepth+2; depth++ {
		for rep := 0; rep < 3; rep++ {
			tr := randomTree(rng, d, depth, thresholds)
			if (tr.flat == nil) != tr.deeperThan(0, maxFlatDepth) {
				t.Fatalf("depth %d: flat layout %v for a tree deeper than %d: %v", depth, tr.flat != nil, maxFlatDepth, tr.deeperThan(0, maxFlatDepth))
			}
			for _, n := range []int{0, 1, 3, 4, 5, 8, 11, 300} {
				x := make([]float64, n*d)
				for i := range x {
					x[i] = values[rng.IntN(len(values))]
				}
				leaf := make([]int32, n)
				tr.leavesOf(x, d, n, leaf)
				nodes := tr.slotNodes()
				for i := 0; i < n; i++ {
					if want := tr.leaf(x[i*d : (i+1)*d]); int(nodes[leaf[i]]) != want {
						t.Fatalf("%s: row %v reaches leaf %d, want %d", fmt.Sprintf("depth %d n %d", depth, n), x[i*d:(i+1)*d], leaf[i], want)
					}
				}
			}
		}
	}
}

func TestFloor32(t *testing.T) {
	t.Parallel()
	for _, v := range []float64{0, 1, -1, 0.1, -0.1, 1.0 / 3, 3.5e38, -3.5e38, 1e-46, -1e-46} {
		f := floor32(v)
		if float64(f) > v || float64(math.Nextafter32(f, float32(math.Inf(1)))) <= v {
			t.Errorf("floor32(%v) = %v: not the largest float32 at or below", v, f)
		}
	}
}

// TestBound64 checks x <= bound64(thr) against sklearn's comparison of
// float32(x) with thr, on thresholds of both float32 significand parities,
// at the edges of the float32 range, and on x around every bound.
func TestBound64(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	thrs := []float64{0, math.Copysign(0, -1), 1, -1, 0.1, -0.1, 1.0 / 3, 1 + 0x1p-23, 1 + 0x1p-24, -(1 + 0x1p-23),
		math.MaxFloat32, -math.MaxFloat32, 3.5e38, -3.5e38, 1e300, -1e300, 1e-45, -1e-45, 1e-300, 0x1p-149, 0x1p-150}
	for range 2000 {
		thrs = append(thrs, rng.NormFloat64()*math.Exp2(float64(rng.IntN(60)-30)))
	}
	for _, thr := range thrs {
		b := bound64(thr)
		xs := []float64{b, math.Nextafter(b, math.Inf(1)), math.Nextafter(b, math.Inf(-1)), thr,
			math.Nextafter(thr, math.Inf(1)), math.Nextafter(thr, math.Inf(-1)), math.Inf(1), math.Inf(-1), math.NaN()}
		for range 20 {
			xs = append(xs, thr*(1+rng.NormFloat64()*0x1p-22))
		}
		for _, x := range xs {
			if want, got := float64(float32(x)) <= thr, x <= b; got != want {
				t.Fatalf("thr %v, x %v: x <= bound64 %v is %v, float32 comparison %v", thr, x, b, got, want)
			}
		}
	}
}
