package report_test

import (
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"google.golang.org/grpc/codes"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/host/attack"
	"github.com/arthost/arthost/host/internal/hosttest"
	"github.com/arthost/arthost/host/remote"
	"github.com/arthost/arthost/host/report"
	"github.com/arthost/arthost/shared/tensor"
)

var pluginDir string

func TestMain(m *testing.M) {
	dir, err := hosttest.BuildPlugins()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	pluginDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// linearModel is an in-process softmax regression on flattened samples
// with its closed-form loss gradient, clip values [0, 1].
type linearModel struct {
	host.Estimator // nil: methods the report does not use panic if called
	w              [][]float64
	shape          []int
	noGrad         bool
}

func newLinear(d, k int, shape []int) *linearModel {
	rng := rand.New(rand.NewPCG(1, 2))
	m := &linearModel{shape: shape}
	for range k {
		row := make([]float64, d)
		for j := range row {
			row[j] = rng.NormFloat64()
		}
		m.w = append(m.w, row)
	}
	return m
}

func (m *linearModel) Describe() host.Description {
	return host.Description{Name: "lin/image model", Plugin: "test", InputShape: m.shape, NbClasses: len(m.w), ClipMin: []float64{0}, ClipMax: []float64{1}, ChannelsFirst: true, Capabilities: host.Capabilities{LossGradient: !m.noGrad}}
}

func (m *linearModel) probs(x []float64) []float64 {
	z := make([]float64, len(m.w))
	s := 0.0
	for c, row := range m.w {
		for j, v := range row {
			z[c] += v * (x[j] - 0.5)
		}
		z[c] = math.Exp(z[c])
		s += z[c]
	}
	for c := range z {
		z[c] /= s
	}
	return z
}

func (m *linearModel) Predict(_ context.Context, x tensor.Tensor, _ bool) (tensor.Tensor, error) {
	d := len(m.w[0])
	v := x.Float64s()
	var out []float64
	for i := range x.Rows() {
		out = append(out, m.probs(v[i*d:(i+1)*d])...)
	}
	return tensor.FromFloat64(out, x.Rows(), len(m.w)).As(x.DType), nil
}

func (m *linearModel) LossGradient(_ context.Context, x, y tensor.Tensor) (tensor.Tensor, error) {
	d := len(m.w[0])
	l, err := tensor.NormalizeLabels(y, x.Rows(), len(m.w))
	if err != nil {
		return tensor.Tensor{}, host.Errorf("lin", "loss_gradient", codes.InvalidArgument, "%v", err)
	}
	v := x.Float64s()
	out := make([]float64, len(v))
	for i := range x.Rows() {
		p := m.probs(v[i*d : (i+1)*d])
		for c, row := range m.w {
			g := p[c] - l.Prob[i*len(m.w)+c]
			for j, wv := range row {
				out[i*d+j] += g * wv
			}
		}
	}
	return tensor.FromFloat64(out, x.Shape...).As(x.DType), nil
}

func (m *linearModel) Close() error { return nil }

// images returns n (1, 6, 6) float32 samples in [0, 1] labelled with the
// model's own predictions, so clean accuracy is 1.
func images(m *linearModel, n int) (tensor.Tensor, tensor.Tensor) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := tensor.New(tensor.Float32, n, 1, 6, 6)
	for i := range x.F32 {
		x.F32[i] = float32(rng.Float64())
	}
	y := tensor.New(tensor.Int64, n)
	v := x.Float64s()
	for i := range n {
		p := m.probs(v[i*36 : (i+1)*36])
		best := 0
		for c := range p {
			if p[c] > p[best] {
				best = c
			}
		}
		y.I64[i] = int64(best)
	}
	return x, y
}

