package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/floats"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/arthost/arthost/internal/testlog"
	"github.com/arthost/arthost/plugins/blackbox/internal/testmodel"
	"github.com/arthost/arthost/sdk"
	"github.com/arthost/arthost/sdk/sdktest"
	"github.com/arthost/arthost/shared/estimatorv1"
	"github.com/arthost/arthost/shared/tensor"
)

// program is the softmaxcmd test program and pluginBin this plugin's
// executable, both built once by TestMain.
var program, pluginBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "blackbox-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	program = filepath.Join(dir, "softmaxcmd")
	pluginBin = filepath.Join(dir, "arthost-plugin-blackbox")
	for out, pkg := range map[string]string{program: "./testdata/softmaxcmd", pluginBin: "."} {
		if log, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", pkg, err, log)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func serve(t testing.TB, s *testmodel.Server) string {
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts.URL
}

// load returns a loaded estimator and its log output.
func load(t testing.TB, opts map[string]string) (*estimator, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	e := newEstimator(hclog.New(&hclog.LoggerOptions{Output: &logs, JSONFormat: true, Level: hclog.Debug}))
	if _, err := e.Load(context.Background(), sdk.LoadRequest{Options: *sdk.NewOptions(opts)}); err != nil {
		t.Fatalf("load %v: %v", opts, err)
	}
	t.Cleanup(func() { e.Close() })
	return e, &logs
}

func loadErr(opts map[string]string) error {
	e := newEstimator(nil)
	_, err := e.Load(context.Background(), sdk.LoadRequest{Options: *sdk.NewOptions(opts)})
	if err == nil {
		e.Close()
	}
	return err
}

func rowsOf(n, d int) [][]float64 {
	out := make([][]float64, n)
	for i := range out {
		out[i] = make([]float64, d)
		for j := range out[i] {
			out[i][j] = math.Sin(float64(3*i + j + 1))
		}
	}
	return out
}

func batchOf(rows [][]float64, dt tensor.DType) tensor.Tensor {
	var v []float64
	for _, r := range rows {
		v = append(v, r...)
	}
	return tensor.FromFloat64(v, len(rows), len(rows[0])).As(dt)
}

func info(t *testing.T, e *estimator, key string) string {
	t.Helper()
	d, err := e.Describe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return d.Info[key]
}

func TestHTTPV2FromMetadata(t *testing.T) {
	m := testmodel.Fixed()
	srv := &testmodel.Server{Model: m, InputName: "input0"}
	e, _ := load(t, map[string]string{"source": "http", "url": serve(t, srv), "model": "softmax"})
	d, _ := e.Describe(context.Background())
	if fmt.Sprint(d.InputShape) != "[4]" || d.NbClasses != 3 || d.Output != sdk.OutputProbabilities || d.NativeDType != tensor.Float32 {
		t.Fatalf("description from metadata: %+v", d)
	}
	if len(d.Withheld) != 2 || d.GradientsEstimated {
		t.Errorf("gradients not withheld without gradient=nes: %+v", d.Withheld)
	}
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
		rows := rowsOf(5, 4)
		y, err := e.Predict(context.Background(), batchOf(rows, dt), false)
		if err != nil {
			t.Fatal(err)
		}
		if y.DType != dt || fmt.Sprint(y.Shape) != "[5 3]" {
			t.Fatalf("predict %v %v", y.DType, y.Shape)
		}
		for i, r := range rows {
			for j := range r {
				r[j] = float64(float32(r[j])) // the server's input is FP32 (metadata)
			}
			for c, p := range m.Probs(r) {
				if diff := math.Abs(y.At(3*i+c) - p); diff > 1e-6 {
					t.Errorf("%v row %d class %d: %v, want %v", dt, i, c, y.At(3*i+c), p)
				}
			}
		}
	}
	// float32 and float64 rows are different inputs: both were sent.
	if q := info(t, e, "queries"); q != "10" {
		t.Errorf("queries %s, want 10", q)
	}
}

