package defences

import (
	"encoding/json"
	"math"
	"os"
	"slices"
	"sync"
	"testing"

	"github.com/arthost/arthost/shared/tensor"
)

// array is a tensor in fixtures.json (written by testdata/make_fixtures.py).
type array struct {
	Shape  []int     `json:"shape"`
	Values []float64 `json:"values"`
}

func (a array) tensor() tensor.Tensor {
	return tensor.FromFloat64(slices.Clone(a.Values), a.Shape...)
}

var (
	fixturesOnce sync.Once
	fixturesData map[string]json.RawMessage
	fixturesErr  error
)

// fixture decodes the fixture called name into v.
func fixture(t *testing.T, name string, v any) {
	t.Helper()
	fixturesOnce.Do(func() {
		b, err := os.ReadFile("testdata/fixtures.json")
		if err != nil {
			fixturesErr = err
			return
		}
		fixturesErr = json.Unmarshal(b, &fixturesData)
	})
	if fixturesErr != nil {
		t.Fatalf("fixtures: %v", fixturesErr)
	}
	raw, ok := fixturesData[name]
	if !ok {
		t.Fatalf("fixtures: no %q", name)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("fixtures %s: %v", name, err)
	}
}

// mustPre builds a preprocessor or fails the test.
func mustPre(t *testing.T, name string, params map[string]any) Preprocessor {
	t.Helper()
	p, err := NewPreprocessor(name, params, Defaults{})
	if err != nil {
		t.Fatalf("NewPreprocessor(%s, %v): %v", name, params, err)
	}
	return p
}

func mustPost(t *testing.T, name string, params map[string]any) Postprocessor {
	t.Helper()
	p, err := NewPostprocessor(name, params)
	if err != nil {
		t.Fatalf("NewPostprocessor(%s, %v): %v", name, params, err)
	}
	return p
}

// forward runs p on x with no labels and fails the test on error.
func forward(t *testing.T, p Preprocessor, x tensor.Tensor) tensor.Tensor {
	t.Helper()
	out, _, err := p.Forward(x, tensor.Tensor{})
	if err != nil {
		t.Fatalf("%s forward: %v", p.Name(), err)
	}
	return out
}

// near fails the test unless got has want's shape and every value lies
// within tol (absolute) of want's.
func near(t *testing.T, what string, got tensor.Tensor, wantShape []int, want []float64, tol float64) {
	t.Helper()
	if !slices.Equal(got.Shape, wantShape) {
		t.Fatalf("%s: shape %v, want %v", what, got.Shape, wantShape)
	}
	if got.Len() != len(want) {
		t.Fatalf("%s: %d values, want %d", what, got.Len(), len(want))
	}
	for i, w := range want {
		if g := got.At(i); !(math.Abs(g-w) <= tol) {
			t.Fatalf("%s: element %v is %v, want %v (tol %g)", what, got.Index(i), g, w, tol)
		}
	}
}

// list returns its arguments as a []any, as a YAML decoder builds lists.
func list(v ...any) []any { return v }
