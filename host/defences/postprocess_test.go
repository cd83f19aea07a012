package defences

import (
	"math"
	"slices"
	"testing"

	"github.com/arthost/arthost/shared/tensor"
)

func TestClassLabelsBatch(t *testing.T) {
	// Rows with different argmaxes keep their own (ART marks 0 and 2 in
	// every row here); ties go to the first column.
	p := mustPost(t, "class_labels", nil)
	preds := tensor.FromFloat32([]float32{
		0.7, 0.2, 0.1,
		0.1, 0.3, 0.6,
		0.4, 0.4, 0.2,
		-3, 5, 1,
	}, 4, 3)
	got, err := p.Apply(preds)
	if err != nil {
		t.Fatal(err)
	}
	if got.DType != tensor.Float32 {
		t.Fatalf("dtype %v", got.DType)
	}
	near(t, "one-hot", got, []int{4, 3}, []float64{1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0}, 0)
	got, _ = p.Apply(tensor.FromFloat64([]float64{0.2, 0.5, 0.51}, 3, 1))
	near(t, "one column", got, []int{3, 1}, []float64{0, 0, 1}, 0)
}

func TestHighConfidence(t *testing.T) {
	p := mustPost(t, "high_confidence", map[string]any{"cutoff": 0.3})
	got, err := p.Apply(tensor.FromFloat64([]float64{0.1, 0.3, 0.6, 0.29999, 0.5, 0.20001}, 2, 3))
	if err != nil {
		t.Fatal(err)
	}
	near(t, "cut", got, []int{2, 3}, []float64{0, 0.3, 0.6, 0, 0.5, 0}, 0)
	// float32(0.7) is below 0.7 in float64 but equal in float32, where
	// numpy compares: it stays (numpy: float32 array < 0.7 is False).
	got, _ = mustPost(t, "high_confidence", map[string]any{"cutoff": 0.7}).Apply(tensor.FromFloat32([]float32{0.7, 0.69}, 1, 2))
	if got.F32[0] != 0.7 || got.F32[1] != 0 {
		t.Fatalf("float32 cut: %v", got.F32)
	}
}

func TestReverseSigmoidART(t *testing.T) {
	// ART's published test numbers, in both dtypes.
	in := []float64{0.12109935, 0.0498215, 0.0993958, 0.06410096, 0.11366928, 0.04645343, 0.06419807, 0.30685693, 0.07616714, 0.05823757}
	want := []float64{0.10733664, 0.07743666, 0.09712707, 0.08230411, 0.10377649, 0.0764482, 0.08234023, 0.20600921, 0.08703023, 0.08019119}
	p := mustPost(t, "reverse_sigmoid", map[string]any{"beta": 1.0, "gamma": 0.1})
	for _, d := range []tensor.DType{tensor.Float64, tensor.Float32} {
		got, err := p.Apply(tensor.FromFloat64(slices.Clone(in), 1, 10).As(d))
		if err != nil {
			t.Fatal(err)
		}
		if got.DType != d {
			t.Fatalf("dtype %v", got.DType)
		}
		near(t, "ART "+d.String(), got, []int{1, 10}, want, 1e-6)
	}
	var bin struct {
		Beta, Gamma float64
		X, Want     array
	}
	fixture(t, "reverse_sigmoid_binary", &bin)
	pb := mustPost(t, "reverse_sigmoid", map[string]any{"beta": bin.Beta, "gamma": bin.Gamma})
	got, err := pb.Apply(bin.X.tensor())
	if err != nil {
		t.Fatal(err)
	}
	near(t, "binary", got, bin.Want.Shape, bin.Want.Values, 1e-12)
}

func TestRounded(t *testing.T) {
	var c struct {
		Decimals                    int
		X, Want64, Want32, Want32_5 array
	}
	fixture(t, "rounded", &c)
	p := mustPost(t, "rounded", map[string]any{"decimals": c.Decimals})
	got, err := p.Apply(c.X.tensor())
	if err != nil {
		t.Fatal(err)
	}
	near(t, "numpy.around float64", got, c.Want64.Shape, c.Want64.Values, 0)
	got, _ = p.Apply(c.X.tensor().As(tensor.Float32))
	near(t, "numpy.around float32", got, c.Want32.Shape, c.Want32.Values, 0)
	got, _ = mustPost(t, "rounded", map[string]any{"decimals": 5}).Apply(c.X.tensor().As(tensor.Float32))
	near(t, "numpy.around float32, 5 decimals", got, c.Want32_5.Shape, c.Want32_5.Values, 0)
}

