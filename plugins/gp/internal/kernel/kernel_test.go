package kernel

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"
)

func kernels() map[string]Kernel {
	return map[string]Kernel{
		"rbf":          {Family: RBF, Variance: 1.3, Lengthscale: []float64{0.9}},
		"rbf_ard_cw":   {Family: RBF, Variance: 0.7, Lengthscale: []float64{0.5, 1.5, 2}, Constant: 0.2, White: 0.3},
		"matern32":     {Family: Matern32, Variance: 2, Lengthscale: []float64{1.1}, White: 0.1},
		"matern52_ard": {Family: Matern52, Variance: 1.5, Lengthscale: []float64{0.8, 1.2, 0.6}, Constant: 0.5},
	}
}

func points(rng *rand.Rand, n, d int) *mat.Dense {
	x := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			x.Set(i, j, rng.NormFloat64())
		}
	}
	return x
}

// TestClosedForms checks k at one distance against the formulas written
// out by hand (r = 1.5 after scaling).
func TestClosedForms(t *testing.T) {
	a, b := []float64{0, 0}, []float64{1.5 * 2, 0}
	r := 1.5
	for _, c := range []struct {
		f    Family
		want float64
	}{
		{RBF, math.Exp(-r * r / 2)},
		{Matern32, (1 + math.Sqrt(3)*r) * math.Exp(-math.Sqrt(3)*r)},
		{Matern52, (1 + math.Sqrt(5)*r + 5*r*r/3) * math.Exp(-math.Sqrt(5)*r)},
	} {
		k := Kernel{Family: c.f, Variance: 3, Lengthscale: []float64{2}, Constant: 0.25}
		got := make([]float64, 1)
		k.Cross(got, mat.NewDense(1, 2, a), b)
		if want := 3*c.want + 0.25; math.Abs(got[0]-want) > 1e-14 {
			t.Errorf("%v: k = %v, want %v", c.f, got[0], want)
		}
	}
}

func TestCrossGradAgainstCentralDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for name, k := range kernels() {
		x := points(rng, 7, 3)
		xs := []float64{0.3, -0.2, 0.9}
		got := mat.NewDense(7, 3, nil)
		k.CrossGrad(got, nil, x, xs)
		want := mat.NewDense(7, 3, nil)
		fd.Jacobian(want, func(dst, v []float64) { k.Cross(dst, x, v) }, xs, &fd.JacobianSettings{Formula: fd.Central, Step: 1e-6})
		if !mat.EqualApprox(got, want, 1e-8) {
			t.Errorf("%s: analytic\n%v\ncentral\n%v", name, mat.Formatted(got), mat.Formatted(want))
		}
	}
}

// TestGradContractAgainstCentralDifferences checks t_j = sum A .* dK_j and
// u_j = dK_j beta against central differences of Gram in theta.
func TestGradContractAgainstCentralDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	for name, k := range kernels() {
		x := points(rng, 6, 3)
		a := mat.NewSymDense(6, nil)
		for i := 0; i < 6; i++ {
			for j := i; j < 6; j++ {
				a.SetSym(i, j, rng.NormFloat64())
			}
		}
		beta := []float64{1, -2, 0.5, 0.3, -1, 2}
		gotT, gotU := k.GradContract(x, a, beta)
		th := k.Theta()
		for j := range th {
			h := 1e-6
			tp, tm := append([]float64(nil), th...), append([]float64(nil), th...)
			tp[j] += h
			tm[j] -= h
			kp, km := k.WithTheta(tp).Gram(x), k.WithTheta(tm).Gram(x)
			var dk mat.Dense
			dk.Sub(kp, km)
			dk.Scale(1/(2*h), &dk)
			wantT := 0.0
			for r := 0; r < 6; r++ {
				for c := 0; c < 6; c++ {
					wantT += a.At(r, c) * dk.At(r, c)
				}
			}
			if math.Abs(gotT[j]-wantT) > 1e-7*math.Max(1, math.Abs(wantT)) {
				t.Errorf("%s theta %d: t = %v, want %v", name, j, gotT[j], wantT)
			}
			var wantU mat.VecDense
			wantU.MulVec(&dk, mat.NewVecDense(6, beta))
			if !mat.EqualApprox(mat.NewVecDense(6, gotU[j]), &wantU, 1e-7) {
				t.Errorf("%s theta %d: u = %v, want %v", name, j, gotU[j], wantU.RawVector().Data)
			}
		}
	}
}