func TestTFServingMetadataOrOptions(t *testing.T) {
	srv := &testmodel.Server{Model: testmodel.Fixed()}
	url := serve(t, srv)
	e, _ := load(t, map[string]string{"source": "http", "url": url, "model": "softmax", "protocol": "tfserving"})
	if d, _ := e.Describe(context.Background()); fmt.Sprint(d.InputShape) != "[4]" || d.NbClasses != 3 {
		t.Errorf("from tfserving metadata: %v %d", d.InputShape, d.NbClasses)
	}
	srv.NoMetadata = true
	err := loadErr(map[string]string{"source": "http", "url": url, "model": "softmax", "protocol": "tfserving"})
	if status.Code(err) != codes.NotFound || !strings.Contains(err.Error(), "or set input_shape and nb_classes") {
		t.Fatalf("err = %v", err)
	}
	var logs *bytes.Buffer
	e, logs = load(t, map[string]string{"source": "http", "url": url, "model": "softmax", "protocol": "tfserving", "input_shape": "4", "nb_classes": "3"})
	y, err := e.Predict(context.Background(), batchOf(rowsOf(2, 4), tensor.Float64), false)
	if err != nil || fmt.Sprint(y.Shape) != "[2 3]" {
		t.Fatalf("predict: %v %v", y.Shape, err)
	}
	if !strings.Contains(logs.String(), "model metadata unavailable") {
		t.Errorf("the missing metadata was not logged: %s", logs)
	}
}

func TestOutputKinds(t *testing.T) {
	m := testmodel.Fixed()
	rows := rowsOf(4, 4)
	x := batchOf(rows, tensor.Float64)

	logitSrv := &testmodel.Server{Model: m, Kind: testmodel.Logits}
	e, _ := load(t, map[string]string{"source": "http", "url": serve(t, logitSrv), "model": "softmax", "output_kind": "logits"})
	for _, logits := range []bool{false, true} {
		y, err := e.Predict(context.Background(), x, logits)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range rows {
			for c, z := range m.Logits(r) {
				if math.Abs(y.F64[3*i+c]-z) > 1e-6 {
					t.Errorf("logit row %d class %d: %v, want %v", i, c, y.F64[3*i+c], z)
				}
			}
		}
	}
	if d, _ := e.Describe(context.Background()); d.Output != sdk.OutputLogits {
		t.Errorf("output %v, want logits", d.Output)
	}

	labelSrv := &testmodel.Server{Model: m, Kind: testmodel.Labels}
	url := serve(t, labelSrv)
	if err := loadErr(map[string]string{"source": "http", "url": url, "model": "softmax", "output_kind": "labels"}); err == nil || !strings.Contains(err.Error(), "nb_classes") {
		t.Errorf("labels without nb_classes: %v", err)
	}
	e, _ = load(t, map[string]string{"source": "http", "url": url, "model": "softmax", "output_kind": "labels", "nb_classes": "3"})
	y, err := e.Predict(context.Background(), x, false)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		for c := 0; c < 3; c++ {
			want := 0.0
			if c == m.Label(r) {
				want = 1
			}
			if y.F64[3*i+c] != want {
				t.Errorf("one-hot row %d: %v", i, y.F64[3*i:3*i+3])
			}
		}
	}
	if _, err := e.Predict(context.Background(), x, true); status.Code(err) != codes.InvalidArgument {
		t.Errorf("logits from a label source: %v", err)
	}

	// Logits served while the options say probabilities are caught.
	e, _ = load(t, map[string]string{"source": "http", "url": serve(t, logitSrv), "model": "softmax"})
	if _, err := e.Predict(context.Background(), x, false); err == nil || !strings.Contains(err.Error(), "not a probability") {
		t.Errorf("logits taken for probabilities: %v", err)
	}
}

func TestLoss(t *testing.T) {
	m := testmodel.Fixed()
	rows := rowsOf(3, 4)
	labels := []int{2, 0, 1}
	y, _ := tensor.NormalizeLabels(tensor.FromInt64([]int64{2, 0, 1}, 3), 3, 3)
	for _, kind := range []string{"probabilities", "logits"} {
		srv := &testmodel.Server{Model: m, Kind: kind}
		e, _ := load(t, map[string]string{"source": "http", "url": serve(t, srv), "model": "softmax", "output_kind": kind})
		loss, err := e.Loss(context.Background(), batchOf(rows, tensor.Float64), y)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range rows {
			want := -math.Log(m.Probs(r)[labels[i]])
			if math.Abs(loss.F64[i]-want) > 1e-6 {
				t.Errorf("%s row %d loss %v, want %v", kind, i, loss.F64[i], want)
			}
		}
	}
}