func TestGaussianNoise(t *testing.T) {
	const n, k, scale = 4000, 3, 0.05
	probs := tensor.New(tensor.Float64, n, k)
	logits := tensor.New(tensor.Float64, n, k)
	for i := 0; i < n; i++ {
		copy(probs.F64[i*k:], []float64{0.6, 0.3, 0.1})
		copy(logits.F64[i*k:], []float64{2, -1, 0.5})
	}
	// Logits: plain additive noise of the given scale.
	got, err := mustPost(t, "gaussian_noise", map[string]any{"scale": scale}).Apply(logits)
	if err != nil {
		t.Fatal(err)
	}
	var sum, sq float64
	for i, v := range got.F64 {
		d := v - logits.F64[i]
		sum += d
		sq += d * d
	}
	m := float64(n * k)
	if mean, sd := sum/m, math.Sqrt(sq/m); math.Abs(mean) > 5*scale/math.Sqrt(m) || math.Abs(sd-scale) > 5*scale/math.Sqrt(2*m) {
		t.Fatalf("noise mean %v sd %v, want 0 and %v", mean, sd, scale)
	}
	// Probabilities stay probabilities and keep their mean.
	p := mustPost(t, "gaussian_noise", map[string]any{"scale": scale, "seed": 3})
	got, err = p.Apply(probs.As(tensor.Float32))
	if err != nil || got.DType != tensor.Float32 {
		t.Fatal(err, got.DType)
	}
	var col [k]float64
	for i := 0; i < n; i++ {
		s := 0.0
		for j := 0; j < k; j++ {
			v := float64(got.F32[i*k+j])
			if v < 0 {
				t.Fatalf("row %d: negative %v", i, v)
			}
			s += v
			col[j] += v / n
		}
		if math.Abs(s-1) > 1e-6 {
			t.Fatalf("row %d sums to %v", i, s)
		}
	}
	for j, want := range []float64{0.6, 0.3, 0.1} {
		if math.Abs(col[j]-want) > 0.01 {
			t.Fatalf("column %d mean %v, want about %v", j, col[j], want)
		}
	}
	// Seeded and advancing.
	again, _ := mustPost(t, "gaussian_noise", map[string]any{"scale": scale, "seed": 3}).Apply(probs.As(tensor.Float32))
	next, _ := p.Apply(probs.As(tensor.Float32))
	if !slices.Equal(again.F32, got.F32) || slices.Equal(next.F32, got.F32) {
		t.Fatal("not seeded, or repeats itself")
	}
	// One column: negatives become 0; an all-zero row becomes uniform.
	one, _ := mustPost(t, "gaussian_noise", map[string]any{"scale": 10}).Apply(tensor.FromFloat64(make([]float64, 50), 50, 1))
	zeros := 0
	for _, v := range one.F64 {
		if v < 0 {
			t.Fatal("negative value with one column")
		}
		if v == 0 {
			zeros++
		}
	}
	if zeros == 0 {
		t.Fatal("no negative draw clipped in 50")
	}
	flat, _ := mustPost(t, "gaussian_noise", map[string]any{"scale": 100}).Apply(tensor.FromFloat64([]float64{0.5, 0.5, 0, 1, 1, 0, 0.5, 0.5, 0.5, 0.5}, 5, 2))
	for i := 0; i < 5; i++ {
		if r := flat.F64[2*i : 2*i+2]; math.Abs(r[0]+r[1]-1) > 1e-12 {
			t.Fatalf("row %d: %v", i, r)
		}
	}
}

func TestPostprocessorBadInput(t *testing.T) {
	for _, name := range []string{"class_labels", "gaussian_noise", "high_confidence", "reverse_sigmoid", "rounded"} {
		p := mustPost(t, name, nil)
		for what, x := range map[string]tensor.Tensor{
			"int": tensor.FromInt64([]int64{1, 2}, 1, 2), "rank 1": tensor.New(tensor.Float64, 3),
			"rank 3": tensor.New(tensor.Float64, 1, 2, 2), "no columns": tensor.New(tensor.Float64, 2, 0),
			"invalid": {DType: tensor.Float32, Shape: []int{2, 2}},
		} {
			if _, err := p.Apply(x); err == nil {
				t.Errorf("%s: %s accepted", name, what)
			}
		}
		if got, err := p.Apply(tensor.New(tensor.Float64, 0, 3)); err != nil || !slices.Equal(got.Shape, []int{0, 3}) {
			t.Errorf("%s: empty batch: %v %v", name, got.Shape, err)
		}
	}
}
