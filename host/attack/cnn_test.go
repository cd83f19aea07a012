package attack_test

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/host/attack"
	"github.com/arthost/arthost/host/internal/hosttest"
	"github.com/arthost/arthost/host/pipeline"
	"github.com/arthost/arthost/host/remote"
	"github.com/arthost/arthost/internal/npyfile"
	"github.com/arthost/arthost/internal/testbin"
	"github.com/arthost/arthost/shared/tensor"
)

// cnnModels are where the digits CNN may be, first found wins: the demo's
// bundled model, then the ONNX plugin's fixture (both trained on
// scikit-learn's digits scaled to [0, 1]).
var cnnModels = []string{"examples/digits/cnn.onnx", "plugins/onnx/testdata/cnn.onnx"}

var (
	onnxOnce sync.Once
	onnxPath string
	onnxErr  error
)

// startCNN starts the ONNX plugin with the digits CNN behind clip values
// [0, 1], or skips the test saying what is missing.
func startCNN(tb testing.TB, needGrad bool) host.Estimator {
	tb.Helper()
	if _, err := os.Stat(hosttest.RepoFile("plugins/onnx/main.go")); err != nil {
		tb.Skip("the ONNX plugin (plugins/onnx) is not in the tree yet")
	}
	model := ""
	for _, m := range cnnModels {
		if _, err := os.Stat(hosttest.RepoFile(m)); err == nil {
			model = hosttest.RepoFile(m)
			break
		}
	}
	if model == "" {
		tb.Skipf("no digits CNN model: looked for %v", cnnModels)
	}
	onnxOnce.Do(func() {
		var bins map[string]string
		bins, onnxErr = testbin.Build(pluginDir, map[string]string{"arthost-plugin-onnx": "plugins/onnx"})
		onnxPath = bins["arthost-plugin-onnx"]
	})
	if onnxErr != nil {
		tb.Fatalf("build the ONNX plugin: %v", onnxErr)
	}
	r, err := remote.Start(context.Background(), remote.Config{Name: "cnn", Plugin: "onnx", Path: onnxPath, ModelPath: model})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { r.Close() })
	if needGrad && !r.Describe().Capabilities.LossGradient {
		tb.Skip("the ONNX plugin does not offer loss_gradient yet: FGSM/PGD on the digits CNN cannot run")
	}
	p, err := pipeline.New(r, pipeline.Config{Name: "cnn", ClipMin: []float64{0}, ClipMax: []float64{1}})
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// digits returns the bundled digits test split: x (n, 1, 8, 8) float32 in
// [0, 1] and y (n,) int64.
func digits(tb testing.TB) (tensor.Tensor, tensor.Tensor) {
	tb.Helper()
	arrays, err := npyfile.ReadNPZ(hosttest.RepoFile("examples/digits/digits_test.npz"))
	if err != nil {
		tb.Fatal(err)
	}
	return arrays["x"], arrays["y"]
}

func accuracy(tb testing.TB, est host.Estimator, x, y tensor.Tensor) float64 {
	tb.Helper()
	p, err := est.Predict(context.Background(), x, false)
	if err != nil {
		tb.Fatal(err)
	}
	k := p.Shape[1]
	v := p.Float64s()
	ok := 0
	for i := 0; i < x.Rows(); i++ {
		if argmax(v[i*k:(i+1)*k]) == int(y.At(i)) {
			ok++
		}
	}
	return float64(ok) / float64(x.Rows())
}