func TestBudgetDedupCache(t *testing.T) {
	srv := &testmodel.Server{Model: testmodel.Fixed()}
	e, _ := load(t, map[string]string{"source": "http", "url": serve(t, srv), "model": "softmax", "budget": "6", "cache": "100"})
	rows := rowsOf(4, 4)
	x := batchOf([][]float64{rows[0], rows[1], rows[0], rows[2]}, tensor.Float32)
	if _, err := e.Predict(context.Background(), x, false); err != nil {
		t.Fatal(err)
	}
	if q, dd := info(t, e, "queries"), info(t, e, "deduplicated"); q != "3" || dd != "1" {
		t.Errorf("queries %s deduplicated %s, want 3 and 1", q, dd)
	}
	if _, err := e.Predict(context.Background(), x, false); err != nil {
		t.Fatal(err)
	}
	if q, h := info(t, e, "queries"), info(t, e, "cache_hits"); q != "3" || h != "4" {
		t.Errorf("repeat: queries %s cache hits %s, want 3 and 4", q, h)
	}
	big := batchOf(rowsOf(8, 4)[4:], tensor.Float32) // 4 new rows, 3 left
	_, err := e.Predict(context.Background(), big, false)
	if status.Code(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "budget of 6") {
		t.Fatalf("over budget: %v", err)
	}
	if r := info(t, e, "remaining"); r != "3" {
		t.Errorf("remaining %s, want 3", r)
	}
	if n := srv.Inferences(); n != 1 {
		t.Errorf("%d requests reached the server, want 1", n)
	}
}

func TestClosingLineAndSecrets(t *testing.T) {
	const secret = "tok-8c1d"
	srv := &testmodel.Server{Model: testmodel.Fixed(), FailFirst: 2}
	e, logs := load(t, map[string]string{"source": "http", "url": serve(t, srv), "model": "softmax", "header.Authorization": "Bearer " + secret, "retries": "3"})
	if _, err := e.Predict(context.Background(), batchOf(rowsOf(2, 4), tensor.Float64), false); err != nil {
		t.Fatal(err)
	}
	d, _ := e.Describe(context.Background())
	e.Close()
	if !strings.Contains(logs.String(), `"@message":"black-box source closing"`) || !strings.Contains(logs.String(), `"queries":2`) {
		t.Errorf("no closing line with the count: %s", logs)
	}
	if strings.Contains(logs.String()+fmt.Sprint(d), secret) {
		t.Errorf("secret shown: %s %v", logs, d.Info)
	}
	if d.Info["headers"] != "Authorization" {
		t.Errorf("header names: %v", d.Info)
	}
	for _, h := range srv.Headers() {
		if h.Get("Authorization") != "Bearer "+secret {
			t.Errorf("request without the header")
		}
	}
}

func TestOptionErrors(t *testing.T) {
	url := "http://127.0.0.1:1"
	cases := []struct {
		opts map[string]string
		want string
	}{
		{map[string]string{}, "source is required"},
		{map[string]string{"source": "ftp"}, "want one of http|command|table"},
		{map[string]string{"source": "table", "table": "x.npz", "url": url}, "url (source=http) given with source=table"},
		{map[string]string{"source": "command", "command": "x", "header.K": "v"}, "header.K (source=http)"},
		{map[string]string{"source": "http", "url": url}, "needs options url and model"},
		{map[string]string{"source": "http", "url": url, "model": "m", "colour": "red"}, "unknown option colour"},
		{map[string]string{"source": "http", "url": url, "model": "m", "nes_samples": "5"}, "even number"},
		{map[string]string{"source": "http", "url": url, "model": "m", "timeout": "soon"}, "duration"},
		{map[string]string{"source": "http", "url": url, "model": "m", "concurrency": "0"}, "concurrency >= 1"},
		{map[string]string{"source": "http", "url": url, "model": "m", "input_shape": "4,0", "nb_classes": "3", "input_name": "x"}, "must be positive"},
		{map[string]string{"source": "http", "url": url, "model": "m", "retries": "0", "timeout": "50ms"}, "model metadata"},
		{map[string]string{"source": "command", "command": "/no/such/prog"}, "/no/such/prog"},
		{map[string]string{"source": "table", "table": "testdata/missing.npz"}, "no such file"},
	}
	for _, c := range cases {
		err := loadErr(c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("options %v: err = %v, want %q", c.opts, err, c.want)
		}
	}
}