// TestEvaluateMatchesAttacks checks every number of the report against
// the attacks run directly and measured here.
func TestEvaluateMatchesAttacks(t *testing.T) {
	m := newLinear(36, 4, []int{1, 6, 6})
	x, y := images(m, 30)
	eps := []float64{0.02, 0.05, 0.1}
	base := attack.Params{MaxIter: 10, Seed: 1}
	steps := 0
	rep, err := report.Evaluate(context.Background(), []host.Estimator{m}, x, y, report.Config{
		Attacks: []string{"fgsm", "pgd", "square"}, Eps: eps, Params: base, EpsStepRatio: 0.25,
		Progress: func(report.Step) { steps++ },
	})
	if err != nil {
		t.Fatal(err)
	}
	if steps == 0 {
		t.Error("no progress reported")
	}
	if len(rep.Estimators) != 1 || len(rep.Estimators[0].Results) != 9 {
		t.Fatalf("report has %d estimators, want 1 with 9 results", len(rep.Estimators))
	}
	e := rep.Estimators[0]
	if e.CleanAccuracy != 1 {
		t.Errorf("clean accuracy %v, want 1 (labels are the predictions)", e.CleanAccuracy)
	}
	for _, r := range e.Results {
		p := base
		p.Eps, p.EpsStep = r.Eps, 0.25*r.Eps
		a, err := attack.New(r.Attack, p)
		if err != nil {
			t.Fatal(err)
		}
		res, err := a.Generate(context.Background(), m, x, y)
		if err != nil {
			t.Fatal(err)
		}
		pr, _ := m.Predict(context.Background(), res.Adv, false)
		ok, linf := 0, 0.0
		for i := range x.Rows() {
			row := pr.Float64s()[i*4 : (i+1)*4]
			best := 0
			for c := range row {
				if row[c] > row[best] {
					best = c
				}
			}
			if int64(best) == y.I64[i] {
				ok++
			}
			for j := i * 36; j < (i+1)*36; j++ {
				linf = math.Max(linf, math.Abs(res.Adv.At(j)-x.At(j)))
			}
		}
		if want := float64(ok) / 30; r.Accuracy != want {
			t.Errorf("%s eps %v: accuracy %v, want %v", r.Attack, r.Eps, r.Accuracy, want)
		}
		if r.MaxLinf != linf || linf > r.Eps+1e-6 {
			t.Errorf("%s eps %v: max linf %v, measured %v", r.Attack, r.Eps, r.MaxLinf, linf)
		}
		if math.Abs(r.SuccessRate-(1-r.Accuracy)) > 1e-12 {
			t.Errorf("%s eps %v: success rate %v with accuracy %v and clean accuracy 1", r.Attack, r.Eps, r.SuccessRate, r.Accuracy)
		}
		if r.Queries != res.Queries || r.Queries == 0 {
			t.Errorf("%s eps %v: queries %d, attack reports %d", r.Attack, r.Eps, r.Queries, res.Queries)
		}
	}
	last := e.Results[5]
	if last.Attack != "pgd" || last.Eps != 0.1 || last.Accuracy > 0.5 {
		t.Errorf("pgd at eps 0.1: %+v, want accuracy at most 0.5", last)
	}
	dir := t.TempDir()
	if d := os.Getenv("ARTHOST_REPORT_DIR"); d != "" {
		dir = d // keep the report to look at
	}
	if err := report.Write(dir, rep); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, dir, rep, 2)
}

