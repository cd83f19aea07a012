package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arthost/arthost/plugins/sklearn/internal/model"
)

// tolerance is the bound on |arthost - sklearn| for predict_proba
// and decision_function.
const tolerance = 1e-9

// expectation is what make_fixtures.py stored from scikit-learn for the
// held-out rows of one fixture.
type expectation struct {
	X           [][]float64 `json:"x"`
	Predict     []int       `json:"predict"`
	Proba       [][]float64 `json:"proba"`
	Decision    any         `json:"decision"`
	DecisionOvr [][]float64 `json:"decision_ovr"`
}

func (e *expectation) flatX() ([]float64, int) {
	var out []float64
	for _, r := range e.X {
		out = append(out, r...)
	}
	return out, len(e.X)
}

// decision returns sklearn's decision_function flattened and its width.
func (e *expectation) decision() ([]float64, int) {
	rows, ok := e.Decision.([]any)
	if !ok || len(rows) == 0 {
		return nil, 0
	}
	var out []float64
	w := 1
	for _, r := range rows {
		switch v := r.(type) {
		case float64:
			out = append(out, v)
		case []any:
			w = len(v)
			for _, c := range v {
				out = append(out, c.(float64))
			}
		}
	}
	return out, w
}

func flat(m [][]float64) []float64 {
	var out []float64
	for _, r := range m {
		out = append(out, r...)
	}
	return out
}

// fixture is one exported model with its expectations.
type fixture struct {
	name   string
	export *model.Export
	want   expectation
}

func loadFixtures(t testing.TB, dir string) []fixture {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "models", "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures in %s (run plugins/sklearn/fixtures/make_fixtures.py): %v", dir, err)
	}
	var out []fixture
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".json")
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		e, err := model.Load(data)
		if err != nil {
			t.Fatalf("%s: load: %v", name, err)
		}
		f := fixture{name: name, export: e}
		raw, err := os.ReadFile(filepath.Join(dir, "expect", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &f.want); err != nil {
			t.Fatalf("%s: expectations: %v", name, err)
		}
		out = append(out, f)
	}
	return out
}

func maxAbsDiff(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, sklearn has %d", what, len(got), len(want))
	}
	worst, at := 0.0, 0
	for i := range got {
		if d := math.Abs(got[i] - want[i]); d > worst || math.IsNaN(d) {
			worst, at = d, i
		}
	}
	if worst > tolerance || math.IsNaN(worst) {
		t.Errorf("%s: max |arthost - sklearn| = %g at %d (%v vs %v), want <= %g", what, worst, at, got[at], want[at], tolerance)
	}
}

// checkFixture compares every output of the Go model with scikit-learn's.
func checkFixture(t *testing.T, f fixture) {
	m := f.export.Model
	x, n := f.want.flatX()
	k := m.NumClasses()
	lab := make([]int, n)
	m.Predict(x, n, lab)
	for i := range lab {
		if lab[i] != f.want.Predict[i] {
			t.Errorf("predict row %d: arthost %d, sklearn %d", i, lab[i], f.want.Predict[i])
		}
	}
	if (f.want.Proba != nil) != m.HasProba() {
		t.Fatalf("HasProba %v, sklearn has predict_proba %v", m.HasProba(), f.want.Proba != nil)
	}
	if m.HasProba() {
		p := make([]float64, n*k)
		m.Proba(x, n, p)
		maxAbsDiff(t, "predict_proba", p, flat(f.want.Proba))
	}
	dec, w := f.want.decision()
	if w != m.DecisionWidth() && !(dec == nil && w == 0) {
		t.Fatalf("decision width %d, sklearn %d", m.DecisionWidth(), w)
	}
	if dec == nil {
		return
	}
	got := make([]float64, n*w)
	m.Decision(x, n, got)
	maxAbsDiff(t, "decision_function", got, dec)
	// Logits: [-d, d] for binary, the ovr shape otherwise.
	want := dec
	switch {
	case w == 1:
		want = make([]float64, 2*n)
		for i, v := range dec {
			want[2*i], want[2*i+1] = -v, v
		}
	case f.want.DecisionOvr != nil:
		want = flat(f.want.DecisionOvr)
	}
	logits := make([]float64, n*k)
	m.Logits(x, n, logits)
	maxAbsDiff(t, "logits", logits, want)
}

func TestFixturesMatchSklearn(t *testing.T) {
	fs := loadFixtures(t, "testdata")
	families := map[string]bool{}
	for _, f := range fs {
		families[f.name[strings.Index(f.name, "__")+2:]] = true
		t.Run(f.name, func(t *testing.T) { checkFixture(t, f) })
	}
	for _, fam := range []string{"lr_ovr", "lr_multinomial", "linear_svc", "svc_linear", "svc_poly", "svc_rbf",
		"svc_sigmoid", "svc_rbf_ovo", "svc_rbf_prob", "decision_tree", "extra_tree", "random_forest",
		"extra_trees", "bagging_tree", "bagging_vote", "adaboost_samme", "adaboost_sammer", "gradient_boosting",
		"gradient_boosting_exp", "gradient_boosting_zero", "gaussian_nb", "mlp_relu", "pipe_std_lr",
		"pipe_minmax_clip_gnb"} {
		if !families[fam] {
			t.Errorf("no fixture for family %s", fam)
		}
	}
}