func TestNotLoaded(t *testing.T) {
	e := newEstimator(nil)
	x := tensor.New(tensor.Float64, 1, 4)
	if _, err := e.Predict(context.Background(), x, false); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("predict before load: %v", err)
	}
	if _, err := e.Describe(context.Background()); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("describe before load: %v", err)
	}
}

// TestNESThroughHTTP estimates gradients of a 20-feature softmax regression
// served over HTTP with nes_samples=600 and checks the cosine similarity
// with the exact gradients (themselves checked against gonum's central
// differences) exceeds 0.9, and that every sample was counted.
func TestNESThroughHTTP(t *testing.T) {
	const d, n, samples = 20, 3, 600
	m := testmodel.Random(3, d, 11)
	srv := &testmodel.Server{Model: m}
	e, _ := load(t, map[string]string{"source": "http", "url": serve(t, srv), "model": "softmax", "gradient": "nes", "nes_samples": fmt.Sprint(samples), "seed": "4"})
	desc, _ := e.Describe(context.Background())
	if len(desc.Withheld) != 0 || !desc.GradientsEstimated {
		t.Fatalf("gradient=nes: withheld %v estimated %v", desc.Withheld, desc.GradientsEstimated)
	}
	rows := rowsOf(n, d)
	x := batchOf(rows, tensor.Float64)
	labels := []int64{0, 2, 1}
	y, _ := tensor.NormalizeLabels(tensor.FromInt64(labels, n), n, 3)
	g, err := e.LossGradient(context.Background(), x, y)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(g.Shape) != fmt.Sprint(x.Shape) {
		t.Fatalf("loss gradient shape %v", g.Shape)
	}
	cos := func(a, b []float64) float64 { return floats.Dot(a, b) / (floats.Norm(a, 2) * floats.Norm(b, 2)) }
	worst := 1.0
	for i, r := range rows {
		want := m.LossGrad(r, int(labels[i]))
		ref := fd.Gradient(nil, func(z []float64) float64 { return -math.Log(m.Probs(z)[labels[i]]) }, r, &fd.Settings{Formula: fd.Central})
		if diff := floats.Distance(want, ref, math.Inf(1)); diff > 1e-6 {
			t.Fatalf("row %d: analytic loss gradient differs from fd by %g", i, diff)
		}
		c := cos(g.F64[i*d:(i+1)*d], want)
		worst = math.Min(worst, c)
		if c <= 0.9 {
			t.Errorf("row %d: loss gradient cosine %.3f <= 0.9", i, c)
		}
	}
	cg, err := e.ClassGradient(context.Background(), x, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(cg.Shape) != fmt.Sprint([]int{n, 3, d}) {
		t.Fatalf("class gradient shape %v", cg.Shape)
	}
	for i, r := range rows {
		for c := 0; c < 3; c++ {
			s := cos(cg.F64[(i*3+c)*d:(i*3+c+1)*d], m.ProbGrad(r, c))
			worst = math.Min(worst, s)
			if s <= 0.9 {
				t.Errorf("row %d class %d: cosine %.3f <= 0.9", i, c, s)
			}
		}
	}
	t.Logf("worst cosine similarity over %d loss and %d class gradients: %.4f (d=%d, nes_samples=%d)", n, 3*n, worst, d, samples)
	one, err := e.ClassGradient(context.Background(), x.As(tensor.Float32), []int{1, 0, 2})
	if err != nil || one.DType != tensor.Float32 || fmt.Sprint(one.Shape) != fmt.Sprint([]int{n, 1, d}) {
		t.Fatalf("one class per row: %v %v %v", one.DType, one.Shape, err)
	}
	if q := info(t, e, "queries"); q != fmt.Sprint(3*n*samples) {
		t.Errorf("queries %s, want %d (three estimates of %d rows x %d samples)", q, 3*n*samples, n, samples)
	}
	if _, err := e.ClassGradient(context.Background(), x, []int{0, 3, 1}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("class out of range: %v", err)
	}
}

func TestGradientsWithheldByDefault(t *testing.T) {
	e, _ := load(t, map[string]string{"source": "table", "table": "testdata/table_labels_f8.npz", "nb_classes": "3"})
	x := tensor.New(tensor.Float64, 1, 4)
	if _, err := e.ClassGradient(context.Background(), x, nil); status.Code(err) != codes.Unimplemented || !strings.Contains(err.Error(), "gradient=nes") {
		t.Errorf("class gradient without nes: %v", err)
	}
}

func TestTableSource(t *testing.T) {
	if err := loadErr(map[string]string{"source": "table", "table": "testdata/table_labels_f8.npz"}); err == nil || !strings.Contains(err.Error(), "nb_classes") {
		t.Errorf("label table without nb_classes: %v", err)
	}
	e, _ := load(t, map[string]string{"source": "table", "table": "testdata/table_labels_f8.npz", "cache": "10", "nb_classes": "3"})
	d, _ := e.Describe(context.Background())
	if d.NbClasses != 3 || fmt.Sprint(d.InputShape) != "[4]" || d.Info["output_kind"] != "labels" || d.Info["rows"] != "6" {
		t.Fatalf("table description %+v", d)
	}
	row := func(i int) []float64 {
		r := make([]float64, 4)
		for j := range r {
			r[j] = -1.5 + 0.125*float64(4*i+j)
		}
		return r
	}
	y, err := e.Predict(context.Background(), batchOf([][]float64{row(4), row(2)}, tensor.Float32), false)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(y.F32) != "[0 1 0 0 0 1]" {
		t.Errorf("one-hot answers %v, want labels 1 and 2", y.F32)
	}
	miss := append(row(1)[:3:3], 9)
	_, err = e.Predict(context.Background(), batchOf([][]float64{row(4), row(4), row(0), miss}, tensor.Float64), false)
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "row 3 of the batch") {
		t.Errorf("miss: %v", err)
	}
	if err := loadErr(map[string]string{"source": "table", "table": "testdata/table_labels_f8.npz", "output_kind": "probabilities"}); err == nil {
		t.Error("a label table loaded as probabilities")
	}
	e2, _ := load(t, map[string]string{"source": "table", "table": "testdata/table_probs_f4.npz", "fuzzy": "true"})
	y, err = e2.Predict(context.Background(), batchOf([][]float64{floatsAdd(row(5), 1e-7)}, tensor.Float64), false)
	if err != nil || math.Abs(y.F64[2]-(0.8+0.2/3)) > 1e-6 {
		t.Errorf("fuzzy probabilities %v, %v", y.F64, err)
	}
}

