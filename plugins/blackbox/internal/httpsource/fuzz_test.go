package httpsource

import (
	"encoding/json"
	"math"
	"testing"
)

// FuzzDecodeV2 feeds arbitrary bodies to the v2 response decoder: it must
// never panic, and what it accepts must be a valid tensor of the batch.
func FuzzDecodeV2(f *testing.F) {
	f.Add([]byte(`{"outputs":[{"name":"p","shape":[2,3],"datatype":"FP32","data":[1,2,3,4,5,6]}]}`), 2, "")
	f.Add([]byte(`{"outputs":[{"name":"p","shape":[2,3],"datatype":"FP64","data":[[1,2,3],[4,5,6]]}]}`), 2, "p")
	f.Add([]byte(`{"outputs":[{"name":"l","shape":[2],"datatype":"BOOL","data":[true,false]}]}`), 2, "")
	f.Add([]byte(`{"outputs":[{"name":"p","shape":[1,1000000000,1000000000],"datatype":"FP32","data":[]}]}`), 1, "")
	f.Add([]byte(`{"error":"x"}`), 1, "")
	f.Fuzz(func(t *testing.T, body []byte, rows int, output string) {
		y, err := decodeV2(body, rows, output)
		if err != nil {
			return
		}
		if err := y.Validate(); err != nil {
			t.Fatalf("accepted an invalid tensor: %v", err)
		}
		if y.Shape[0] != rows {
			t.Fatalf("accepted shape %v for %d rows", y.Shape, rows)
		}
		if y.FirstNonFinite() >= 0 {
			t.Fatalf("accepted a non-finite value")
		}
	})
}

// FuzzDecodeTFServing does the same for TF Serving predict responses.
func FuzzDecodeTFServing(f *testing.F) {
	f.Add([]byte(`{"predictions":[[0.1,0.9],[0.5,0.5]]}`), 2, "")
	f.Add([]byte(`{"predictions":[{"probs":[0.1,0.9]},{"probs":[0.5,0.5]}]}`), 2, "probs")
	f.Add([]byte(`{"predictions":[1,0,2]}`), 3, "")
	f.Add([]byte(`{"predictions":[[[1]],[[2]]]}`), 2, "")
	f.Fuzz(func(t *testing.T, body []byte, rows int, output string) {
		y, err := decodeTFServing(body, rows, output, 1<<16)
		if err != nil {
			return
		}
		if err := y.Validate(); err != nil {
			t.Fatalf("accepted an invalid tensor: %v", err)
		}
		if y.Shape[0] != rows || len(y.Shape) > 2 {
			t.Fatalf("accepted shape %v for %d rows", y.Shape, rows)
		}
	})
}

// FuzzParseNumbers checks the tensor-data parser against encoding/json:
// any valid JSON made only of (nested arrays of) numbers and booleans
// parses to the same values, and nothing panics.
func FuzzParseNumbers(f *testing.F) {
	for _, s := range []string{`[1, 2.5e-3, -0]`, `[[true,false],[1e308,-1e-308]]`, `7`, `[]`, `[[[]]]`, `[1,,2]`, `[1 2]`, `[01]`, `["a"]`, `[1e999]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := parseNumbers(b, nil, 1<<16)
		var v any
		if json.Unmarshal(b, &v) != nil {
			return
		}
		want, ok := leaves(v, nil, 0)
		if !ok || len(want) > 1<<16 {
			return
		}
		if err != nil {
			t.Fatalf("valid numeric JSON %q refused: %v", b, err)
		}
		if len(got) != len(want) {
			t.Fatalf("%q: %d values, encoding/json has %d", b, len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] && !(math.IsNaN(got[i]) && math.IsNaN(want[i])) {
				t.Fatalf("%q: value %d is %v, encoding/json has %v", b, i, got[i], want[i])
			}
		}
	})
}

// leaves flattens numbers and booleans; ok is false for anything else or
// nesting past maxNesting.
func leaves(v any, out []float64, depth int) ([]float64, bool) {
	switch v := v.(type) {
	case float64:
		return append(out, v), true
	case bool:
		if v {
			return append(out, 1), true
		}
		return append(out, 0), true
	case []any:
		if depth >= maxNesting {
			return nil, false
		}
		for _, e := range v {
			var ok bool
			if out, ok = leaves(e, out, depth+1); !ok {
				return nil, false
			}
		}
		return out, true
	}
	return nil, false
}

// FuzzParseMetadata feeds arbitrary bodies to both metadata parsers: no
// panic, and accepted shapes hold only positive sizes or -1.
func FuzzParseMetadata(f *testing.F) {
	f.Add([]byte(`{"name":"m","inputs":[{"name":"x","datatype":"FP32","shape":[-1,4]}],"outputs":[{"name":"p","datatype":"FP32","shape":[-1,3]}]}`), false)
	f.Add([]byte(`{"metadata":{"signature_def":{"signature_def":{"serving_default":{"inputs":{"x":{"dtype":"DT_FLOAT","tensor_shape":{"dim":[{"size":"-1"},{"size":"4"}]}}},"outputs":{"p":{"tensor_shape":{"dim":[{"size":"-1"},{"size":"3"}]}}}}}}}}`), true)
	f.Fuzz(func(t *testing.T, body []byte, tf bool) {
		parse := parseMetadata
		if tf {
			parse = parseTFMetadata
		}
		m, err := parse(body, "", "")
		if err != nil {
			return
		}
		for _, d := range append(append([]int{}, m.InputShape...), m.OutputShape...) {
			if d == 0 || d < -1 {
				t.Fatalf("accepted dimension %d in %+v", d, m)
			}
		}
	})
}