// TestPGDBreaksDigitsCNN is the evidence: PGD at eps 0.2 brings
// the digits CNN below 10% accuracy.
func TestPGDBreaksDigitsCNN(t *testing.T) {
	est := startCNN(t, true)
	x, y := digits(t)
	clean := accuracy(t, est, x, y)
	if clean < 0.9 {
		t.Fatalf("clean accuracy %.3f: not the trained digits CNN", clean)
	}
	res, err := mustNew(t, "pgd", attack.Params{Eps: 0.2, EpsStep: 0.02, MaxIter: 20}).Generate(context.Background(), est, x, y)
	if err != nil {
		t.Fatal(err)
	}
	adv := accuracy(t, est, res.Adv, y)
	t.Logf("clean accuracy %.3f, PGD eps 0.2 accuracy %.3f", clean, adv)
	if adv >= 0.1 {
		t.Errorf("PGD at eps 0.2 leaves accuracy %.3f, want below 0.1", adv)
	}
}

// TestCNNMatchesReference compares FGSM and PGD on the CNN with ART's
// formulas applied in the test to the model's own gradients, in float32
// as NumPy would compute them.
func TestCNNMatchesReference(t *testing.T) {
	est := startCNN(t, true)
	x, y := digits(t)
	x, y = x.Slice(0, 32), y.Slice(0, 32)
	ref := refModel{
		grads: func(rows [][]float64, lab []int) [][]float64 {
			xt := flat(rows, tensor.Float32)
			xt.Shape = []int{len(rows), 1, 8, 8}
			g, err := est.LossGradient(context.Background(), xt, indexTensor(lab))
			if err != nil {
				t.Fatal(err)
			}
			return unflatRows(g)
		},
		lo: func(int) (float64, float64) { return 0, 1 },
		r:  f32,
	}
	labels := make([]int, y.Len())
	for i := range labels {
		labels[i] = int(y.At(i))
	}
	for _, c := range []struct {
		name      string
		norm      attack.Norm
		eps, step float64
		iters     int
	}{
		{"fgsm", attack.NormInf, 0.1, 0.1, 1},
		{"fgsm", attack.Norm2, 0.5, 0.5, 1},
		{"pgd", attack.NormInf, 0.1, 0.02, 8},
		{"pgd", attack.Norm2, 0.8, 0.2, 8},
	} {
		want := ref.refPGD(unflatRows(x), labels, c.eps, c.step, c.iters, c.norm, false)
		res, err := mustNew(t, c.name, attack.Params{Norm: c.norm, Eps: c.eps, EpsStep: c.step, MaxIter: c.iters}).Generate(context.Background(), est, x, y)
		if err != nil {
			t.Fatal(err)
		}
		d := maxDiff(unflatRows(res.Adv), want)
		if d > 1e-6 {
			t.Errorf("%s norm %v: max difference from reference %g", c.name, c.norm, d)
		}
		moved := maxDiff(unflatRows(res.Adv), unflatRows(x))
		t.Logf("%s norm %v: max difference from reference %g; largest change %g", c.name, c.norm, d, moved)
		if moved == 0 {
			t.Errorf("%s norm %v: attack changed nothing", c.name, c.norm)
		}
	}
}

// TestSquareOnDigitsCNN runs the gradient-free attack on the CNN through
// Predict only.
func TestSquareOnDigitsCNN(t *testing.T) {
	est := startCNN(t, false)
	x, y := digits(t)
	x, y = x.Slice(0, 120), y.Slice(0, 120)
	clean := accuracy(t, est, x, y)
	res, err := mustNew(t, "square", attack.Params{Eps: 0.2, MaxIter: 100, Seed: 1}).Generate(context.Background(), est, x, y)
	if err != nil {
		t.Fatal(err)
	}
	adv := accuracy(t, est, res.Adv, y)
	if d := ballDistance(unflatRows(res.Adv), unflatRows(x), attack.NormInf); d > 0.2+1e-6 {
		t.Errorf("perturbation %v beyond eps 0.2", d)
	}
	t.Logf("clean accuracy %.3f, Square Attack eps 0.2 accuracy %.3f, %d queries", clean, adv, res.Queries)
	if adv > clean-0.3 {
		t.Errorf("Square Attack at eps 0.2 only lowers accuracy from %.3f to %.3f", clean, adv)
	}
}
