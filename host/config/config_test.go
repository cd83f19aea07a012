package config

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseContractExample(t *testing.T) {
	src := `
estimators:
  cnn:
    plugin: onnx
    model: models/cnn.onnx
    options: {output: logits, threads: 2}
    clip_values: [0, 1]
    preprocessing: {subtrahend: 0.5, divisor: 0.25}
  svc:
    plugin: sklearn
    model: /abs/svc.json
    clip_values: [[0, 0], [1, 2]]
    preprocessing: {subtrahend: [0.1, 0.2], divisor: [1, 2]}
    batch_size: 64
default: cnn
`
	f, err := Parse("/etc/arthost/conf.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := &File{
		Path:    "/etc/arthost/conf.yaml",
		Default: "cnn",
		Estimators: map[string]*Estimator{
			"cnn": {Name: "cnn", Plugin: "onnx", Model: filepath.Join("/etc/arthost", "models/cnn.onnx"),
				Options: map[string]string{"output": "logits", "threads": "2"},
				ClipMin: []float64{0}, ClipMax: []float64{1}, Subtrahend: []float64{0.5}, Divisor: []float64{0.25}},
			"svc": {Name: "svc", Plugin: "sklearn", Model: "/abs/svc.json", Options: map[string]string{},
				ClipMin: []float64{0, 0}, ClipMax: []float64{1, 2}, Subtrahend: []float64{0.1, 0.2}, Divisor: []float64{1, 2}, BatchSize: 64},
		},
	}
	if diff := cmp.Diff(want, f); diff != "" {
		t.Fatalf("(-want +got)\n%s", diff)
	}
	e, err := f.Select("")
	if err != nil || e.Name != "cnn" {
		t.Fatalf("default: %v %v", e, err)
	}
	if _, err := f.Select("nope"); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("unknown name: %v", err)
	}
}

// TestRefusesMistakes tries one of each kind of mistake and checks the
// error names the file, the key path and the reason.
func TestRefusesMistakes(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"empty file", ``, "empty file"},
		{"not yaml", "estimators: [\n", "not valid YAML"},
		{"unknown top-level key", "estimators: {a: {plugin: x}}\nextra: 1\n", "extra: unknown key"},
		{"no estimators", "default: a\n", "estimators: missing"},
		{"unknown estimator key", "estimators: {a: {plugin: x, modle: m}}\n", "estimators.a.modle: unknown key"},
		{"missing plugin", "estimators: {a: {model: m}}\n", "estimators.a.plugin: missing"},
		{"default not defined", "estimators: {a: {plugin: x}}\ndefault: b\n", `default: no estimator named "b"`},
		{"clip not a pair", "estimators: {a: {plugin: x, clip_values: [0, 1, 2]}}\n", "estimators.a.clip_values: want [min, max]"},
		{"clip reversed", "estimators: {a: {plugin: x, clip_values: [1, 0]}}\n", "not below max"},
		{"clip not numbers", "estimators: {a: {plugin: x, clip_values: [a, 1]}}\n", `"a" is not a number`},
		{"zero divisor", "estimators: {a: {plugin: x, preprocessing: {divisor: 0}}}\n", "preprocessing.divisor: value 0 is 0"},
		{"unknown preprocessing key", "estimators: {a: {plugin: x, preprocessing: {mean: 0}}}\n", "preprocessing.mean: unknown key"},
		{"options not a mapping", "estimators: {a: {plugin: x, options: [1]}}\n", "estimators.a.options: want a mapping"},
		{"nested option value", "estimators: {a: {plugin: x, options: {k: [1]}}}\n", "estimators.a.options.k: want a scalar"},
		{"bad batch size", "estimators: {a: {plugin: x, batch_size: -3}}\n", "batch_size: want a positive integer"},
		{"duplicate key", "estimators: {a: {plugin: x, plugin: y}}\n", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("conf.yaml", []byte(c.src))
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.HasPrefix(err.Error(), "config conf.yaml") || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q: want the file and %q", err, c.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("estimators: {a: {plugin: x, clip_values: [0, 1], preprocessing: {divisor: [1, 2]}}}\ndefault: a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = Parse("fuzz.yaml", data)
	})
}

