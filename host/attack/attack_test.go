package attack_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/host/attack"
	"github.com/arthost/arthost/host/internal/hosttest"
	"github.com/arthost/arthost/host/remote"
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

// data returns n samples of d features uniform in [0,1] and random labels.
func data(n, d int, seed uint64) ([][]float64, []int) {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([][]float64, n)
	y := make([]int, n)
	for i := range x {
		x[i] = make([]float64, d)
		for j := range x[i] {
			x[i][j] = rng.Float64()
		}
		y[i] = rng.IntN(3)
	}
	return x, y
}

func flat(rows [][]float64, dt tensor.DType) tensor.Tensor {
	var v []float64
	for _, r := range rows {
		v = append(v, r...)
	}
	return tensor.FromFloat64(v, len(rows), len(rows[0])).As(dt)
}

func unflat(t tensor.Tensor) [][]float64 {
	n := t.Rows()
	d := t.Len() / n
	v := t.Float64s()
	out := make([][]float64, n)
	for i := range out {
		out[i] = append([]float64(nil), v[i*d:(i+1)*d]...)
	}
	return out
}

func indexTensor(y []int) tensor.Tensor {
	v := make([]int64, len(y))
	for i, c := range y {
		v[i] = int64(c)
	}
	return tensor.FromInt64(v, len(v))
}

// closedForm is the reference for the linear plugin's small model: the
// gradient W^T (p - onehot(y)) computed here, clip values [0, 1].
func closedForm(m *softmax, r func(float64) float64) refModel {
	return refModel{
		grads: func(rows [][]float64, y []int) [][]float64 {
			out := make([][]float64, len(rows))
			for i, x := range rows {
				out[i] = m.grad(x, y[i])
				for j := range out[i] {
					out[i][j] = r(out[i][j])
				}
			}
			return out
		},
		lo: func(int) (float64, float64) { return 0, 1 },
		r:  r,
	}
}

func maxDiff(a, b [][]float64) float64 {
	d := 0.0
	for i := range a {
		for j := range a[i] {
			d = math.Max(d, math.Abs(a[i][j]-b[i][j]))
		}
	}
	return d
}

func mustNew(t testing.TB, name string, p attack.Params) attack.Attack {
	t.Helper()
	a, err := attack.New(name, p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestMatchesClosedForm runs FGSM and PGD without random init on the
// linear plugin process and compares with ART's formulas applied to the
// model's closed-form gradient.
func TestMatchesClosedForm(t *testing.T) {
	est := hosttest.StartLinear(t, pluginDir, remote.Config{})
	m := loadSmall()
	x, y := data(40, 4, 3)
	cases := []struct {
		name     string
		attack   string
		norm     attack.Norm
		targeted bool
		dtype    tensor.DType
		batch    int
		eps      float64
		step     float64
		iters    int
	}{
		{"fgsm/inf", "fgsm", attack.NormInf, false, tensor.Float64, 0, 0.1, 0.1, 1},
		{"fgsm/1", "fgsm", attack.Norm1, false, tensor.Float64, 0, 0.3, 0.3, 1},
		{"fgsm/2", "fgsm", attack.Norm2, false, tensor.Float64, 7, 0.2, 0.2, 1},
		{"fgsm/inf/targeted", "fgsm", attack.NormInf, true, tensor.Float64, 0, 0.1, 0.1, 1},
		{"fgsm/2/targeted/float32", "fgsm", attack.Norm2, true, tensor.Float32, 0, 0.2, 0.2, 1},
		{"pgd/inf", "pgd", attack.NormInf, false, tensor.Float64, 0, 0.15, 0.04, 9},
		{"pgd/inf/batches", "pgd", attack.NormInf, false, tensor.Float64, 6, 0.15, 0.04, 9},
		{"pgd/2", "pgd", attack.Norm2, false, tensor.Float64, 0, 0.3, 0.07, 9},
		{"pgd/inf/targeted", "pgd", attack.NormInf, true, tensor.Float64, 0, 0.15, 0.04, 9},
		{"pgd/inf/float32", "pgd", attack.NormInf, false, tensor.Float32, 0, 0.15, 0.04, 9},
		{"pgd/inf/targeted/float32/batches", "pgd", attack.NormInf, true, tensor.Float32, 6, 0.15, 0.04, 9},
		{"pgd/2/targeted/float32", "pgd", attack.Norm2, true, tensor.Float32, 0, 0.3, 0.07, 9},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, tol := exact, 1e-12
			if c.dtype == tensor.Float32 {
				r, tol = f32, 1e-6
			}
			xs := unflat(flat(x, c.dtype))
			want := closedForm(m, r).refPGD(xs, y, c.eps, c.step, c.iters, c.norm, c.targeted)
			a := mustNew(t, c.attack, attack.Params{Norm: c.norm, Eps: c.eps, EpsStep: c.step, MaxIter: c.iters, Targeted: c.targeted, BatchSize: c.batch})
			res, err := a.Generate(context.Background(), est, flat(x, c.dtype), indexTensor(y))
			if err != nil {
				t.Fatal(err)
			}
			if res.Adv.DType != c.dtype {
				t.Errorf("adversarial dtype %v, want %v", res.Adv.DType, c.dtype)
			}
			if d := maxDiff(unflat(res.Adv), want); d > tol {
				t.Errorf("max difference from ART's formula %g > %g", d, tol)
			}
			if d := maxDiff(unflat(res.Adv), xs); d == 0 {
				t.Errorf("attack changed nothing")
			}
			wantQ := int64(len(x) * c.iters)
			if res.Queries != wantQ {
				t.Errorf("queries %d, want %d", res.Queries, wantQ)
			}
		})
	}
}

