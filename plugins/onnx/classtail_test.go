package main

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/arthost/arthost/plugins/onnx/internal/autodiff"
	"github.com/arthost/arthost/sdk"
	"github.com/arthost/arthost/shared/tensor"
)

// TestClassGradTailMatchesFullPass checks the all-class gradient through
// the linear tail (one tail pass over one row per class) against the
// plain batched pass (every sample and class through every layer) on
// random inputs, for batch sizes 1, odd and larger, on every fixture
// model with a tail.
func TestClassGradTailMatchesFullPass(t *testing.T) {
	for _, name := range []string{"mlp", "cnn", "cnn2"} {
		e := newEstimator()
		d, err := e.Load(context.Background(), sdk.LoadRequest{ModelPath: filepath.Join("testdata", name+".onnx")})
		if err != nil {
			t.Fatal(err)
		}
		m := e.m
		if !m.batchLocal(d.InputShape) {
			t.Fatalf("%s: not batch-local", name)
		}
		s := m.buffers()
		if s.frontier == nil {
			t.Fatalf("%s: no linear tail found", name)
		}
		in, _ := m.g.Slot(m.input)
		k := m.nbClasses
		var fr []string
		for _, f := range s.frontier {
			fr = append(fr, m.g.Names[f])
		}
		t.Logf("%s: frontier %v", name, fr)
		r := rand.New(rand.NewPCG(1, uint64(len(name))))
		for _, n := range []int{1, 3, 17} {
			x := tensor.New(tensor.Float32, append([]int{n}, d.InputShape...)...)
			for i := range x.F32 {
				x.F32[i] = r.Float32()*2 - 0.5
			}
			xf, _ := toND(x)
			env, done, err := m.forwardKeep(xf)
			if err != nil {
				t.Fatal(err)
			}
			tiled := autodiff.Tile(m.g, env, in, k, nil)
			got, err := m.classGradTail(env, tiled, n, k)
			if err != nil {
				t.Fatal(err)
			}
			want, err := m.seedClasses(tiled, n*k, nil, k)
			if err != nil {
				t.Fatal(err)
			}
			done()
			big := 1e-6
			for _, v := range want.F {
				big = math.Max(big, math.Abs(float64(v)))
			}
			for i := range want.F {
				if d := math.Abs(float64(got.F[i] - want.F[i])); d > 1e-5*big {
					t.Fatalf("%s n=%d element %d: %g through the tail, %g without", name, n, i, got.F[i], want.F[i])
				}
			}
		}
	}
}