func TestParseEnsembleAndDefences(t *testing.T) {
	src := `
estimators:
  cnn: {plugin: onnx, model: cnn.onnx, clip_values: [0, 1]}
  svc: {plugin: sklearn, model: svc.json}
  mix:
    ensemble:
      members: [cnn, svc]            # names of other entries
      weights: [0.7, 0.3]            # optional; default 1/N each
      gradient_policy: skip          # fail | skip | estimate
    clip_values: [0, 1]
    defences:
      pre:  [{feature_squeezing: {bit_depth: 4, clip_values: [0, 1]}}]
      post: [{reverse_sigmoid: {beta: 1.0, gamma: 0.1}}, {class_labels: }]
default: mix
`
	f, err := Parse("/x/c.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	mix := f.Estimators["mix"]
	want := &Estimator{
		Name:     "mix",
		Ensemble: &Ensemble{Members: []string{"cnn", "svc"}, Weights: []float64{0.7, 0.3}, GradientPolicy: "skip"},
		Pre: []Defence{{Name: "feature_squeezing", Params: map[string]any{"bit_depth": 4, "clip_values": []any{0, 1}},
			Path: "estimators.mix.defences.pre[0].feature_squeezing"}},
		Post: []Defence{
			{Name: "reverse_sigmoid", Params: map[string]any{"beta": 1.0, "gamma": 0.1}, Path: "estimators.mix.defences.post[0].reverse_sigmoid"},
			{Name: "class_labels", Params: map[string]any{}, Path: "estimators.mix.defences.post[1].class_labels"},
		},
		Options: map[string]string{},
		ClipMin: []float64{0}, ClipMax: []float64{1},
	}
	if diff := cmp.Diff(want, mix); diff != "" {
		t.Fatalf("(-want +got)\n%s", diff)
	}
}

func TestRefusesCompositionMistakes(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"missing member", "estimators: {m: {ensemble: {members: [a]}}}\n", `estimators.m.ensemble.members: no estimator named "a"`},
		{"cycle", "estimators:\n  a: {ensemble: {members: [b]}}\n  b: {ensemble: {members: [a]}}\n", "cycle: a -> b -> a"},
		{"self member", "estimators: {a: {ensemble: {members: [a]}}}\n", "cycle: a -> a"},
		{"plugin and ensemble", "estimators: {a: {plugin: x, ensemble: {members: [a]}}}\n", "a plugin or an ensemble, not both"},
		{"weights count", "estimators:\n  a: {plugin: x}\n  m: {ensemble: {members: [a], weights: [1, 2]}}\n", "2 weights for 1 members"},
		{"bad gradient policy", "estimators:\n  a: {plugin: x}\n  m: {ensemble: {members: [a], gradient_policy: guess}}\n", `gradient_policy: "guess"`},
		{"model on ensemble", "estimators:\n  a: {plugin: x}\n  m: {ensemble: {members: [a]}, model: m.onnx}\n", "estimators.m.model: goes with plugin entries"},
		{"empty members", "estimators: {m: {ensemble: {members: []}}}\n", "members: want a list"},
		{"defences key", "estimators: {a: {plugin: x, defences: {middle: []}}}\n", "estimators.a.defences.middle: unknown key"},
		{"two defences in one item", "estimators: {a: {plugin: x, defences: {pre: [{a: {}, b: {}}]}}}\n", "pre[0]: want exactly one defence"},
		{"defence params not a mapping", "estimators: {a: {plugin: x, defences: {pre: [{feature_squeezing: 4}]}}}\n", "pre[0].feature_squeezing: want a mapping"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("conf.yaml", []byte(c.src))
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.HasPrefix(err.Error(), "config conf.yaml") || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q: want the file and %q", err, c.want)
			}
		})
	}
}

func TestRefusesInvalidDefences(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"unknown defence", "estimators: {a: {plugin: x, defences: {pre: [{feature_squashing: {}}]}}}\n",
			"estimators.a.defences.pre[0].feature_squashing"},
		{"bad parameter value", "estimators: {a: {plugin: x, defences: {pre: [{feature_squeezing: {bit_depth: 0, clip_values: [0, 1]}}]}}}\n",
			"bit_depth"},
		{"unknown parameter", "estimators: {a: {plugin: x, defences: {post: [{reverse_sigmoid: {betta: 1}}]}}}\n",
			`estimators.a.defences.post[0].reverse_sigmoid: reverse_sigmoid: unknown parameter "betta"`},
		{"post defence in pre", "estimators: {a: {plugin: x, defences: {pre: [{class_labels: {}}]}}}\n", "class_labels"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("conf.yaml", []byte(c.src))
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "config conf.yaml:") {
				t.Fatalf("error %v, want the file, line and %q", err, c.want)
			}
		})
	}
}