// TestDefaultLabelsArePredictions checks ART's default: without y, the
// model's predicted classes are the labels.
func TestDefaultLabelsArePredictions(t *testing.T) {
	est := hosttest.StartLinear(t, pluginDir, remote.Config{})
	m := loadSmall()
	x, _ := data(25, 4, 5)
	pred := make([]int, len(x))
	for i, r := range x {
		pred[i] = argmax(m.probs(r))
	}
	want := closedForm(m, exact).refPGD(x, pred, 0.1, 0.03, 5, attack.NormInf, false)
	res, err := mustNew(t, "pgd", attack.Params{Eps: 0.1, EpsStep: 0.03, MaxIter: 5}).Generate(context.Background(), est, flat(x, tensor.Float64), tensor.Tensor{})
	if err != nil {
		t.Fatal(err)
	}
	if d := maxDiff(unflat(res.Adv), want); d > 1e-12 {
		t.Errorf("max difference %g", d)
	}
}

func argmax(p []float64) int {
	b := 0
	for i, v := range p {
		if v > p[b] {
			b = i
		}
	}
	return b
}

// TestMinimalFGSM compares the minimal-eps search with ART's loop on the
// linear plugin, untargeted and targeted.
func TestMinimalFGSM(t *testing.T) {
	m, path := balanced(t, 4, 3, 2)
	est := hosttest.StartLinear(t, pluginDir, remote.Config{ModelPath: path})
	x, y := data(30, 4, 11)
	classify := func(v []float64) int { return argmax(m.probs(v)) }
	for _, targeted := range []bool{false, true} {
		y := append([]int(nil), y...)
		if !targeted {
			for i := range y {
				y[i] = classify(x[i])
			}
		}
		for _, norm := range []attack.Norm{attack.NormInf, attack.Norm1, attack.Norm2} {
			t.Run(fmt.Sprintf("norm=%v/targeted=%v", norm, targeted), func(t *testing.T) {
				want := closedForm(m, exact).refMinimal(x, y, 0.2, 0.02, norm, targeted, classify)
				a := mustNew(t, "fgsm", attack.Params{Norm: norm, Eps: 0.2, EpsStep: 0.02, Minimal: true, Targeted: targeted, BatchSize: 8})
				res, err := a.Generate(context.Background(), est, flat(x, tensor.Float64), indexTensor(y))
				if err != nil {
					t.Fatal(err)
				}
				if d := maxDiff(unflat(res.Adv), want); d > 1e-12 {
					t.Errorf("max difference %g", d)
				}
				reached := 0
				for i, v := range unflat(res.Adv) {
					if (classify(v) == y[i]) == targeted {
						reached++
					}
				}
				t.Logf("%d of %d reached the goal before eps", reached, len(x))
				if reached == 0 || reached == len(x) {
					t.Errorf("%d of %d samples reached the goal: the test needs some of each", reached, len(x))
				}
			})
		}
	}
}

