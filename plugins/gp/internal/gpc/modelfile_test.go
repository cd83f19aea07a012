package gpc

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/arthost/arthost/plugins/gp/internal/kernel"
)

func smallModel(t testing.TB, inf Inference, classes int) *Model {
	rng := rand.New(rand.NewPCG(9, 9))
	x, y := blobs(rng, 6, 2, classes)
	k := kernel.Kernel{Family: kernel.Matern32, Variance: 1, Lengthscale: []float64{1, 2}, White: 0.1}
	m, err := Fit(context.Background(), Config{Kernel: k, Inference: inf}, x, y, classes, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestModelFileRoundTrip(t *testing.T) {
	for _, inf := range []Inference{Laplace, EP} {
		for _, k := range []int{2, 3} {
			m := smallModel(t, inf, k)
			data, err := m.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			m2, err := Unmarshal(data, 100)
			if err != nil {
				t.Fatalf("%s/%d: %v", inf, k, err)
			}
			p1, p2 := m.Proba(m.X), m2.Proba(m2.X)
			for i := range p1 {
				if p1[i] != p2[i] {
					t.Fatalf("%s/%d: proba %d: %v then %v", inf, k, i, p1[i], p2[i])
				}
			}
			if _, err := Unmarshal(data, 5); err == nil || !strings.Contains(err.Error(), "exceed max_train=5") {
				t.Errorf("max_train 5 on 6 rows: %v", err)
			}
		}
	}
}

func TestModelFileRejects(t *testing.T) {
	data, err := smallModel(t, EP, 2).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	good := string(data)
	for name, c := range map[string]struct{ old, new, msg string }{
		"format":        {`"format": "arthost-gp-model"`, `"format": "other"`, `format "other"`},
		"version":       {`"format_version": 1`, `"format_version": 7`, "format_version 7"},
		"inference":     {`"inference": "ep"`, `"inference": "vi"`, `inference "vi"`},
		"classes":       {`"classes": 2`, `"classes": 1`, "classes 1"},
		"kernel family": {`"family": "matern32"`, `"family": "linear"`, `unknown kernel "linear"`},
		"variance":      {`"variance": 1,`, `"variance": -1,`, "variance -1"},
		"tau":           {`"tau": [`, `"tau": [-1,`, "tau"},
		"positive":      {`"positive_class": 1`, `"positive_class": 0`, "positive_class 0"},
	} {
		bad := strings.Replace(good, c.old, c.new, 1)
		if bad == good {
			t.Fatalf("%s: %q not in the model file", name, c.old)
		}
		if _, err := Unmarshal([]byte(bad), 100); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: got %v, want an error containing %q", name, err, c.msg)
		}
	}
}

// FuzzUnmarshal: the model file loader never panics, and a model it
// accepts predicts finite probabilities.
func FuzzUnmarshal(f *testing.F) {
	for _, inf := range []Inference{Laplace, EP} {
		for _, k := range []int{2, 3} {
			data, err := smallModel(f, inf, k).Marshal()
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add([]byte(`{"format":"arthost-gp-model","format_version":1,"inference":"laplace","classes":2,"x":[[0],[1]],"labels":[0,1],"classifiers":[{"positive_class":1,"kernel":{"family":"rbf","variance":1,"lengthscale":[1]},"pi":[0.4,0.6]}]}`))
	f.Add([]byte(`{"x":[[]],"classes":99999999999}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Unmarshal(data, 50)
		if err != nil {
			return
		}
		for i, p := range m.Proba(m.X) {
			if !(p >= 0 && p <= 1) {
				t.Fatalf("accepted model predicts %v at %d", p, i)
			}
		}
		m.ProbaGrad(m.X.RawRowView(0))
	})
}
