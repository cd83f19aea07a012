package httpsource

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/arthost/arthost/plugins/blackbox/internal/testmodel"
	"github.com/arthost/arthost/shared/tensor"
)

// inputs is a batch of n rows of the fixed model's 4 features.
func inputs(n int) [][]float64 {
	rows := make([][]float64, n)
	for i := range rows {
		rows[i] = []float64{0.1 * float64(i), -0.3 + 0.05*float64(i), 0.7, float64(i%3) - 1}
	}
	return rows
}

func batch32(rows [][]float64) tensor.Tensor {
	var v []float32
	for _, r := range rows {
		for _, x := range r {
			v = append(v, float32(x))
		}
	}
	return tensor.FromFloat32(v, len(rows), len(rows[0]))
}

func batch64(rows [][]float64) tensor.Tensor {
	var v []float64
	for _, r := range rows {
		v = append(v, r...)
	}
	return tensor.FromFloat64(v, len(rows), len(rows[0]))
}

func serve(t testing.TB, s *testmodel.Server) string {
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts.URL
}

func newSource(t testing.TB, cfg Config) *Source {
	t.Helper()
	if cfg.Model == "" {
		cfg.Model = "softmax"
	}
	if cfg.Backoff == 0 {
		cfg.Backoff, cfg.MaxBackoff = time.Millisecond, 4*time.Millisecond
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestPredictMatchesModel(t *testing.T) {
	m := testmodel.Fixed()
	cases := []struct {
		name   string
		server *testmodel.Server
		cfg    Config
		f32    bool
		tol    float64
		labels bool
	}{
		{name: "v2 flat fp64", cfg: Config{InputName: "x"}, tol: 1e-15},
		{name: "v2 nested fp32 answer", server: &testmodel.Server{Nested: true, FP32: true}, cfg: Config{InputName: "x"}, tol: 1e-7},
		{name: "v2 float32 input", cfg: Config{InputName: "x"}, f32: true, tol: 1e-6},
		{name: "v2 named output", server: &testmodel.Server{OutputName: "scores"}, cfg: Config{InputName: "x", OutputName: "scores"}, tol: 1e-15},
		{name: "v2 labels", server: &testmodel.Server{Kind: testmodel.Labels}, cfg: Config{InputName: "x"}, labels: true},
		{name: "tfserving rows", cfg: Config{Protocol: ProtocolTFServing}, tol: 1e-15},
		{name: "tfserving named input", cfg: Config{Protocol: ProtocolTFServing, InputName: "x"}, tol: 1e-15},
		{name: "tfserving named output", server: &testmodel.Server{OutputName: "probs"}, cfg: Config{Protocol: ProtocolTFServing, OutputName: "probs"}, tol: 1e-15},
		{name: "tfserving labels", server: &testmodel.Server{Kind: testmodel.Labels}, cfg: Config{Protocol: ProtocolTFServing}, labels: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := c.server
			if srv == nil {
				srv = &testmodel.Server{}
			}
			srv.Model = m
			c.cfg.URL = serve(t, srv)
			src := newSource(t, c.cfg)
			rows := inputs(5)
			x := batch64(rows)
			if c.f32 {
				x = batch32(rows)
			}
			y, err := src.Query(context.Background(), x)
			if err != nil {
				t.Fatal(err)
			}
			if c.labels {
				if len(y.Shape) != 1 || y.Shape[0] != 5 {
					t.Fatalf("labels shape %v, want [5]", y.Shape)
				}
				for i, r := range rows {
					if int(y.F64[i]) != m.Label(r) {
						t.Errorf("row %d label %v, want %d", i, y.F64[i], m.Label(r))
					}
				}
				return
			}
			if len(y.Shape) != 2 || y.Shape[0] != 5 || y.Shape[1] != 3 {
				t.Fatalf("shape %v, want [5 3]", y.Shape)
			}
			for i, r := range rows {
				if c.f32 {
					for j := range r {
						r[j] = float64(float32(r[j]))
					}
				}
				p := m.Probs(r)
				for k := range p {
					if d := math.Abs(y.F64[3*i+k] - p[k]); d > c.tol {
						t.Errorf("row %d class %d: %v, want %v (diff %g)", i, k, y.F64[3*i+k], p[k], d)
					}
				}
			}
		})
	}
}

func TestRetriesOn503(t *testing.T) {
	srv := &testmodel.Server{Model: testmodel.Fixed(), FailFirst: 2}
	src := newSource(t, Config{URL: serve(t, srv), InputName: "x", Retries: 3})
	if _, err := src.Query(context.Background(), batch64(inputs(2))); err != nil {
		t.Fatalf("query after two 503s: %v", err)
	}
	if n := srv.Inferences(); n != 3 {
		t.Errorf("%d requests, want 3 (two failures, one success)", n)
	}

	srv = &testmodel.Server{Model: testmodel.Fixed(), FailFirst: 10}
	src = newSource(t, Config{URL: serve(t, srv), InputName: "x", Retries: 2})
	_, err := src.Query(context.Background(), batch64(inputs(2)))
	if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "after 3 attempts") || !strings.Contains(err.Error(), "warming up") {
		t.Fatalf("err = %v, want Unavailable after 3 attempts with the server's message", err)
	}
	if n := srv.Inferences(); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
}