// TestDegenerateGradients checks ART's handling of zero and NaN gradients
// (no step) and of infinite ones (sign for inf, one coordinate for 1,
// NaN-then-zero for 2).
func TestDegenerateGradients(t *testing.T) {
	x, y := data(5, 4, 1)
	cases := []struct {
		grad  float64
		norm  attack.Norm
		delta []float64 // expected change of every sample (before clip)
	}{
		{0, attack.NormInf, []float64{0, 0, 0, 0}},
		{0, attack.Norm1, []float64{0, 0, 0, 0}},
		{0, attack.Norm2, []float64{0, 0, 0, 0}},
		{math.NaN(), attack.NormInf, []float64{0, 0, 0, 0}},
		{math.NaN(), attack.Norm2, []float64{0, 0, 0, 0}},
		{math.Inf(1), attack.NormInf, []float64{0.1, 0.1, 0.1, 0.1}},
		{math.Inf(1), attack.Norm1, []float64{0.1, 0, 0, 0}},
		{math.Inf(1), attack.Norm2, []float64{0, 0, 0, 0}},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("grad=%v/norm=%v", c.grad, c.norm), func(t *testing.T) {
			m := loadSmall()
			m.useFix, m.fixGrad = true, c.grad
			for _, name := range []string{"fgsm", "pgd"} {
				if name == "pgd" && c.norm == attack.Norm1 {
					continue
				}
				res, err := mustNew(t, name, attack.Params{Norm: c.norm, Eps: 0.1, EpsStep: 0.1, MaxIter: 1}).Generate(context.Background(), m, flat(x, tensor.Float64), indexTensor(y))
				if err != nil {
					t.Fatal(err)
				}
				got := unflat(res.Adv)
				for i := range x {
					for j := range x[i] {
						want := math.Min(x[i][j]+c.delta[j], 1)
						if math.Abs(got[i][j]-want) > 1e-15 {
							t.Fatalf("%s sample %d feature %d: %v, want %v", name, i, j, got[i][j], want)
						}
					}
				}
			}
		})
	}
}

// TestClipPerFeature checks per-feature clip values bound every attack.
func TestClipPerFeature(t *testing.T) {
	m := loadSmall()
	m.lo, m.hi = []float64{0.2, 0, 0.1, 0.3}, []float64{0.8, 1, 0.5, 0.9}
	x, y := data(30, 4, 9)
	for i := range x {
		for j := range x[i] {
			x[i][j] = math.Min(math.Max(x[i][j], m.lo[j]), m.hi[j])
		}
	}
	ref := closedForm(m, exact)
	ref.lo = func(j int) (float64, float64) { return m.lo[j], m.hi[j] }
	want := ref.refPGD(x, y, 0.4, 0.1, 6, attack.NormInf, false)
	for _, name := range []string{"fgsm", "pgd", "square"} {
		p := attack.Params{Eps: 0.4, EpsStep: 0.1, MaxIter: 6, NumRandomInit: 1, Seed: 3}
		if name == "pgd" {
			p.NumRandomInit = 0
		}
		res, err := mustNew(t, name, p).Generate(context.Background(), m, flat(x, tensor.Float64), indexTensor(y))
		if err != nil {
			t.Fatal(err)
		}
		got := unflat(res.Adv)
		for i := range got {
			for j, v := range got[i] {
				if v < m.lo[j] || v > m.hi[j] {
					t.Fatalf("%s: sample %d feature %d = %v outside [%v, %v]", name, i, j, v, m.lo[j], m.hi[j])
				}
			}
		}
		if name == "pgd" {
			if d := maxDiff(got, want); d > 1e-12 {
				t.Errorf("pgd: max difference from reference %g", d)
			}
		}
	}
}

