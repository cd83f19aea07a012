package testmodel

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Output kinds the server can answer with.
const (
	Probabilities = "probabilities"
	Logits        = "logits"
	Labels        = "labels"
)

// stallLimit ends a stalled request even if the client never hangs up, so
// a test server always closes.
const stallLimit = 10 * time.Second

// Server serves Model over HTTP. Set the fields before the first request.
type Server struct {
	Model      Softmax
	Name       string // model name in the paths; "softmax" if empty
	InputName  string // "x" if empty
	OutputName string // "probs" if empty
	Kind       string // Probabilities (default), Logits or Labels
	// Nested answers v2 data as nested arrays instead of flat.
	Nested bool
	// FP32 answers v2 output as FP32 (values rounded to float32).
	FP32 bool
	// FailFirst answers the first FailFirst inference requests with 503.
	FailFirst int64
	// Stall blocks inference requests until the client gives up.
	Stall bool
	// Delay is added to every inference request (a model's latency).
	Delay time.Duration
	// NoMetadata answers the metadata endpoints with 404.
	NoMetadata bool
	// Body, when set, replaces the body of every successful inference
	// answer (malformed-response tests).
	Body func(rows int) string

	inferences atomic.Int64
	mu         sync.Mutex
	headers    []http.Header
}

// Inferences is the number of inference requests received, failed or not.
func (s *Server) Inferences() int64 { return s.inferences.Load() }

// Headers returns the headers of every request received.
func (s *Server) Headers() []http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]http.Header(nil), s.headers...)
}

func (s *Server) name() string { return or(s.Name, "softmax") }

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// ServeHTTP routes the v2 and TF Serving endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.headers = append(s.headers, r.Header.Clone())
	s.mu.Unlock()
	v2 := "/v2/models/" + s.name()
	tf := "/v1/models/" + s.name()
	switch {
	case s.NoMetadata && r.Method == http.MethodGet && (r.URL.Path == v2 || r.URL.Path == tf+"/metadata"):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "metadata not served"})
	case r.Method == http.MethodGet && r.URL.Path == v2:
		s.metadata(w)
	case r.Method == http.MethodGet && r.URL.Path == tf+"/metadata":
		s.tfMetadata(w)
	case r.Method == http.MethodGet && (r.URL.Path == v2+"/ready" || r.URL.Path == tf):
		w.WriteHeader(http.StatusOK)
	case r.Method == http.MethodPost && r.URL.Path == v2+"/infer":
		s.infer(w, r, s.inferV2)
	case r.Method == http.MethodPost && r.URL.Path == tf+":predict":
		s.infer(w, r, s.inferTF)
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such endpoint " + r.URL.Path})
	}
}

func (s *Server) metadata(w http.ResponseWriter) {
	out := []int{-1, s.Model.K()}
	dt := "FP64"
	if s.Kind == Labels {
		out, dt = []int{-1}, "INT64"
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"name": s.name(), "versions": []string{"1"}, "platform": "test",
		"inputs":  []any{map[string]any{"name": or(s.InputName, "x"), "datatype": "FP32", "shape": []int{-1, s.Model.D()}}},
		"outputs": []any{map[string]any{"name": or(s.OutputName, "probs"), "datatype": dt, "shape": out}},
	})
}

// tfMetadata answers as TF Serving does, sizes as strings.
func (s *Server) tfMetadata(w http.ResponseWriter) {
	dims := func(d ...int) map[string]any {
		var out []any
		for _, v := range d {
			out = append(out, map[string]any{"size": fmt.Sprint(v), "name": ""})
		}
		return map[string]any{"dim": out, "unknown_rank": false}
	}
	out := dims(-1, s.Model.K())
	if s.Kind == Labels {
		out = dims(-1)
	}
	sig := map[string]any{
		"inputs":      map[string]any{or(s.InputName, "x"): map[string]any{"dtype": "DT_FLOAT", "tensor_shape": dims(-1, s.Model.D()), "name": "serving_default_x:0"}},
		"outputs":     map[string]any{or(s.OutputName, "probs"): map[string]any{"dtype": "DT_FLOAT", "tensor_shape": out, "name": "StatefulPartitionedCall:0"}},
		"method_name": "tensorflow/serving/predict",
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"model_spec": map[string]any{"name": s.name(), "signature_name": "", "version": "1"},
		"metadata":   map[string]any{"signature_def": map[string]any{"signature_def": map[string]any{"serving_default": sig, "__saved_model_init_op": map[string]any{}}}},
	})
}

