// Package link maps a Gaussian latent N(mean, variance) to the probability
// of the positive class, with the derivatives of that map:
//
//   - Logistic: scikit-learn's approximation of the integral of the
//     logistic sigmoid against the Gaussian by five error functions
//     (Williams and Barber), with scikit-learn's LAMBDAS and COEFS, used by
//     Laplace inference;
//   - Probit: Phi(mean / sqrt(1 + variance)), exact for the probit
//     likelihood, used by EP.
package link

import "math"

// lambdas and coefs are scikit-learn's LAMBDAS and COEFS
// (sklearn/gaussian_process/_gpc.py).
var (
	lambdas = [5]float64{0.41, 0.4, 0.37, 0.44, 0.39}
	coefs   = [5]float64{-1854.8214151, 3516.89893646, 221.29346712, 128.12323805, -2010.49422654}
)

// Logistic returns p = sum_j c_j/2 (1 + erf(l_j m / sqrt(1 + 2 l_j^2 v))),
// algebraically scikit-learn's predict_proba for the positive class, and
// dp/dm, dp/dv.
func Logistic(m, v float64) (p, dm, dv float64) {
	for j, l := range lambdas {
		c := coefs[j]
		q := 1 + 2*l*l*v
		sq := math.Sqrt(q)
		z := l * m / sq
		p += 0.5 * c * (1 + math.Erf(z))
		e := c / math.SqrtPi * math.Exp(-z*z)
		dm += e * l / sq
		dv += e * (-l * m * l * l / (q * sq))
	}
	return p, dm, dv
}

// Probit returns p = Phi(m / sqrt(1+v)) and dp/dm, dp/dv.
func Probit(m, v float64) (p, dm, dv float64) {
	q := 1 + v
	sq := math.Sqrt(q)
	z := m / sq
	p = Phi(z)
	d := Npdf(z)
	return p, d / sq, -d * m / (2 * q * sq)
}

// Phi is the standard normal CDF.
func Phi(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }

// Npdf is the standard normal density.
func Npdf(z float64) float64 { return math.Exp(-0.5*z*z) / math.Sqrt(2*math.Pi) }

// tailZ is where Phi(z) gets too small for N(z)/Phi(z) and log Phi(z) to be
// computed directly; below it the asymptotic series is used.
const tailZ = -30

// NormRatio returns N(z)/Phi(z), using the asymptotic series
// -z / (1 - 1/z^2 + 3/z^4) for z < -30.
func NormRatio(z float64) float64 {
	if z < tailZ {
		z2 := z * z
		return -z / (1 - 1/z2 + 3/(z2*z2))
	}
	return Npdf(z) / Phi(z)
}

// LogPhi returns log Phi(z), with the asymptotic series for z < -30.
func LogPhi(z float64) float64 {
	if z < tailZ {
		z2 := z * z
		return -0.5*z2 - math.Log(-z) - 0.5*math.Log(2*math.Pi) + math.Log(1-1/z2+3/(z2*z2))
	}
	return math.Log(Phi(z))
}
