// Package kernel holds the stationary covariance functions of the gp plugin:
// RBF and Matern 3/2 and 5/2 with one or per-feature (ARD) lengthscales and a
// signal variance, plus an optional constant and white term. Hyperparameters
// travel in log space in the order scikit-learn uses for the kernel
// C(variance)*Base(lengthscale) + C(constant) + WhiteKernel(white):
//
//	theta = [log variance, log lengthscale..., log constant?, log white?]
//
// The kernel matrices, their derivatives with respect to theta and the
// derivatives of k(x_i, x) with respect to the test point x are all here, so
// the inference packages never see the kernel's formula.
package kernel

import (
	"fmt"
	"math"
)

// Family is the shape of the stationary part.
type Family int

// The supported families.
const (
	RBF Family = iota + 1
	Matern32
	Matern52
)

// String returns the option name of the family.
func (f Family) String() string {
	switch f {
	case RBF:
		return "rbf"
	case Matern32:
		return "matern32"
	case Matern52:
		return "matern52"
	}
	return fmt.Sprintf("family(%d)", int(f))
}

// ParseFamily maps an option name to a Family.
func ParseFamily(s string) (Family, error) {
	for _, f := range []Family{RBF, Matern32, Matern52} {
		if f.String() == s {
			return f, nil
		}
	}
	return 0, fmt.Errorf("unknown kernel %q (want rbf|matern32|matern52)", s)
}

// Kernel is k(a,b) = Variance*g(r^2) + Constant + White*[a is b], where
// r^2 = sum_d ((a_d-b_d)/l_d)^2 and g is the unit-variance family shape.
// Lengthscale has one value (isotropic) or one per feature (ARD). A zero
// Constant or White means the term is absent (it has no hyperparameter).
type Kernel struct {
	Family      Family
	Variance    float64
	Lengthscale []float64
	Constant    float64
	White       float64
}

// Validate checks that every parameter is positive and finite (zero is
// allowed for Constant and White) and that ARD lengthscales match nFeatures
// (pass nFeatures <= 0 to skip that check).
func (k Kernel) Validate(nFeatures int) error {
	if k.Family < RBF || k.Family > Matern52 {
		return fmt.Errorf("kernel: unknown family %d", int(k.Family))
	}
	if !positive(k.Variance) {
		return fmt.Errorf("kernel: variance %v must be positive and finite", k.Variance)
	}
	if len(k.Lengthscale) == 0 {
		return fmt.Errorf("kernel: no lengthscale")
	}
	for _, l := range k.Lengthscale {
		if !positive(l) {
			return fmt.Errorf("kernel: lengthscale %v must be positive and finite", l)
		}
	}
	if nFeatures > 0 && len(k.Lengthscale) != 1 && len(k.Lengthscale) != nFeatures {
		return fmt.Errorf("kernel: %d lengthscales for %d features (want 1 or %d)", len(k.Lengthscale), nFeatures, nFeatures)
	}
	if k.Constant != 0 && !positive(k.Constant) {
		return fmt.Errorf("kernel: constant %v must be positive and finite, or 0 for none", k.Constant)
	}
	if k.White != 0 && !positive(k.White) {
		return fmt.Errorf("kernel: white %v must be positive and finite, or 0 for none", k.White)
	}
	return nil
}

func positive(v float64) bool { return v > 0 && !math.IsInf(v, 0) && !math.IsNaN(v) }

// NumTheta is the number of hyperparameters.
func (k Kernel) NumTheta() int {
	n := 1 + len(k.Lengthscale)
	if k.Constant > 0 {
		n++
	}
	if k.White > 0 {
		n++
	}
	return n
}

// Theta returns the log hyperparameters in scikit-learn's order.
func (k Kernel) Theta() []float64 {
	t := []float64{math.Log(k.Variance)}
	for _, l := range k.Lengthscale {
		t = append(t, math.Log(l))
	}
	if k.Constant > 0 {
		t = append(t, math.Log(k.Constant))
	}
	if k.White > 0 {
		t = append(t, math.Log(k.White))
	}
	return t
}

// WithTheta returns a copy of k with the hyperparameters exp(theta). It
// panics when len(theta) != k.NumTheta().
func (k Kernel) WithTheta(theta []float64) Kernel {
	if len(theta) != k.NumTheta() {
		panic(fmt.Sprintf("kernel: %d thetas for %d hyperparameters", len(theta), k.NumTheta()))
	}
	out := Kernel{Family: k.Family, Variance: math.Exp(theta[0])}
	out.Lengthscale = make([]float64, len(k.Lengthscale))
	i := 1
	for j := range out.Lengthscale {
		out.Lengthscale[j] = math.Exp(theta[i])
		i++
	}
	if k.Constant > 0 {
		out.Constant = math.Exp(theta[i])
		i++
	}
	if k.White > 0 {
		out.White = math.Exp(theta[i])
	}
	return out
}

// Clone returns a deep copy.
func (k Kernel) Clone() Kernel {
	k.Lengthscale = append([]float64(nil), k.Lengthscale...)
	return k
}

func (k Kernel) ls(d int) float64 {
	if len(k.Lengthscale) == 1 {
		return k.Lengthscale[0]
	}
	return k.Lengthscale[d]
}

// r2 is the squared scaled distance between a and b.
func (k Kernel) r2(a, b []float64) float64 {
	s := 0.0
	if len(k.Lengthscale) == 1 {
		for d := range a {
			t := a[d] - b[d]
			s += t * t
		}
		l := k.Lengthscale[0]
		return s / (l * l)
	}
	for d := range a {
		t := (a[d] - b[d]) / k.Lengthscale[d]
		s += t * t
	}
	return s
}

// shape returns g(r^2) and dg/d(r^2) for the unit-variance family:
//
//	RBF:      g = exp(-r^2/2)
//	Matern32: g = (1+sqrt3 r) exp(-sqrt3 r),            dg/dr^2 = -3/2 exp(-sqrt3 r)
//	Matern52: g = (1+sqrt5 r+5r^2/3) exp(-sqrt5 r),     dg/dr^2 = -5/6 (1+sqrt5 r) exp(-sqrt5 r)
func (k Kernel) shape(r2 float64) (g, dg float64) {
	switch k.Family {
	case RBF:
		g = math.Exp(-0.5 * r2)
		return g, -0.5 * g
	case Matern32:
		r := math.Sqrt(3 * r2)
		e := math.Exp(-r)
		return (1 + r) * e, -1.5 * e
	default:
		r := math.Sqrt(5 * r2)
		e := math.Exp(-r)
		return (1 + r + r*r/3) * e, -5.0 / 6.0 * (1 + r) * e
	}
}

// Diag is k(x, x) for any x: Variance + Constant + White.
func (k Kernel) Diag() float64 { return k.Variance + k.Constant + k.White }