func TestTimeoutStalledServer(t *testing.T) {
	srv := &testmodel.Server{Model: testmodel.Fixed(), Stall: true}
	src := newSource(t, Config{URL: serve(t, srv), InputName: "x", Timeout: 30 * time.Millisecond, Retries: 1})
	_, err := src.Query(context.Background(), batch64(inputs(1)))
	if status.Code(err) != codes.DeadlineExceeded || !strings.Contains(err.Error(), "no answer within 30ms") {
		t.Fatalf("err = %v, want DeadlineExceeded", err)
	}
	if n := srv.Inferences(); n != 2 {
		t.Errorf("%d attempts, want 2", n)
	}
}

func TestCallerCancelStopsRetries(t *testing.T) {
	srv := &testmodel.Server{Model: testmodel.Fixed(), Stall: true}
	src := newSource(t, Config{URL: serve(t, srv), InputName: "x", Timeout: time.Hour, Retries: 5})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err := src.Query(ctx, batch64(inputs(1)))
	if status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("err = %v, want DeadlineExceeded from the caller's context", err)
	}
	if n := srv.Inferences(); n != 1 {
		t.Errorf("%d attempts after the caller gave up, want 1", n)
	}
}

func TestConnectionRefused(t *testing.T) {
	ts := httptest.NewServer(&testmodel.Server{Model: testmodel.Fixed()})
	url := ts.URL
	ts.Close()
	src := newSource(t, Config{URL: url, InputName: "x", Retries: 2})
	_, err := src.Query(context.Background(), batch64(inputs(1)))
	if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "after 3 attempts") {
		t.Fatalf("err = %v, want Unavailable after 3 attempts", err)
	}
}

