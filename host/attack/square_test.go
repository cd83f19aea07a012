package attack_test

import (
	"context"
	"math"
	"testing"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/host/attack"
	"github.com/arthost/arthost/host/internal/hosttest"
	"github.com/arthost/arthost/host/remote"
	"github.com/arthost/arthost/shared/tensor"
)

// margin is the score of class c minus the best other score.
func margin(p []float64, c int) float64 {
	o := math.Inf(-1)
	for j, v := range p {
		if j != c {
			o = math.Max(o, v)
		}
	}
	return p[c] - o
}

// checkSquare runs Square Attack and checks what must hold whatever the
// random draws: the result stays within eps (inf norm) of x and within
// [0, 1]; no sample's margin grows; misclassified samples are untouched;
// accuracy falls; and the same seed gives the same result.
func checkSquare(t *testing.T, est host.Estimator, m *softmax, x tensor.Tensor, eps float64) {
	t.Helper()
	ctx := context.Background()
	p := attack.Params{Eps: eps, MaxIter: 60, Seed: 4}
	a := mustNew(t, "square", p)
	res, err := a.Generate(ctx, est, x, tensor.Tensor{})
	if err != nil {
		t.Fatal(err)
	}
	again, err := a.Generate(ctx, est, x, tensor.Tensor{})
	if err != nil {
		t.Fatal(err)
	}
	xs, adv := unflatRows(x), unflatRows(res.Adv)
	if maxDiff(adv, unflatRows(again.Adv)) != 0 {
		t.Error("same seed, different results")
	}
	if d := ballDistance(adv, xs, attack.NormInf); d > eps+1e-6 {
		t.Errorf("perturbation %v beyond eps %v", d, eps)
	}
	correct, fooled := 0, 0
	for i := range xs {
		px, pa := m.probs(xs[i]), m.probs(adv[i])
		c := argmax(px)
		for _, v := range adv[i] {
			if v < 0 || v > 1 {
				t.Fatalf("sample %d leaves [0, 1]: %v", i, v)
			}
		}
		if margin(pa, c) > margin(px, c)+1e-6 {
			t.Errorf("sample %d: margin grew from %v to %v", i, margin(px, c), margin(pa, c))
		}
		if argmax(pa) != c {
			fooled++
		} else {
			correct++
		}
	}
	if fooled == 0 {
		t.Errorf("no sample fooled at eps %v", eps)
	}
	if res.Queries < int64(len(xs)) {
		t.Errorf("queries %d, fewer than the %d samples", res.Queries, len(xs))
	}
	t.Logf("fooled %d of %d with %d queries", fooled, len(xs), res.Queries)
}

func unflatRows(t tensor.Tensor) [][]float64 {
	n := t.Rows()
	return unflat(tensor.FromFloat64(t.Float64s(), n, t.Len()/n))
}

// TestSquareOnPluginFeatures attacks the linear plugin, which is
// attacked through Predict only, on (n, features) inputs.
func TestSquareOnPluginFeatures(t *testing.T) {
	m, path := balanced(t, 8, 3, 3)
	est := hosttest.StartLinear(t, pluginDir, remote.Config{ModelPath: path})
	x, _ := data(50, 8, 8)
	checkSquare(t, est, m, flat(x, tensor.Float32), 0.1)
}

// TestSquareOnImages attacks an in-process model without gradients on
// (n, 1, 6, 6) images.
func TestSquareOnImages(t *testing.T) {
	m, _ := balanced(t, 36, 4, 6)
	m.noGrad = true
	x, _ := data(40, 36, 9)
	img := flat(x, tensor.Float64)
	img.Shape = []int{40, 1, 6, 6}
	checkSquare(t, m, m, img, 0.05)
}
