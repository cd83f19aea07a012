package defences

import "math"

// tvObjective is the total-variation objective ART's TotalVarMin minimises
// for one channel plane x of h rows and w columns, with mask m:
//
//	f(z) = sqrt(sum m (z - x)^2) + lamb * sum_i ||z[i+1,:] - z[i,:]||_p
//	                             + lamb * sum_j ||z[:,j+1] - z[:,j]||_p
type tvObjective struct {
	x, m       []float64
	h, w, norm int
	lamb       float64
	d          []float64 // scratch for one difference vector
}

func newTVObjective(x, m []float64, h, w, norm int, lamb float64) *tvObjective {
	return &tvObjective{x: x, m: m, h: h, w: w, norm: norm, lamb: lamb, d: make([]float64, max(h, w))}
}

// pnorm returns ||d||_p, scaled to avoid overflow and underflow.
func pnorm(d []float64, p int) float64 {
	big := 0.0
	for _, v := range d {
		big = max(big, math.Abs(v))
	}
	if big == 0 {
		return 0
	}
	if p == 1 {
		s := 0.0
		for _, v := range d {
			s += math.Abs(v)
		}
		return s
	}
	s := 0.0
	for _, v := range d {
		s += math.Pow(math.Abs(v)/big, float64(p))
	}
	return big * math.Pow(s, 1/float64(p))
}

// diffs visits the h-1 row differences and w-1 column differences of z:
// fn gets the difference vector and, for element e of it, the indices of
// the two plane elements it subtracts (d[e] = z[hi(e)] - z[lo(e)]).
func (o *tvObjective) diffs(z []float64, fn func(d []float64, lo, hi func(e int) int)) {
	h, w := o.h, o.w
	for i := 0; i+1 < h; i++ {
		d := o.d[:w]
		for j := range d {
			d[j] = z[(i+1)*w+j] - z[i*w+j]
		}
		fn(d, func(e int) int { return i*w + e }, func(e int) int { return (i+1)*w + e })
	}
	for j := 0; j+1 < w; j++ {
		d := o.d[:h]
		for i := range d {
			d[i] = z[i*w+j+1] - z[i*w+j]
		}
		fn(d, func(e int) int { return e*w + j }, func(e int) int { return e*w + j + 1 })
	}
}

// Func returns f(z).
func (o *tvObjective) Func(z []float64) float64 {
	s := 0.0
	for i, zi := range z {
		s += o.m[i] * (zi - o.x[i]) * (zi - o.x[i])
	}
	f := math.Sqrt(s)
	o.diffs(z, func(d []float64, _, _ func(int) int) { f += o.lamb * pnorm(d, o.norm) })
	return f
}

// Grad writes the gradient of f at z into g: the true gradient wherever f
// is differentiable, and 0 for a term whose norm is 0 (a subgradient).
func (o *tvObjective) Grad(g, z []float64) {
	s := 0.0
	for i, zi := range z {
		s += o.m[i] * (zi - o.x[i]) * (zi - o.x[i])
	}
	n1 := math.Sqrt(s)
	for i, zi := range z {
		g[i] = 0
		if n1 > 0 {
			g[i] = o.m[i] * (zi - o.x[i]) / n1
		}
	}
	o.diffs(z, func(d []float64, lo, hi func(int) int) {
		n := pnorm(d, o.norm)
		if n == 0 {
			return
		}
		for e, v := range d {
			var dn float64 // d||d||_p / d d[e]
			if o.norm == 1 {
				dn = sign(v)
			} else {
				dn = math.Pow(math.Abs(v)/n, float64(o.norm-1)) * sign(v)
			}
			g[hi(e)] += o.lamb * dn
			g[lo(e)] -= o.lamb * dn
		}
	})
}

func sign(v float64) float64 {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}
