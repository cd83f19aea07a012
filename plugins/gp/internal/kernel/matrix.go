package kernel

import (
	"gonum.org/v1/gonum/mat"

	"github.com/arthost/arthost/plugins/gp/internal/vecmath"
)

// Gram returns K(X, X) including the white term on the diagonal, with both
// triangles stored. X holds one sample per row.
func (k Kernel) Gram(x *mat.Dense) *mat.SymDense {
	n, _ := x.Dims()
	out := mat.NewSymDense(n, nil)
	raw := out.RawSymmetric()
	for i := 0; i < n; i++ {
		xi := x.RawRowView(i)
		raw.Data[i*raw.Stride+i] = k.Diag()
		row := raw.Data[i*raw.Stride+i+1 : i*raw.Stride+n]
		for j := range row {
			row[j] = k.r2(xi, x.RawRowView(i+1+j))
		}
		k.values(row)
		for j, v := range row {
			raw.Data[(i+1+j)*raw.Stride+i] = v
		}
	}
	return out
}

// values overwrites each squared scaled distance r2 in v with
// Variance*g(r2) + Constant; for the RBF the exponentials are taken
// together by vecmath.Exp.
func (k Kernel) values(v []float64) {
	if k.Family == RBF {
		for i := range v {
			v[i] *= -0.5
		}
		vecmath.Exp(v)
		for i, e := range v {
			v[i] = k.Variance*e + k.Constant
		}
		return
	}
	for i, r2 := range v {
		g, _ := k.shape(r2)
		v[i] = k.Variance*g + k.Constant
	}
}

// Cross writes k(x_i, xs) for every row x_i of X into dst (length n). The
// white term is absent: xs is a test point, never the same sample as x_i.
func (k Kernel) Cross(dst []float64, x *mat.Dense, xs []float64) {
	n, d := x.Dims()
	dst = dst[:n]
	raw := x.RawMatrix()
	for i := range dst {
		dst[i] = k.r2(raw.Data[i*raw.Stride:i*raw.Stride+d], xs)
	}
	k.values(dst)
}

// CrossDeriv writes k(x_i, xs) into kx and c_i = 2 Variance g'(r_i^2) into
// c, so that d k(x_i, xs) / d xs_d = c_i (xs_d - x_id) / l_d^2 (see
// InvLengthSq). Either slice may be nil.
func (k Kernel) CrossDeriv(kx, c []float64, x *mat.Dense, xs []float64) {
	n, d := x.Dims()
	if k.Family == RBF && c != nil {
		// g = exp(-r2/2) in one vectorised batch; c = 2 Variance g' =
		// -Variance g.
		raw := x.RawMatrix()
		e := c[:n]
		for i := range e {
			e[i] = -0.5 * k.r2(raw.Data[i*raw.Stride:i*raw.Stride+d], xs)
		}
		vecmath.Exp(e)
		for i, g := range e {
			if kx != nil {
				kx[i] = k.Variance*g + k.Constant
			}
			e[i] = -k.Variance * g
		}
		return
	}
	for i := 0; i < n; i++ {
		g, dg := k.shape(k.r2(x.RawRowView(i), xs))
		if kx != nil {
			kx[i] = k.Variance*g + k.Constant
		}
		if c != nil {
			c[i] = 2 * k.Variance * dg
		}
	}
}

// InvLengthSq returns 1/l_d^2 for each of d features.
func (k Kernel) InvLengthSq(d int) []float64 {
	inv := make([]float64, d)
	for j := range inv {
		l := k.ls(j)
		inv[j] = 1 / (l * l)
	}
	return inv
}

// CrossGrad writes d k(x_i, xs) / d xs into the rows of dst (n x d):
//
//	dk/dxs_d = Variance * g'(r^2) * 2 (xs_d - x_id) / l_d^2
//
// and k(x_i, xs) into kx (length n) when kx is not nil.
func (k Kernel) CrossGrad(dst *mat.Dense, kx []float64, x *mat.Dense, xs []float64) {
	n, nd := x.Dims()
	c := make([]float64, n)
	k.CrossDeriv(kx, c, x, xs)
	inv := k.InvLengthSq(nd)
	for i := 0; i < n; i++ {
		xi, row := x.RawRowView(i), dst.RawRowView(i)
		for d, w := range inv {
			row[d] = c[i] * (xs[d] - xi[d]) * w
		}
	}
}

// GradContract returns, for each hyperparameter j,
//
//	t_j = sum_{i,l} A_il dK_il/dtheta_j   and   u_j = (dK/dtheta_j) beta
//
// without storing the n x n derivative matrices. A is symmetric n x n; u is
// nil when beta is nil. Used by the log marginal likelihood gradients.
func (k Kernel) GradContract(x *mat.Dense, a *mat.SymDense, beta []float64) (t []float64, u [][]float64) {
	n, nd := x.Dims()
	p := k.NumTheta()
	t = make([]float64, p)
	if beta != nil {
		u = make([][]float64, p)
		for j := range u {
			u[j] = make([]float64, n)
		}
	}
	raw := a.RawSymmetric()
	dk := make([]float64, p)
	iso := len(k.Lengthscale) == 1
	for i := 0; i < n; i++ {
		xi := x.RawRowView(i)
		for l := i; l < n; l++ {
			xl := x.RawRowView(l)
			r2 := k.r2(xi, xl)
			g, dg := k.shape(r2)
			dk[0] = k.Variance * g
			j := 1
			if iso {
				dk[1] = k.Variance * dg * (-2 * r2)
				j = 2
			} else {
				for d := 0; d < nd; d++ {
					s := (xi[d] - xl[d]) / k.Lengthscale[d]
					dk[j] = k.Variance * dg * (-2 * s * s)
					j++
				}
			}
			if k.Constant > 0 {
				dk[j] = k.Constant
				j++
			}
			if k.White > 0 {
				dk[j] = 0
				if i == l {
					dk[j] = k.White
				}
			}
			ail := raw.Data[i*raw.Stride+l]
			w := 2.0
			if i == l {
				w = 1
			}
			for j, v := range dk {
				t[j] += w * ail * v
				if beta != nil {
					u[j][i] += v * beta[l]
					if i != l {
						u[j][l] += v * beta[i]
					}
				}
			}
		}
	}
	return t, u
}