func TestMalformedResponses(t *testing.T) {
	v2 := []struct{ name, body, want string }{
		{"not json", `<html>oops</html>`, "not an inference response"},
		{"empty", ``, "not an inference response"},
		{"no outputs", `{"model_name":"softmax","outputs":[]}`, "no outputs"},
		{"missing outputs key", `{"model_name":"softmax"}`, "no outputs"},
		{"two outputs", `{"outputs":[{"name":"a","shape":[%d,3],"datatype":"FP32","data":[]},{"name":"b","shape":[1],"datatype":"FP32","data":[1]}]}`, `2 outputs ("a", "b"); set output_name`},
		{"wrong rows", `{"outputs":[{"name":"p","shape":[7,3],"datatype":"FP64","data":[1,2,3]}]}`, "shape [7 3] for a batch of 2"},
		{"data short", `{"outputs":[{"name":"p","shape":[%d,3],"datatype":"FP64","data":[1,2,3]}]}`, "3 values for shape [2 3]"},
		{"data long", `{"outputs":[{"name":"p","shape":[%d,1],"datatype":"FP64","data":[1,2,3]}]}`, "more than 2 values"},
		{"no data", `{"outputs":[{"name":"p","shape":[%d,1],"datatype":"FP64"}]}`, "has no data"},
		{"string data", `{"outputs":[{"name":"p","shape":[%d,1],"datatype":"FP64","data":["a","b"]}]}`, "want a number"},
		{"bytes", `{"outputs":[{"name":"p","shape":[%d],"datatype":"BYTES","data":["a","b"]}]}`, `datatype "BYTES"`},
		{"negative dim", `{"outputs":[{"name":"p","shape":[%d,-1],"datatype":"FP64","data":[]}]}`, "invalid shape"},
		{"error field", `{"error":"model exploded"}`, "model exploded"},
		{"nan", `{"outputs":[{"name":"p","shape":[%d],"datatype":"FP64","data":[1,NaN]}]}`, "not an inference response"},
	}
	tf := []struct{ name, body, want string }{
		{"not json", `predictions: yes`, "not a predict response"},
		{"no predictions", `{"outputs":[1,2]}`, "no predictions"},
		{"wrong count", `{"predictions":[[1,2,3]]}`, "1 predictions for a batch of 2"},
		{"ragged", `{"predictions":[[1,2,3],[1,2]]}`, "prediction 1 has 2 values, prediction 0 has 3"},
		{"mixed scalar", `{"predictions":[1,[2]]}`, "prediction 1 has 1 values"},
		{"object without name", `{"predictions":[{"a":[1],"b":[2]},{"a":[1],"b":[2]}]}`, `2 named outputs ("a", "b")`},
		{"null", `{"predictions":[null,null]}`, "want a number"},
		{"error field", `{"error":"bad signature"}`, "bad signature"},
	}
	run := func(t *testing.T, proto, body, want string) {
		srv := &testmodel.Server{Model: testmodel.Fixed(), Body: func(rows int) string {
			if strings.Contains(body, "%d") {
				return fmt.Sprintf(body, rows)
			}
			return body
		}}
		src := newSource(t, Config{URL: serve(t, srv), Protocol: proto, InputName: "x", Retries: 3})
		_, err := src.Query(context.Background(), batch64(inputs(2)))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("err = %v, want it to mention %q", err, want)
		}
		if n := srv.Inferences(); n != 1 {
			t.Errorf("malformed answer retried (%d requests)", n)
		}
	}
	for _, c := range v2 {
		t.Run("v2/"+c.name, func(t *testing.T) { run(t, ProtocolV2, c.body, c.want) })
	}
	for _, c := range tf {
		t.Run("tfserving/"+c.name, func(t *testing.T) { run(t, ProtocolTFServing, c.body, c.want) })
	}
}

func TestClientErrorsAreNotRetried(t *testing.T) {
	srv := &testmodel.Server{Model: testmodel.Fixed()}
	url := serve(t, srv)
	src := newSource(t, Config{URL: url, Model: "nope", InputName: "x", Retries: 3})
	_, err := src.Query(context.Background(), batch64(inputs(1)))
	if status.Code(err) != codes.NotFound || !strings.Contains(err.Error(), "no such endpoint") {
		t.Fatalf("err = %v, want NotFound with the server's message", err)
	}
	src = newSource(t, Config{URL: url, InputName: "wrong", Retries: 3})
	_, err = src.Query(context.Background(), batch64(inputs(1)))
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), `unexpected input "wrong"`) {
		t.Fatalf("err = %v, want InvalidArgument", err)
	}
	if n := srv.Inferences(); n != 1 {
		t.Errorf("a 400 was retried (%d requests)", n)
	}
}

func TestHeadersSentNeverShown(t *testing.T) {
	const secret = "s3cr3t-key-value"
	srv := &testmodel.Server{Model: testmodel.Fixed(), FailFirst: 1}
	var logs bytes.Buffer
	log := hclog.New(&hclog.LoggerOptions{Output: &logs, Level: hclog.Trace, JSONFormat: true})
	cfg := Config{URL: serve(t, srv), InputName: "x", Retries: 1, Headers: map[string]string{"X-Api-Key": secret}, Logger: log}
	src := newSource(t, cfg)
	if _, err := src.Query(context.Background(), batch64(inputs(1))); err != nil {
		t.Fatal(err)
	}
	for i, h := range srv.Headers() {
		if h.Get("X-Api-Key") != secret {
			t.Errorf("request %d lacks the header", i)
		}
	}
	if !strings.Contains(logs.String(), "retrying") {
		t.Errorf("the retry was not logged: %q", logs.String())
	}
	srv.FailFirst = 100
	_, err := src.Query(context.Background(), batch64(inputs(1)))
	shown := fmt.Sprint(logs.String(), err, src.Describe(), fmt.Sprintf("%+v %#v %+v", src, cfg, cfg))
	if strings.Contains(shown, secret) {
		t.Errorf("the header value leaked: %s", shown)
	}
	if src.Describe()["headers"] != "X-Api-Key" {
		t.Errorf("describe %v", src.Describe())
	}
}

