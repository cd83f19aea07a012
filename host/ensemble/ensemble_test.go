package ensemble

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/host/internal/hosttest"
	"github.com/arthost/arthost/host/remote"
	"github.com/arthost/arthost/shared/tensor"
)

var pluginDir string

func TestMain(m *testing.M) { hosttest.Main(m, &pluginDir) }

func members(t *testing.T) []host.Estimator {
	a := hosttest.StartLinear(t, pluginDir, remote.Config{Name: "a"})
	b := hosttest.StartLinear(t, pluginDir, remote.Config{Name: "b", ModelPath: hosttest.RepoFile("examples/plugins/linear/testdata/other.json")})
	return []host.Estimator{a, b}
}

func input() tensor.Tensor {
	x := tensor.New(tensor.Float64, 3, 4)
	for i := range x.F64 {
		x.F64[i] = 0.05 + 0.9*float64((i*7)%13)/13
	}
	return x
}

func near(t *testing.T, what string, got, want tensor.Tensor, tol float64) {
	t.Helper()
	if got.Len() != want.Len() {
		t.Fatalf("%s: %d values, want %d", what, got.Len(), want.Len())
	}
	for i := 0; i < got.Len(); i++ {
		if math.Abs(got.At(i)-want.At(i)) > tol {
			t.Fatalf("%s: element %d is %v, want %v", what, i, got.At(i), want.At(i))
		}
	}
}

// combine computes sum_i w_i t_i by hand from the members' own answers.
func combine(w []float64, parts ...tensor.Tensor) tensor.Tensor {
	out := tensor.New(tensor.Float64, parts[0].Shape...)
	for i, p := range parts {
		for j := range out.F64 {
			out.F64[j] += w[i] * p.At(j)
		}
	}
	return out
}

// TestAgainstMembersOneByOne checks predict, raw, loss and both gradients
// against the members called separately and combined by hand.
func TestAgainstMembersOneByOne(t *testing.T) {
	ms := members(t)
	w := []float64{0.7, 0.3}
	e, err := New(ms, Config{Name: "mix", Weights: w})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	x := input()
	y := tensor.FromInt64([]int64{0, 2, 1}, 3)
	call := func(f func(m host.Estimator) (tensor.Tensor, error)) []tensor.Tensor {
		var out []tensor.Tensor
		for _, m := range ms {
			v, err := f(m)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, v)
		}
		return out
	}
	p := call(func(m host.Estimator) (tensor.Tensor, error) { return m.Predict(ctx, x, false) })
	got, err := e.Predict(ctx, x, false)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "predict", got, combine(w, p...), 1e-12)

	raw, err := e.PredictRaw(ctx, x, false)
	if err != nil {
		t.Fatal(err)
	}
	if raw.Shape[0] != 2 || raw.Shape[1] != 3 || raw.Shape[2] != 3 {
		t.Fatalf("raw shape %v, want [2 3 3]", raw.Shape)
	}
	near(t, "raw member 1", raw.Slice(1, 2), combine([]float64{0.3}, p[1]), 1e-12)

	l := call(func(m host.Estimator) (tensor.Tensor, error) { return m.Loss(ctx, x, y, host.ReduceNone) })
	gotL, err := e.Loss(ctx, x, y, host.ReduceNone)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "loss", gotL, combine(w, l...), 1e-12)

	lg := call(func(m host.Estimator) (tensor.Tensor, error) { return m.LossGradient(ctx, x, y) })
	gotLG, err := e.LossGradient(ctx, x, y)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "loss gradient", gotLG, combine(w, lg...), 1e-12)

	cg := call(func(m host.Estimator) (tensor.Tensor, error) { return m.ClassGradient(ctx, x, []int{2, 0, 1}) })
	gotCG, err := e.ClassGradient(ctx, x, []int{2, 0, 1})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "class gradient", gotCG, combine(w, cg...), 1e-12)
}