func TestThetaRoundTripAndValidate(t *testing.T) {
	for name, k := range kernels() {
		k2 := k.WithTheta(k.Theta())
		for i, l := range k.Lengthscale {
			if math.Abs(k2.Lengthscale[i]-l) > 1e-14 || math.Abs(k2.Variance-k.Variance) > 1e-14 || math.Abs(k2.White-k.White) > 1e-14 || math.Abs(k2.Constant-k.Constant) > 1e-14 {
				t.Errorf("%s: %+v after theta round trip, want %+v", name, k2, k)
			}
		}
		if err := k.Validate(3); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, k := range map[string]Kernel{
		"zero variance":   {Family: RBF, Variance: 0, Lengthscale: []float64{1}},
		"nan lengthscale": {Family: RBF, Variance: 1, Lengthscale: []float64{math.NaN()}},
		"no lengthscale":  {Family: RBF, Variance: 1},
		"negative white":  {Family: RBF, Variance: 1, Lengthscale: []float64{1}, White: -1},
		"ard length":      {Family: RBF, Variance: 1, Lengthscale: []float64{1, 2}},
		"unknown family":  {Family: 9, Variance: 1, Lengthscale: []float64{1}},
	} {
		if err := k.Validate(3); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestBatchedValuesMatchPointwise: Gram, Cross and CrossDeriv, which take
// their exponentials in vectorised batches, agree with the one-pair formula
// (shape) on sets large enough for the vector path, for every family.
func TestBatchedValuesMatchPointwise(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const n, d = 70, 3
	x := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			x.Set(i, j, 3*rng.NormFloat64())
		}
	}
	for _, f := range []Family{RBF, Matern32, Matern52} {
		for _, ls := range [][]float64{{0.7}, {0.5, 2, 1.3}} {
			k := Kernel{Family: f, Variance: 2.5, Lengthscale: ls, Constant: 0.1, White: 0.01}
			pair := func(a, b []float64) float64 {
				g, _ := k.shape(k.r2(a, b))
				return k.Variance*g + k.Constant
			}
			gram := k.Gram(x).RawSymmetric()
			cross, kx, c := make([]float64, n), make([]float64, n), make([]float64, n)
			for i := 0; i < n; i++ {
				k.Cross(cross, x, x.RawRowView(i))
				k.CrossDeriv(kx, c, x, x.RawRowView(i))
				for j := 0; j < n; j++ {
					want := pair(x.RawRowView(i), x.RawRowView(j))
					_, dg := k.shape(k.r2(x.RawRowView(i), x.RawRowView(j)))
					if wantC := 2 * k.Variance * dg; math.Abs(kx[j]-want) > 1e-15*want+1e-300 || math.Abs(c[j]-wantC) > 1e-15*math.Abs(wantC)+1e-300 {
						t.Fatalf("%v %v: CrossDeriv(%d,%d) = (%v, %v), want (%v, %v)", f, ls, i, j, kx[j], c[j], want, wantC)
					}
					if math.Abs(cross[j]-want) > 1e-15*want+1e-300 {
						t.Fatalf("%v %v: cross(%d,%d) = %v, want %v", f, ls, i, j, cross[j], want)
					}
					if i == j {
						want = k.Diag()
					}
					if got := gram.Data[i*gram.Stride+j]; math.Abs(got-want) > 1e-15*want+1e-300 {
						t.Fatalf("%v %v: gram(%d,%d) = %v, want %v", f, ls, i, j, got, want)
					}
				}
			}
		}
	}
}