// TestReportOnPluginFeatures evaluates the linear plugin process on
// (n, 4) data: no image grid, one plot.
func TestReportOnPluginFeatures(t *testing.T) {
	est := hosttest.StartLinear(t, pluginDir, remote.Config{Name: "linear <small>"})
	x := tensor.New(tensor.Float64, 12, 4)
	for i := range x.F64 {
		x.F64[i] = float64(i%7) / 7
	}
	y := tensor.New(tensor.Int64, 12)
	rep, err := report.Evaluate(context.Background(), []host.Estimator{est}, x, y, report.Config{Attacks: []string{"pgd"}, Eps: []float64{0.1, 0.3}, Source: "synthetic"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Data.Image || rep.Estimators[0].Examples != nil {
		t.Error("(n, 4) data treated as images")
	}
	dir := filepath.Join(t.TempDir(), "new", "folder")
	if err := report.Write(dir, rep); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, dir, rep, 1)
}

// checkFiles parses report.json and report.html and checks that every
// file the page refers to exists (PNGs decode) and that there are as many
// images as expected.
func checkFiles(t *testing.T, dir string, rep *report.Report, wantImages int) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, report.JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	var back report.Report
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatalf("report.json: %v", err)
	}
	if len(back.Estimators) != len(rep.Estimators) || len(back.Estimators[0].Results) != len(rep.Estimators[0].Results) ||
		back.Estimators[0].CleanAccuracy != rep.Estimators[0].CleanAccuracy {
		t.Errorf("report.json does not hold the report")
	}
	f, err := os.Open(filepath.Join(dir, report.HTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := html.Parse(f)
	if err != nil {
		t.Fatalf("report.html: %v", err)
	}
	var refs []string
	images := 0
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			for _, a := range n.Attr {
				if a.Key == "src" || a.Key == "href" {
					refs = append(refs, a.Val)
					if n.Data == "img" {
						images++
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if images != wantImages {
		t.Errorf("report.html shows %d images, want %d", images, wantImages)
	}
	for _, ref := range refs {
		if strings.Contains(ref, ":") || strings.HasPrefix(ref, "/") || strings.Contains(ref, "..") {
			t.Errorf("report.html refers to %q, not a file next to it", ref)
			continue
		}
		p := filepath.Join(dir, ref)
		if _, err := os.Stat(p); err != nil {
			t.Errorf("report.html refers to missing %q", ref)
			continue
		}
		if strings.HasSuffix(ref, ".png") {
			pf, _ := os.Open(p)
			img, err := png.Decode(pf)
			pf.Close()
			if err != nil || img.Bounds().Dx() < 100 {
				t.Errorf("%s: not a usable PNG (%v)", ref, err)
			}
		}
	}
}

func TestEvaluateBadInput(t *testing.T) {
	m := newLinear(36, 4, []int{1, 6, 6})
	x, y := images(m, 5)
	for name, c := range map[string]struct {
		cfg  report.Config
		x, y tensor.Tensor
	}{
		"no attacks":   {report.Config{Eps: []float64{0.1}}, x, y},
		"no eps":       {report.Config{Attacks: []string{"pgd"}}, x, y},
		"zero eps":     {report.Config{Attacks: []string{"pgd"}, Eps: []float64{0}}, x, y},
		"bad attack":   {report.Config{Attacks: []string{"cw"}, Eps: []float64{0.1}}, x, y},
		"label count":  {report.Config{Attacks: []string{"pgd"}, Eps: []float64{0.1}}, x, y.Slice(0, 3)},
		"int data":     {report.Config{Attacks: []string{"pgd"}, Eps: []float64{0.1}}, y, y},
		"empty labels": {report.Config{Attacks: []string{"pgd"}, Eps: []float64{0.1}}, x, tensor.Tensor{}},
	} {
		if _, err := report.Evaluate(context.Background(), []host.Estimator{m}, c.x, c.y, c.cfg); err == nil {
			t.Errorf("%s: no error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

// TestSkipsAttacksWithoutGradients evaluates a model without gradients:
// FGSM is skipped with the reason, Square Attack still runs.
func TestSkipsAttacksWithoutGradients(t *testing.T) {
	m := newLinear(36, 4, []int{1, 6, 6})
	m.noGrad = true
	x, y := images(m, 10)
	rep, err := report.Evaluate(context.Background(), []host.Estimator{m}, x, y, report.Config{Attacks: []string{"fgsm", "square"}, Eps: []float64{0.05, 0.1}, Params: attack.Params{MaxIter: 5}})
	if err != nil {
		t.Fatal(err)
	}
	e := rep.Estimators[0]
	if len(e.Results) != 2 || e.Results[0].Attack != "square" {
		t.Errorf("results %+v, want square at two eps", e.Results)
	}
	if len(e.Skipped) != 1 || !strings.Contains(e.Skipped[0], "fgsm: ") || !strings.Contains(e.Skipped[0], "loss_gradient") {
		t.Errorf("skipped %q, want fgsm for lack of loss_gradient", e.Skipped)
	}
	dir := t.TempDir()
	if err := report.Write(dir, rep); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, dir, rep, 2)
	page, _ := os.ReadFile(filepath.Join(dir, report.HTMLFile))
	if !strings.Contains(string(page), "Skipped fgsm: ") {
		t.Error("report.html does not say fgsm was skipped")
	}
}