func (s *Server) infer(w http.ResponseWriter, r *http.Request, f func(http.ResponseWriter, *http.Request)) {
	n := s.inferences.Add(1)
	if s.Stall {
		// The server notices a client hanging up only once the body is read.
		io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-time.After(stallLimit):
		}
		return
	}
	if s.Delay > 0 {
		time.Sleep(s.Delay)
	}
	if n <= s.FailFirst {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "warming up"})
		return
	}
	f(w, r)
}

// rows splits flat values into rows of the model's width.
func (s *Server) rows(flat []float64) ([][]float64, error) {
	d := s.Model.D()
	if len(flat)%d != 0 {
		return nil, fmt.Errorf("%d values are not rows of %d", len(flat), d)
	}
	out := make([][]float64, len(flat)/d)
	for i := range out {
		out[i] = flat[i*d : (i+1)*d]
	}
	return out, nil
}

// answer is the model's output for each row, per Kind.
func (s *Server) answer(rows [][]float64) (vals []any, width int) {
	for _, x := range rows {
		switch s.Kind {
		case Labels:
			vals = append(vals, s.Model.Label(x))
		case Logits:
			vals = append(vals, s.round(s.Model.Logits(x)))
		default:
			vals = append(vals, s.round(s.Model.Probs(x)))
		}
	}
	if s.Kind == Labels {
		return vals, 0
	}
	return vals, s.Model.K()
}

func (s *Server) round(v []float64) []float64 {
	if s.FP32 {
		for i := range v {
			v[i] = float64(float32(v[i]))
		}
	}
	return v
}

func (s *Server) inferV2(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Inputs []struct {
			Name     string `json:"name"`
			Shape    []int  `json:"shape"`
			Datatype string `json:"datatype"`
			Data     any    `json:"data"`
		} `json:"inputs"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Inputs) != 1 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("bad request: %v", err)})
		return
	}
	in := req.Inputs[0]
	if in.Name != or(s.InputName, "x") || (in.Datatype != "FP32" && in.Datatype != "FP64") {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("unexpected input %q of datatype %s", in.Name, in.Datatype)})
		return
	}
	flat := flatten(in.Data, nil)
	rows, err := s.rows(flat)
	if err != nil || len(in.Shape) != 2 || in.Shape[0] != len(rows) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("shape %v does not fit %d values", in.Shape, len(flat))})
		return
	}
	if s.Body != nil {
		w.Write([]byte(s.Body(len(rows))))
		return
	}
	vals, width := s.answer(rows)
	shape, dt := []int{len(rows), width}, "FP64"
	if s.FP32 {
		dt = "FP32"
	}
	if width == 0 {
		shape, dt = []int{len(rows)}, "INT64"
	}
	var data any = vals
	if !s.Nested {
		var flatOut []any
		for _, v := range vals {
			if row, ok := v.([]float64); ok {
				for _, x := range row {
					flatOut = append(flatOut, x)
				}
			} else {
				flatOut = append(flatOut, v)
			}
		}
		data = flatOut
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"model_name": s.name(), "id": "1",
		"outputs": []any{map[string]any{"name": or(s.OutputName, "probs"), "shape": shape, "datatype": dt, "data": data}},
	})
}

func (s *Server) inferTF(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Instances []any `json:"instances"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	var rows [][]float64
	for _, inst := range req.Instances {
		if m, ok := inst.(map[string]any); ok {
			inst = m[or(s.InputName, "x")]
		}
		row := flatten(inst, nil)
		if len(row) != s.Model.D() {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("instance has %d values", len(row))})
			return
		}
		rows = append(rows, row)
	}
	if s.Body != nil {
		w.Write([]byte(s.Body(len(rows))))
		return
	}
	vals, _ := s.answer(rows)
	if s.OutputName != "" {
		for i, v := range vals {
			vals[i] = map[string]any{s.OutputName: v}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"predictions": vals})
}

func flatten(v any, out []float64) []float64 {
	switch v := v.(type) {
	case float64:
		return append(out, v)
	case []any:
		for _, e := range v {
			out = flatten(e, out)
		}
	}
	return out
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	b, _ := json.Marshal(v)
	w.Write(b)
}

// Ensure the handler compiles as one.
var _ http.Handler = (*Server)(nil)