func floatsAdd(r []float64, v float64) []float64 {
	for i := range r {
		r[i] += v
	}
	return r
}

func TestCommandSource(t *testing.T) {
	m := testmodel.Fixed()
	var w, b []string
	for c := range m.W {
		for _, v := range m.W[c] {
			w = append(w, fmt.Sprint(v))
		}
		b = append(b, fmt.Sprint(m.B[c]))
	}
	cmd := fmt.Sprintf("%s -w %s -b %s", program, strings.Join(w, ","), strings.Join(b, ","))
	e, _ := load(t, map[string]string{"source": "command", "command": cmd, "input_shape": "4", "nb_classes": "3", "budget": "100"})
	rows := rowsOf(3, 4)
	y, err := e.Predict(context.Background(), batchOf(rows, tensor.Float64), false)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		for c, p := range m.Probs(r) {
			if math.Abs(y.F64[3*i+c]-p) > 1e-12 {
				t.Errorf("row %d class %d: %v, want %v", i, c, y.F64[3*i+c], p)
			}
		}
	}
	if d, _ := e.Describe(context.Background()); d.Info["program"] != program || d.Info["queries"] != "3" || strings.Contains(fmt.Sprint(d.Info), "-w") {
		t.Errorf("command info %v", d.Info)
	}
}