func TestURLCredentialsRedacted(t *testing.T) {
	src := newSource(t, Config{URL: "http://user:hunter2@127.0.0.1:1/prefix", InputName: "x"})
	_, err := src.Query(context.Background(), batch64(inputs(1)))
	if err == nil || strings.Contains(err.Error(), "hunter2") || strings.Contains(src.Describe()["url"], "hunter2") {
		t.Errorf("password shown: %v / %v", err, src.Describe())
	}
}

func TestConcurrencyCap(t *testing.T) {
	var mu sync.Mutex
	inFlight, peak := 0, 0
	srv := &testmodel.Server{Model: testmodel.Fixed(), Delay: 2 * time.Millisecond}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inFlight++
		peak = max(peak, inFlight)
		mu.Unlock()
		srv.ServeHTTP(w, r)
		mu.Lock()
		inFlight--
		mu.Unlock()
	}))
	defer ts.Close()
	src := newSource(t, Config{URL: ts.URL, InputName: "x", Concurrency: 2})
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := src.Query(context.Background(), batch64(inputs(2))); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if peak > 2 {
		t.Errorf("%d requests in flight, cap 2", peak)
	}
}

func TestMetadata(t *testing.T) {
	srv := &testmodel.Server{Model: testmodel.Fixed(), InputName: "input0", OutputName: "output0"}
	src := newSource(t, Config{URL: serve(t, srv)})
	m, err := src.Metadata(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := Metadata{InputName: "input0", InputDatatype: "FP32", InputShape: []int{4}, OutputName: "output0", OutputShape: []int{3}}
	if fmt.Sprint(m) != fmt.Sprint(want) {
		t.Errorf("metadata %+v, want %+v", m, want)
	}
	src.SetTensors(m)
	y, err := src.Query(context.Background(), batch64(inputs(3)))
	if err != nil || y.Shape[1] != 3 {
		t.Fatalf("query with names from metadata: %v %v", y.Shape, err)
	}
	tf := newSource(t, Config{URL: serve(t, srv), Protocol: ProtocolTFServing})
	m, err = tf.Metadata(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(m) != fmt.Sprint(want) {
		t.Errorf("tfserving metadata %+v, want %+v", m, want)
	}
	srv.NoMetadata = true
	if _, err := tf.Metadata(context.Background()); status.Code(err) != codes.NotFound {
		t.Errorf("metadata not served: %v", err)
	}
}

func TestParseMetadata(t *testing.T) {
	cases := []struct{ name, body, in, out, want string }{
		{"two inputs", `{"inputs":[{"name":"a","shape":[-1,2]},{"name":"b","shape":[-1,2]}],"outputs":[{"name":"o","shape":[-1,3]}]}`, "", "", `2 inputs ("a", "b"); set input_name`},
		{"named input missing", `{"inputs":[{"name":"a","shape":[-1,2]}],"outputs":[{"name":"o","shape":[-1,3]}]}`, "z", "", `no input "z"`},
		{"no outputs", `{"inputs":[{"name":"a","shape":[-1,2]}]}`, "", "", "no outputs listed"},
		{"scalar input", `{"inputs":[{"name":"a","shape":[]}],"outputs":[{"name":"o","shape":[-1,3]}]}`, "", "", "no batch dimension"},
		{"zero dim", `{"inputs":[{"name":"a","shape":[-1,0]}],"outputs":[{"name":"o","shape":[-1,3]}]}`, "", "", "invalid shape"},
		{"not json", `nope`, "", "", "not a metadata response"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseMetadata([]byte(c.body), c.in, c.out)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
}

func TestParseTFMetadata(t *testing.T) {
	sig := func(inputs, outputs string) string {
		return `{"metadata":{"signature_def":{"signature_def":{"serving_default":{"inputs":` + inputs + `,"outputs":` + outputs + `}}}}}`
	}
	tensor := func(dims ...string) string {
		return `{"dtype":"DT_DOUBLE","tensor_shape":{"dim":[{"size":` + strings.Join(dims, `},{"size":`) + `}]}}`
	}
	m, err := parseTFMetadata([]byte(sig(`{"a":`+tensor(`"-1"`, `28`, `"28"`)+`}`, `{"o":`+tensor(`"-1"`, `"10"`)+`}`)), "", "")
	if err != nil || fmt.Sprintf("%v %v %s", m.InputShape, m.OutputShape, m.InputDatatype) != "[28 28] [10] FP64" {
		t.Errorf("metadata %+v, %v", m, err)
	}
	cases := []struct{ name, body, in, want string }{
		{"no default", `{"metadata":{"signature_def":{"signature_def":{"a":{},"b":{}}}}}`, "", `no serving_default signature (it has "a", "b")`},
		{"two inputs", sig(`{"a":`+tensor(`"-1"`)+`,"b":`+tensor(`"-1"`)+`}`, `{"o":`+tensor(`"-1"`)+`}`), "", `2 inputs ("a", "b"); set input_name`},
		{"named input missing", sig(`{"a":`+tensor(`"-1"`)+`}`, `{"o":`+tensor(`"-1"`)+`}`), "z", `no input "z"`},
		{"unknown rank", sig(`{"a":{"tensor_shape":{"unknown_rank":true}}}`, `{"o":`+tensor(`"-1"`)+`}`), "", "unknown rank"},
		{"bad size", sig(`{"a":`+tensor(`"x"`)+`}`, `{"o":`+tensor(`"-1"`)+`}`), "", "not a metadata response"},
		{"error", `{"error":"model not found"}`, "", "model not found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseTFMetadata([]byte(c.body), c.in, "")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
}

func TestHealth(t *testing.T) {
	srv := &testmodel.Server{Model: testmodel.Fixed()}
	url := serve(t, srv)
	for _, p := range []string{ProtocolV2, ProtocolTFServing} {
		if err := newSource(t, Config{URL: url, Protocol: p}).Health(context.Background()); err != nil {
			t.Errorf("%s health: %v", p, err)
		}
	}
	if err := newSource(t, Config{URL: url, Model: "other"}).Health(context.Background()); status.Code(err) != codes.NotFound {
		t.Errorf("health of a missing model: %v", err)
	}
	if srv.Inferences() != 0 {
		t.Errorf("health checks ran inferences")
	}
}

func TestNewRejects(t *testing.T) {
	for _, cfg := range []Config{
		{URL: "ftp://x", Model: "m"},
		{URL: "http://", Model: "m"},
		{URL: "http://h", Model: ""},
		{URL: "http://h", Model: "m", Protocol: "grpc"},
		{URL: "http://h", Model: "m", Retries: -1},
		{URL: "http://h", Model: "m", Headers: map[string]string{"Bad Name": "v"}},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("config %+v accepted", cfg)
		}
	}
}

func TestPacerSpacesRequests(t *testing.T) {
	now := time.Unix(1000, 0)
	var slept []time.Duration
	p := newPacer(4) // one request per 250ms
	p.now = func() time.Time { return now }
	p.sleep = func(ctx context.Context, d time.Duration) error { slept = append(slept, d); return nil }
	for i := 0; i < 3; i++ {
		if err := p.wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	want := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond}
	if fmt.Sprint(slept) != fmt.Sprint(want) {
		t.Errorf("slept %v, want %v", slept, want)
	}
	now = now.Add(2 * time.Second) // idle: no debt carried over
	slept = nil
	p.wait(context.Background())
	if len(slept) != 0 {
		t.Errorf("slept %v after an idle period", slept)
	}
	if err := newPacer(0).wait(context.Background()); err != nil {
		t.Error(err)
	}
}

func TestBackoffGrowsAndCaps(t *testing.T) {
	s := &Source{cfg: Config{Backoff: 100 * time.Millisecond, MaxBackoff: time.Second}}
	for attempt, hi := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		hi *= time.Millisecond
		for i := 0; i < 50; i++ {
			if d := s.backoff(attempt, 0); d < hi/2 || d > hi {
				t.Fatalf("attempt %d: delay %v outside [%v, %v]", attempt, d, hi/2, hi)
			}
		}
	}
	if d := s.backoff(0, 700*time.Millisecond); d != 700*time.Millisecond {
		t.Errorf("Retry-After ignored: %v", d)
	}
}
