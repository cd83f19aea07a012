package defences

import (
	"slices"
	"sync"
	"testing"

	"github.com/arthost/arthost/shared/tensor"
)

func TestBoundBroadcast(t *testing.T) {
	// numpy broadcasting against the trailing axes of a sample.
	for _, c := range []struct {
		b      bound
		sample []int
		want   []float64
		err    bool
	}{
		{bound{v: []float64{7}}, []int{2, 2}, []float64{7, 7, 7, 7}, false},
		{bound{v: []float64{1, 2, 3}, shape: []int{3}}, []int{2, 3}, []float64{1, 2, 3, 1, 2, 3}, false},
		{bound{v: []float64{1, 2}, shape: []int{2, 1}}, []int{2, 3}, []float64{1, 1, 1, 2, 2, 2}, false},
		{bound{v: []float64{1, 2}, shape: []int{2, 1}}, []int{4, 2, 1}, []float64{1, 2, 1, 2, 1, 2, 1, 2}, false},
		{bound{v: []float64{1, 2}, shape: []int{2}}, []int{2, 3}, nil, true},
		{bound{v: []float64{1, 2, 3, 4}, shape: []int{2, 2}}, []int{2}, nil, true},
	} {
		got, err := c.b.expand(c.sample)
		if (err != nil) != c.err || !slices.Equal(got, c.want) {
			t.Errorf("%v against %v: %v %v, want %v (error %v)", c.b, c.sample, got, err, c.want, c.err)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	// Run under -race: defences hold no unguarded state and leave their
	// input alone.
	noise := mustPost(t, "gaussian_noise", nil)
	aug := mustPre(t, "gaussian_augmentation", map[string]any{"augmentation": false})
	x := tensor.New(tensor.Float32, 4, 3)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := noise.Apply(x); err != nil {
				t.Error(err)
			}
			if _, _, err := aug.Forward(x, tensor.Tensor{}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if slices.ContainsFunc(x.F32, func(v float32) bool { return v != 0 }) {
		t.Fatal("input modified")
	}
}
