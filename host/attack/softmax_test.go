package attack_test

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/host/internal/hosttest"
	"github.com/arthost/arthost/shared/tensor"
)

// softmax is an in-process host.Estimator for logits = W x + b with the
// closed-form loss gradient W^T (p - q): the reference model of the tests
// and the in-process side of the benchmarks.
type softmax struct {
	w       [][]float64
	b       []float64
	lo, hi  []float64
	noGrad  bool    // no loss_gradient capability (for Square Attack)
	fixGrad float64 // when not 0 or NaN-marked, every gradient element is this
	useFix  bool
}

func loadSmall() *softmax {
	var f struct {
		Weights [][]float64 `json:"weights"`
		Bias    []float64   `json:"bias"`
	}
	data, err := os.ReadFile(hosttest.RepoFile("examples/plugins/linear/testdata/small.json"))
	if err != nil {
		panic(err)
	}
	if err := json.Unmarshal(data, &f); err != nil {
		panic(err)
	}
	return &softmax{w: f.Weights, b: f.Bias, lo: []float64{0}, hi: []float64{1}}
}

// balanced returns a random model of d features and k classes whose
// decision boundaries cross the unit box (bias -W 0.5), and writes it as a
// linear-plugin model file in dir.
func balanced(t testing.TB, d, k int, seed uint64) (*softmax, string) {
	rng := rand.New(rand.NewPCG(seed, 5))
	m := &softmax{lo: []float64{0}, hi: []float64{1}, b: make([]float64, k)}
	for c := range k {
		row := make([]float64, d)
		for j := range row {
			row[j] = 3 * rng.NormFloat64()
			m.b[c] -= 0.5 * row[j]
		}
		m.w = append(m.w, row)
	}
	data, err := json.Marshal(map[string]any{"format": "arthost-linear", "version": 1, "weights": m.w, "bias": m.b, "clip_values": []float64{0, 1}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "balanced.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return m, path
}

func (m *softmax) Describe() host.Description {
	return host.Description{
		Name: "softmax", InputShape: []int{len(m.w[0])}, NbClasses: len(m.w),
		ClipMin: m.lo, ClipMax: m.hi, NativeDType: tensor.Float64,
		Capabilities: host.Capabilities{LossGradient: !m.noGrad},
	}
}

// probs returns softmax(W x + b) for one sample.
func (m *softmax) probs(x []float64) []float64 {
	z := make([]float64, len(m.w))
	mx := math.Inf(-1)
	for c, row := range m.w {
		z[c] = m.b[c]
		for j, v := range row {
			z[c] += v * x[j]
		}
		mx = math.Max(mx, z[c])
	}
	s := 0.0
	for c := range z {
		z[c] = math.Exp(z[c] - mx)
		s += z[c]
	}
	for c := range z {
		z[c] /= s
	}
	return z
}

// grad returns W^T (p - onehot(y)) for one sample.
func (m *softmax) grad(x []float64, y int) []float64 {
	p := m.probs(x)
	g := make([]float64, len(x))
	for c, row := range m.w {
		d := p[c]
		if c == y {
			d--
		}
		for j, v := range row {
			g[j] += d * v
		}
	}
	return g
}

func (m *softmax) Predict(_ context.Context, x tensor.Tensor, _ bool) (tensor.Tensor, error) {
	d, k := len(m.w[0]), len(m.w)
	v := x.Float64s()
	out := make([]float64, 0, x.Rows()*k)
	for i := 0; i < x.Rows(); i++ {
		out = append(out, m.probs(v[i*d:(i+1)*d])...)
	}
	return tensor.FromFloat64(out, x.Rows(), k).As(x.DType), nil
}

func (m *softmax) LossGradient(_ context.Context, x, y tensor.Tensor) (tensor.Tensor, error) {
	if m.noGrad {
		return tensor.Tensor{}, host.Errorf("softmax", "loss_gradient", codes.Unimplemented, "no gradients")
	}
	d := len(m.w[0])
	l, err := tensor.NormalizeLabels(y, x.Rows(), len(m.w))
	if err != nil {
		return tensor.Tensor{}, err
	}
	v := x.Float64s()
	out := make([]float64, 0, len(v))
	for i := 0; i < x.Rows(); i++ {
		if m.useFix {
			for range d {
				out = append(out, m.fixGrad)
			}
			continue
		}
		out = append(out, m.grad(v[i*d:(i+1)*d], l.Index[i])...)
	}
	return tensor.FromFloat64(out, x.Shape...).As(x.DType), nil
}

func (m *softmax) Loss(context.Context, tensor.Tensor, tensor.Tensor, host.Reduction) (tensor.Tensor, error) {
	return tensor.Tensor{}, host.Errorf("softmax", "loss", codes.Unimplemented, "not in this test model")
}

func (m *softmax) ClassGradient(context.Context, tensor.Tensor, []int) (tensor.Tensor, error) {
	return tensor.Tensor{}, host.Errorf("softmax", "class_gradient", codes.Unimplemented, "not in this test model")
}

func (m *softmax) Activations(context.Context, tensor.Tensor, string) (tensor.Tensor, error) {
	return tensor.Tensor{}, host.Errorf("softmax", "activations", codes.Unimplemented, "not in this test model")
}

func (m *softmax) PredictUncertainty(context.Context, tensor.Tensor) (tensor.Tensor, error) {
	return tensor.Tensor{}, host.Errorf("softmax", "predict_uncertainty", codes.Unimplemented, "not in this test model")
}

func (m *softmax) Fit(context.Context, tensor.Tensor, tensor.Tensor, host.FitOptions) error {
	return host.Errorf("softmax", "fit", codes.Unimplemented, "not in this test model")
}

func (m *softmax) Save(context.Context, string) error {
	return host.Errorf("softmax", "save", codes.Unimplemented, "not in this test model")
}

func (m *softmax) Close() error { return nil }