// ballDistance returns the largest inf or 2 norm of adv - x over samples.
func ballDistance(adv, x [][]float64, norm attack.Norm) float64 {
	worst := 0.0
	for i := range x {
		s := 0.0
		for j := range x[i] {
			d := math.Abs(adv[i][j] - x[i][j])
			if norm == attack.NormInf {
				s = math.Max(s, d)
			} else {
				s += d * d
			}
		}
		if norm == attack.Norm2 {
			s = math.Sqrt(s)
		}
		worst = math.Max(worst, s)
	}
	return worst
}

// TestRandomInit checks random starts: deterministic for a seed, different
// across seeds, inside the eps ball and the clip values; and restarts only
// ever add successes to the first run's.
func TestRandomInit(t *testing.T) {
	m, path := balanced(t, 4, 3, 1)
	est := hosttest.StartLinear(t, pluginDir, remote.Config{ModelPath: path})
	x, _ := data(60, 4, 21)
	ctx := context.Background()
	for _, norm := range []attack.Norm{attack.NormInf, attack.Norm2} {
		run := func(seed uint64, inits int) [][]float64 {
			res, err := mustNew(t, "pgd", attack.Params{Norm: norm, Eps: 0.1, EpsStep: 0.03, MaxIter: 5, NumRandomInit: inits, Seed: seed}).Generate(ctx, est, flat(x, tensor.Float64), tensor.Tensor{})
			if err != nil {
				t.Fatal(err)
			}
			return unflat(res.Adv)
		}
		a, b, c := run(7, 1), run(7, 1), run(8, 1)
		if maxDiff(a, b) != 0 {
			t.Errorf("norm %v: same seed, different results", norm)
		}
		if maxDiff(a, c) == 0 {
			t.Errorf("norm %v: different seeds, same results", norm)
		}
		if d := ballDistance(a, x, norm); d > 0.1+1e-12 {
			t.Errorf("norm %v: perturbation %v beyond eps 0.1", norm, d)
		}
		clean := make([]int, len(x))
		for i := range x {
			clean[i] = argmax(m.probs(x[i]))
		}
		many := run(7, 4)
		fooled1, fooled4 := 0, 0
		for i := range x {
			f1 := argmax(m.probs(a[i])) != clean[i]
			f4 := argmax(m.probs(many[i])) != clean[i]
			if f1 && !f4 {
				t.Errorf("norm %v: sample %d fooled by the first start, not after restarts", norm, i)
			}
			if f1 {
				fooled1++
			}
			if f4 {
				fooled4++
			}
		}
		t.Logf("norm %v: fooled %d with one start, %d with four", norm, fooled1, fooled4)
		if fooled1 == 0 || fooled1 == len(x) {
			t.Errorf("norm %v: %d of %d fooled: the test needs some of each", norm, fooled1, len(x))
		}
	}
}