func TestConformance(t *testing.T) {
	srv := &testmodel.Server{Model: testmodel.Fixed()}
	url := serve(t, srv)
	t.Run("predict only", func(t *testing.T) {
		sdktest.RunEstimator(t, newEstimator(nil), sdktest.Config{Options: map[string]string{"source": "http", "url": url, "model": "softmax"}})
	})
	t.Run("nes", func(t *testing.T) {
		sdktest.RunEstimator(t, newEstimator(nil), sdktest.Config{Options: map[string]string{"source": "http", "url": url, "model": "softmax", "gradient": "nes", "nes_samples": "20"}})
	})
}

// TestPythonCommand runs testdata/softmax_model.py, the framing as a numpy
// user writes it, when Debian's python3-numpy is installed.
func TestPythonCommand(t *testing.T) {
	if err := exec.Command("/usr/bin/python3", "-c", "import numpy").Run(); err != nil {
		t.Skip("needs /usr/bin/python3 with numpy (Debian python3-numpy)")
	}
	m := testmodel.Fixed()
	var w, b []string
	for c := range m.W {
		var row []string
		for _, v := range m.W[c] {
			row = append(row, fmt.Sprint(v))
		}
		w = append(w, strings.Join(row, ","))
		b = append(b, fmt.Sprint(m.B[c]))
	}
	cmd := fmt.Sprintf("/usr/bin/python3 testdata/softmax_model.py -w '%s' -b '%s'", strings.Join(w, ";"), strings.Join(b, ","))
	e, _ := load(t, map[string]string{"source": "command", "command": cmd, "input_shape": "4", "nb_classes": "3", "timeout": "30s"})
	for k, dt := range []tensor.DType{tensor.Float32, tensor.Float64, tensor.Float32} {
		rows := rowsOf(2+k, 4)
		rows[0][0] += float64(k) // new rows each batch
		y, err := e.Predict(context.Background(), batchOf(rows, dt), false)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range rows {
			x := batchOf([][]float64{r}, dt).Float64s()
			for c, p := range m.Probs(x) {
				if math.Abs(y.At(3*i+c)-p) > 1e-6 {
					t.Errorf("batch %d row %d class %d: %v, want %v", k, i, c, y.At(3*i+c), p)
				}
			}
		}
	}
	if d, _ := e.Describe(context.Background()); d.Info["starts"] != "1" {
		t.Errorf("the program was started %s times for 3 batches, want once", d.Info["starts"])
	}
}

// TestPluginProcess runs the conformance checks against the real plugin
// executable and checks that it logs its query count when the host stops it.
func TestPluginProcess(t *testing.T) {
	srv := &testmodel.Server{Model: testmodel.Fixed()}
	var logs testlog.Buffer
	p, err := sdktest.LaunchWith(pluginBin, sdktest.LaunchOptions{Logger: hclog.New(&hclog.LoggerOptions{Output: &logs, Level: hclog.Info})})
	if err != nil {
		t.Fatal(err)
	}
	results := sdktest.Check(context.Background(), p.Client, sdktest.Config{Options: map[string]string{"source": "http", "url": serve(t, srv), "model": "softmax", "header.X-Key": "hush-123"}})
	for _, r := range results {
		if !r.Passed && !r.Skipped {
			t.Errorf("%s", r)
		}
	}
	d, err := p.Client.Describe(context.Background(), &estimatorv1.DescribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	queries := d.GetDescription().GetInfo()["queries"]
	if queries == "" || queries == "0" {
		t.Fatalf("describe reports queries=%q after the checks", queries)
	}
	p.Kill()
	for i := 0; i < 200 && !strings.Contains(logs.String(), "black-box source closing"); i++ {
		time.Sleep(10 * time.Millisecond) // the client relays stderr asynchronously
	}
	out := logs.String()
	if !strings.Contains(out, "black-box source closing") || !strings.Contains(out, "queries="+queries) {
		t.Errorf("no closing line with queries=%s in:\n%s", queries, out)
	}
	if strings.Contains(out, "hush-123") {
		t.Error("the header value reached the log")
	}
}
