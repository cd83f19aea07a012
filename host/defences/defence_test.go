package defences

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/arthost/arthost/shared/tensor"
)

func TestNewPreprocessorErrors(t *testing.T) {
	for _, c := range []struct {
		name   string
		params map[string]any
		want   string // substring of the error
	}{
		{"", nil, `unknown preprocessing defence ""`},
		{"median_filter", nil, `unknown preprocessing defence "median_filter"`},
		{"reverse_sigmoid", nil, "is a postprocessing defence"},
		{"feature_squeezing", nil, "clip_values: required"},
		{"feature_squeezing", map[string]any{"clip_values": list(0, 1), "bitdepth": 4}, `unknown parameter "bitdepth"`},
		{"feature_squeezing", map[string]any{"clip_values": list(0, 1), "bit_depth": 0}, "bit_depth: want an integer in [1, 64]"},
		{"feature_squeezing", map[string]any{"clip_values": list(0, 1), "bit_depth": 2.5}, "bit_depth: want an integer"},
		{"feature_squeezing", map[string]any{"clip_values": list(0, 1), "bit_depth": "4"}, "bit_depth: want an integer"},
		{"feature_squeezing", map[string]any{"clip_values": list(1, 0)}, "clip_values: min 1 is not below max 0"},
		{"feature_squeezing", map[string]any{"clip_values": list(0)}, "clip_values: want [min, max]"},
		{"feature_squeezing", map[string]any{"clip_values": "0,1"}, "clip_values: want [min, max]"},
		{"feature_squeezing", map[string]any{"clip_values": list(list(0, 0), list(1, 1, 1))}, "clip_values: min and max have shapes"},
		{"feature_squeezing", map[string]any{"clip_values": list(list(list(0), list(0, 1)), 1)}, "ragged"},
		{"feature_squeezing", map[string]any{"clip_values": list(math.NaN(), 1)}, "clip_values"},
		{"feature_squeezing", map[string]any{"clip_values": list(0, 1), "apply_fit": "yes"}, "apply_fit: want true or false"},
		{"spatial_smoothing", map[string]any{"window_size": -1}, "window_size: want an integer in [1, 255]"},
		{"spatial_smoothing", map[string]any{"window_size": 1e9}, "window_size"},
		{"gaussian_augmentation", map[string]any{"ratio": "1"}, "ratio: want a finite number"},
		{"spatial_smoothing", map[string]any{"channels_first": 1}, "channels_first: want true or false"},
		{"gaussian_augmentation", map[string]any{"sigma": -1.0}, "sigma: want a non-negative number"},
		{"gaussian_augmentation", map[string]any{"ratio": 0}, "ratio: want a positive number"},
		{"gaussian_augmentation", map[string]any{"apply_fit": false, "apply_predict": true}, "apply_predict: with augmentation"},
		{"gaussian_augmentation", map[string]any{"apply_fit": false}, "apply_fit: with augmentation"},
		{"gaussian_augmentation", map[string]any{"seed": -3}, "seed: want a non-negative integer"},
		{"gaussian_augmentation", map[string]any{"sigma": math.Inf(1)}, "sigma: want a finite number"},
		{"label_smoothing", map[string]any{"max_value": 0}, "max_value: want a number in (0, 1]"},
		{"label_smoothing", map[string]any{"max_value": 1.5}, "max_value"},
		{"jpeg_compression", nil, "clip_values: required"},
		{"jpeg_compression", map[string]any{"clip_values": list(0, 2)}, "clip_values: max must be 1 or 255"},
		{"jpeg_compression", map[string]any{"clip_values": list(-1, 1)}, "clip_values: min must be 0"},
		{"jpeg_compression", map[string]any{"clip_values": list(0, 1), "quality": 101}, "quality: want an integer in [1, 100]"},
		{"jpeg_compression", map[string]any{"clip_values": list(list(0), list(1))}, "clip_values: want two numbers"},
		{"thermometer_encoding", map[string]any{"clip_values": list(0, 1), "num_space": 0}, "num_space"},
		{"thermometer_encoding", map[string]any{"num_space": 3}, "clip_values: required"},
		{"total_var_min", map[string]any{"prob": 1.5}, "prob: want a probability"},
		{"total_var_min", map[string]any{"norm": 0}, "norm: want a positive integer"},
		{"total_var_min", map[string]any{"solver": "Newton-CG"}, "solver: want one of L-BFGS-B, CG"},
		{"total_var_min", map[string]any{"max_iter": 0}, "max_iter"},
		{"total_var_min", map[string]any{"lamb": -0.1}, "lamb"},
		{"label_smoothing", map[string]any{"seed": 1}, `unknown parameter "seed"`},
	} {
		t.Run(fmt.Sprintf("%s/%v", c.name, c.params), func(t *testing.T) {
			_, err := NewPreprocessor(c.name, c.params, Defaults{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
			if c.name != "" && !strings.Contains(err.Error(), c.name) {
				t.Fatalf("error %q does not name %s", err, c.name)
			}
		})
	}
}

func TestNewPostprocessorErrors(t *testing.T) {
	for _, c := range []struct {
		name   string
		params map[string]any
		want   string
	}{
		{"nope", nil, `unknown postprocessing defence "nope"`},
		{"feature_squeezing", nil, "is a preprocessing defence"},
		{"class_labels", map[string]any{"cutoff": 1}, `unknown parameter "cutoff"`},
		{"gaussian_noise", map[string]any{"scale": 0}, "scale: want a positive number"},
		{"high_confidence", map[string]any{"cutoff": -0.1}, "cutoff: want a positive number"},
		{"reverse_sigmoid", map[string]any{"beta": 0}, "beta: want a positive number"},
		{"reverse_sigmoid", map[string]any{"gamma": "x"}, "gamma: want a finite number"},
		{"rounded", map[string]any{"decimals": 0}, "decimals: want a positive integer"},
		{"rounded", map[string]any{"apply_predict": "no"}, "apply_predict: want true or false"},
	} {
		t.Run(fmt.Sprintf("%s/%v", c.name, c.params), func(t *testing.T) {
			_, err := NewPostprocessor(c.name, c.params)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestDefaultsAndFlags(t *testing.T) {
	clip := map[string]any{"clip_values": list(0, 1)}
	for _, c := range []struct {
		name         string
		params       map[string]any
		fit, predict bool
	}{
		{"feature_squeezing", clip, false, true},
		{"spatial_smoothing", nil, false, true},
		{"gaussian_augmentation", nil, true, false},
		{"gaussian_augmentation", map[string]any{"augmentation": false, "apply_fit": false, "apply_predict": true}, false, true},
		{"label_smoothing", nil, true, false},
		{"jpeg_compression", clip, true, true},
		{"thermometer_encoding", clip, true, true},
		{"total_var_min", nil, false, true},
		{"total_var_min", map[string]any{"apply_fit": true, "apply_predict": false}, true, false},
	} {
		p := mustPre(t, c.name, c.params)
		if p.Name() != c.name || p.ApplyFit() != c.fit || p.ApplyPredict() != c.predict {
			t.Errorf("%s %v: name %s fit %v predict %v, want fit %v predict %v", c.name, c.params, p.Name(), p.ApplyFit(), p.ApplyPredict(), c.fit, c.predict)
		}
		if s, ok := p.(fmt.Stringer); !ok || !strings.HasPrefix(s.String(), c.name+"{") {
			t.Errorf("%s: no String", c.name)
		}
	}
	// ART's defaults.
	fs := mustPre(t, "feature_squeezing", clip).(*FeatureSqueezing)
	ss := mustPre(t, "spatial_smoothing", nil).(*SpatialSmoothing)
	ga := mustPre(t, "gaussian_augmentation", nil).(*GaussianAugmentation)
	ls := mustPre(t, "label_smoothing", nil).(*LabelSmoothing)
	jc := mustPre(t, "jpeg_compression", clip).(*JpegCompression)
	te := mustPre(t, "thermometer_encoding", clip).(*ThermometerEncoding)
	tv := mustPre(t, "total_var_min", nil).(*TotalVarMin)
	got := []any{fs.BitDepth, ss.WindowSize, ss.ChannelsFirst, ga.Sigma, ga.Augmentation, ga.Ratio, ga.Seed, ls.MaxValue,
		jc.Quality, jc.ChannelsFirst, te.NumSpace, tv.Prob, tv.Norm, tv.Lamb, tv.Solver, tv.MaxIter}
	want := []any{8, 3, false, 1.0, true, 1.0, uint64(DefaultSeed), 0.9, 50, false, 10, 0.3, 2, 0.5, "L-BFGS-B", 10}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("defaults %v, want %v", got, want)
	}
	gn := mustPost(t, "gaussian_noise", nil).(*GaussianNoise)
	hc := mustPost(t, "high_confidence", nil).(*HighConfidence)
	rs := mustPost(t, "reverse_sigmoid", nil).(*ReverseSigmoid)
	rd := mustPost(t, "rounded", nil).(*Rounded)
	got = []any{gn.Scale, hc.Cutoff, rs.Beta, rs.Gamma, rd.Decimals, rd.ApplyPredict()}
	want = []any{0.2, 0.25, 1.0, 0.1, 3, true}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("post defaults %v, want %v", got, want)
	}
	if mustPost(t, "rounded", map[string]any{"apply_predict": false}).ApplyPredict() {
		t.Error("apply_predict false ignored")
	}
}

func TestParamNumberTypes(t *testing.T) {
	// A YAML decoder may give ints as int, int64 or uint64 and whole
	// floats as float64.
	for _, v := range []any{4, int64(4), uint64(4), 4.0} {
		p := mustPre(t, "feature_squeezing", map[string]any{"clip_values": list(0, 1.0), "bit_depth": v})
		if p.(*FeatureSqueezing).BitDepth != 4 {
			t.Errorf("%T: bit depth %d", v, p.(*FeatureSqueezing).BitDepth)
		}
	}
}

// square is a test-only defence x -> x^2 with its true gradient.
type square struct{ applyFlags }

func (square) Name() string { return "square" }
func (square) Forward(x, y tensor.Tensor) (tensor.Tensor, tensor.Tensor, error) {
	v := values(x)
	for i := range v {
		v[i] *= v[i]
	}
	return withValues(v, x.DType, x.Shape), y, nil
}
func (square) Backward(x, grad tensor.Tensor) (tensor.Tensor, error) {
	return backward("square", x, grad, x.Shape[1:], func(g []float64) []float64 {
		for i := range g {
			g[i] *= 2 * x.At(i)
		}
		return g
	})
}

// affine is a test-only defence x -> a*x + b.
type affine struct {
	applyFlags
	a, b float64
}

func (affine) Name() string { return "affine" }
func (f affine) Forward(x, y tensor.Tensor) (tensor.Tensor, tensor.Tensor, error) {
	v := values(x)
	for i := range v {
		v[i] = f.a*v[i] + f.b
	}
	return withValues(v, x.DType, x.Shape), y, nil
}
func (f affine) Backward(x, grad tensor.Tensor) (tensor.Tensor, error) {
	return backward("affine", x, grad, x.Shape[1:], func(g []float64) []float64 {
		for i := range g {
			g[i] *= f.a
		}
		return g
	})
}

func TestChainBackwardFiniteDifferences(t *testing.T) {
	therm := mustPre(t, "thermometer_encoding", map[string]any{"clip_values": list(0, 1), "num_space": 4})
	chains := map[string]struct {
		defs []Preprocessor
		// smooth is the chain's differentiable forward function on
		// float64 values of a (2, 3) batch, for finite differences.
		smooth func(x []float64) []float64
	}{
		"square then affine": {
			[]Preprocessor{square{}, affine{a: 0.5, b: 0.2}},
			func(x []float64) []float64 {
				out := make([]float64, len(x))
				for i, v := range x {
					out[i] = 0.5*v*v + 0.2
				}
				return out
			},
		},
		"affine, square, thermometer": {
			[]Preprocessor{affine{a: 0.8, b: 0.1}, square{}, therm},
			func(x []float64) []float64 {
				u := make([]float64, len(x))
				for i, v := range x {
					u[i] = (0.8*v + 0.1) * (0.8*v + 0.1)
				}
				return surrogate(u, []int{2, 3}, 0, 1, 4, false)
			},
		},
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for name, c := range chains {
		t.Run(name, func(t *testing.T) {
			x := []float64{0.1, 0.35, 0.6, 0.2, 0.45, 0.7}
			out, _, inputs, err := ChainForward(c.defs, tensor.FromFloat64(x, 2, 3), tensor.Tensor{})
			if err != nil {
				t.Fatal(err)
			}
			if len(inputs) != len(c.defs) || !slices.Equal(inputs[0].F64, x) {
				t.Fatalf("inputs %v", inputs)
			}
			g := make([]float64, out.Len())
			for i := range g {
				g[i] = rng.NormFloat64()
			}
			got, err := ChainBackward(c.defs, inputs, tensor.FromFloat64(g, out.Shape...))
			if err != nil {
				t.Fatal(err)
			}
			want := make([]float64, len(x))
			const h = 1e-6
			for i := range x {
				xp, xm := slices.Clone(x), slices.Clone(x)
				xp[i] += h
				xm[i] -= h
				fp, fm := c.smooth(xp), c.smooth(xm)
				for k := range g {
					want[i] += g[k] * (fp[k] - fm[k]) / (2 * h)
				}
			}
			near(t, "chain gradient", got, []int{2, 3}, want, 1e-6)
		})
	}
}

func TestChainBackwardFeedsOwnInputs(t *testing.T) {
	// Feeding every defence the chain's first input (ART issue #485)
	// gives 2*x*a instead of 2*(a*x+b)*a for affine then square.
	defs := []Preprocessor{affine{a: 2, b: 1}, square{}}
	x := tensor.FromFloat64([]float64{1, 2}, 1, 2)
	_, _, inputs, err := ChainForward(defs, x, tensor.Tensor{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := ChainBackward(defs, inputs, tensor.FromFloat64([]float64{1, 1}, 1, 2))
	if err != nil {
		t.Fatal(err)
	}
	near(t, "gradient", got, []int{1, 2}, []float64{2 * 3 * 2, 2 * 5 * 2}, 0)
	if _, err := ChainBackward(defs, inputs[:1], got); err == nil {
		t.Fatal("missing input accepted")
	}
}

func TestIdentityBackward(t *testing.T) {
	// Every defence but thermometer_encoding is BPDA: the gradient comes
	// back unchanged, in its own dtype, for plain and class gradients.
	clip := map[string]any{"clip_values": list(0, 1)}
	x := tensor.New(tensor.Float32, 2, 4, 4, 3)
	for name, params := range map[string]map[string]any{
		"feature_squeezing": clip, "spatial_smoothing": nil, "gaussian_augmentation": {"augmentation": false},
		"label_smoothing": nil, "jpeg_compression": clip, "total_var_min": nil,
	} {
		p := mustPre(t, name, params)
		for _, shape := range [][]int{{2, 4, 4, 3}, {2, 5, 4, 4, 3}} {
			g := make([]float64, tensor.NumElements(shape))
			for i := range g {
				g[i] = float64(i) - 7.5
			}
			got, err := p.Backward(x, tensor.FromFloat64(g, shape...))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			near(t, name, got, shape, g, 0)
		}
		if _, err := p.Backward(x, tensor.New(tensor.Float64, 2, 4, 4)); err == nil {
			t.Errorf("%s: wrong gradient shape accepted", name)
		}
		if _, err := p.Backward(x, tensor.New(tensor.Int64, 2, 4, 4, 3)); err == nil {
			t.Errorf("%s: int gradient accepted", name)
		}
	}
}