// TestProgressAndCancel checks progress reports and cancellation.
func TestProgressAndCancel(t *testing.T) {
	m := loadSmall()
	x, y := data(10, 4, 2)
	var last attack.Progress
	calls := 0
	p := attack.Params{Eps: 0.1, EpsStep: 0.01, MaxIter: 12, BatchSize: 4, Progress: func(p attack.Progress) { calls++; last = p }}
	if _, err := mustNew(t, "pgd", p).Generate(context.Background(), m, flat(x, tensor.Float64), indexTensor(y)); err != nil {
		t.Fatal(err)
	}
	if calls != 36 || last.Step != 36 || last.Steps != 36 || last.Attack != "pgd" {
		t.Errorf("%d progress calls, last %+v; want 36 of 36 (3 batches x 12 steps)", calls, last)
	}
	for _, name := range []string{"pgd", "square"} {
		ctx, cancel := context.WithCancel(context.Background())
		n := 0
		p.NumRandomInit = 0
		if name == "square" {
			p.NumRandomInit = 1
		}
		p.Progress = func(attack.Progress) {
			if n++; n == 2 {
				cancel()
			}
		}
		_, err := mustNew(t, name, p).Generate(ctx, m, flat(x, tensor.Float64), indexTensor(y))
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: cancelled run returned %v", name, err)
		}
		if n != 2 {
			t.Errorf("%s: %d steps after cancel, want it to stop at 2", name, n)
		}
		cancel()
	}
}

// TestBadInputs checks that every bad input is an error, never a panic.
func TestBadInputs(t *testing.T) {
	m := loadSmall()
	x, y := data(4, 4, 1)
	good := flat(x, tensor.Float64)
	nan := good.Clone()
	nan.F64[5] = math.NaN()
	noGrad := loadSmall()
	noGrad.noGrad = true
	cases := []struct {
		name   string
		attack string
		p      attack.Params
		est    host.Estimator
		x, y   tensor.Tensor
		code   codes.Code
	}{
		{"int input", "fgsm", attack.Params{Eps: 0.1}, m, indexTensor(y), indexTensor(y), codes.Unknown},
		{"empty input", "pgd", attack.Params{Eps: 0.1}, m, tensor.New(tensor.Float64, 0, 4), tensor.Tensor{}, codes.Unknown},
		{"nan input", "pgd", attack.Params{Eps: 0.1}, m, nan, indexTensor(y), codes.Unknown},
		{"label count", "fgsm", attack.Params{Eps: 0.1}, m, good, indexTensor(y[:3]), codes.Unknown},
		{"label range", "fgsm", attack.Params{Eps: 0.1}, m, good, tensor.FromInt64([]int64{0, 1, 2, 7}, 4), codes.Unknown},
		{"targeted without labels", "pgd", attack.Params{Eps: 0.1, Targeted: true}, m, good, tensor.Tensor{}, codes.Unknown},
		{"no gradients fgsm", "fgsm", attack.Params{Eps: 0.1}, noGrad, good, indexTensor(y), codes.Unimplemented},
		{"no gradients pgd", "pgd", attack.Params{Eps: 0.1}, noGrad, good, indexTensor(y), codes.Unimplemented},
		{"square on 4-d samples", "square", attack.Params{Eps: 0.1}, m, tensor.New(tensor.Float64, 2, 1, 1, 2, 2), tensor.Tensor{}, codes.Unknown},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := mustNew(t, c.attack, c.p).Generate(context.Background(), c.est, c.x, c.y)
			if err == nil {
				t.Fatal("no error")
			}
			if got := host.Code(err); got != c.code {
				t.Errorf("code %v, want %v (%v)", got, c.code, err)
			}
			t.Log(err)
		})
	}
	for _, c := range []struct {
		name string
		p    attack.Params
	}{
		{"fgsm", attack.Params{}},
		{"pgd", attack.Params{Eps: -1}},
		{"pgd", attack.Params{Eps: math.NaN()}},
		{"pgd", attack.Params{Eps: 0.1, Norm: attack.Norm1}},
		{"pgd", attack.Params{Eps: 0.1, MaxIter: -1}},
		{"square", attack.Params{Eps: 0.1, Targeted: true}},
		{"square", attack.Params{Eps: 0.1, Norm: attack.Norm2}},
		{"square", attack.Params{Eps: 0.1, PInit: 2}},
		{"cw", attack.Params{Eps: 0.1}},
	} {
		if _, err := attack.New(c.name, c.p); err == nil {
			t.Errorf("New(%s, %+v): no error", c.name, c.p)
		}
	}
	if _, err := attack.ParseNorm("3"); err == nil {
		t.Error("ParseNorm(3): no error")
	}
}