// TestGradientMatchesFiniteDifferences differentiates the ensemble's own
// Predict numerically.
func TestGradientMatchesFiniteDifferences(t *testing.T) {
	e, err := New(members(t), Config{Weights: []float64{0.25, 0.75}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	x := input().Slice(0, 1).Clone()
	g, err := e.ClassGradient(ctx, x, nil)
	if err != nil {
		t.Fatal(err)
	}
	const h = 1e-6
	for f := 0; f < 4; f++ {
		xp, xm := x.Clone(), x.Clone()
		xp.F64[f] += h
		xm.F64[f] -= h
		pp, _ := e.Predict(ctx, xp, false)
		pm, _ := e.Predict(ctx, xm, false)
		for c := 0; c < 3; c++ {
			fd := (pp.F64[c] - pm.F64[c]) / (2 * h)
			if math.Abs(fd-g.F64[c*4+f]) > 1e-8 {
				t.Errorf("class %d feature %d: %v, finite difference %v", c, f, g.F64[c*4+f], fd)
			}
		}
	}
}

// TestEstimateAgreesWithTrueGradient checks the query-based estimate used
// by the estimate policy against a member's exact class gradient.
func TestEstimateAgreesWithTrueGradient(t *testing.T) {
	ms := members(t)
	e, err := New(ms, Config{GradientPolicy: GradientEstimate, EstimateSamples: 400, EstimateSigma: 1e-3})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	x := input()
	exact, err := ms[0].ClassGradient(ctx, x, []int{1})
	if err != nil {
		t.Fatal(err)
	}
	shape := []int{3, 1, 4}
	est, err := e.estimate(ctx, ms[0], x, 3, 1, shape, func(p []float64, _, _ int) float64 { return p[1] })
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		a, b := exact.Slice(i, i+1).Float64s(), est.Slice(i, i+1).Float64s()
		dot, na, nb := 0.0, 0.0, 0.0
		for j := range a {
			dot, na, nb = dot+a[j]*b[j], na+a[j]*a[j], nb+b[j]*b[j]
		}
		if cos := dot / math.Sqrt(na*nb); cos < 0.9 {
			t.Errorf("row %d: cosine similarity %.3f with the exact gradient, want > 0.9", i, cos)
		}
	}
	if q := e.Describe().Info["estimate_queries"]; q != "2400" {
		t.Errorf("queries counted %s, want 2400 (3 rows x 400 samples x 2)", q)
	}
}

func TestDegradeLeavesOutDeadMember(t *testing.T) {
	ms := members(t)
	e, err := New(ms, Config{Name: "mix", MemberFailure: FailureDegrade, Weights: []float64{0.5, 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	x := input()
	alone, err := ms[0].Predict(ctx, x, false)
	if err != nil {
		t.Fatal(err)
	}
	ms[1].Close()
	got, err := e.Predict(ctx, x, false)
	if err != nil {
		t.Fatalf("degrade policy failed: %v", err)
	}
	near(t, "degraded predict", got, alone, 1e-12)
	if d := e.Degraded(); len(d) != 1 || d[0] != "b" {
		t.Fatalf("degraded %v, want [b]", d)
	}
	strict, err := New(ms, Config{Name: "strict"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := strict.Predict(ctx, x, false); err == nil || !strings.Contains(err.Error(), "member b") {
		t.Fatalf("fail policy: %v", err)
	}
}

func TestNewRefusesMismatches(t *testing.T) {
	ms := members(t)
	for name, c := range map[string]struct {
		cfg  Config
		want string
	}{
		"weights count":  {Config{Weights: []float64{1}}, "1 weights for 2 members"},
		"negative":       {Config{Weights: []float64{1, -1}}, "weight 1 is -1"},
		"unknown policy": {Config{GradientPolicy: "guess"}, `gradient_policy "guess"`},
		"unknown fail":   {Config{MemberFailure: "retry"}, `member_failure "retry"`},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := New(ms, c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
	if _, err := New(nil, Config{}); err == nil {
		t.Fatal("empty ensemble accepted")
	}
	wide := filepath.Join(t.TempDir(), "wide.json")
	if err := os.WriteFile(wide, []byte(`{"format":"arthost-linear","version":1,"weights":[[1,2,3,4,5],[5,4,3,2,1],[0,0,0,0,1]],"bias":[0,0,0]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	five := hosttest.StartLinear(t, pluginDir, remote.Config{Name: "five", ModelPath: wide})
	if _, err := New([]host.Estimator{ms[0], five}, Config{Name: "mix"}); err == nil || !strings.Contains(err.Error(), "member five takes input shape [5], member a takes [4]") {
		t.Fatalf("shape mismatch: %v", err)
	}
	two := filepath.Join(t.TempDir(), "two.json")
	if err := os.WriteFile(two, []byte(`{"format":"arthost-linear","version":1,"weights":[[1,2,3,4],[4,3,2,1]],"bias":[0,0]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	binary := hosttest.StartLinear(t, pluginDir, remote.Config{Name: "binary", ModelPath: two})
	if _, err := New([]host.Estimator{ms[0], binary}, Config{Name: "mix"}); err == nil || !strings.Contains(err.Error(), "member binary has 2 classes, member a has 3") {
		t.Fatalf("classes mismatch: %v", err)
	}
}
