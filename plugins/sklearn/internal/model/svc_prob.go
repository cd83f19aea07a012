package model

import "math"

// minProb is libsvm's clamp on pairwise probabilities.
const minProb = 1e-7

// sigmoidPredict is libsvm's Platt sigmoid 1/(1+exp(dec*A+B)), written the
// same way to avoid cancellation.
func sigmoidPredict(dec, a, b float64) float64 {
	f := dec*a + b
	if f >= 0 {
		return math.Exp(-f) / (1 + math.Exp(-f))
	}
	return 1 / (1 + math.Exp(f))
}

// coupler runs libsvm's multiclass_probability (Wu, Lin and Weng's second
// method) on pairwise probabilities r, step for step, so that its early
// stop (eps = 0.005/k) gives the same numbers as scikit-learn. With
// tangents it also carries the derivative of every quantity with respect
// to each pairwise probability r[i][j], i < j (forward mode).
type coupler struct {
	k     int
	r     [][]float64
	q     [][]float64
	qp, p []float64
	// Tangents, each of length npair: dQ[t][j], dQp[t], dp[t], dpQp.
	dq        [][][]float64
	dqp, dp   [][]float64
	dpqp, tmp []float64
	pairIndex [][]int // pair number of (i, j), i < j
}

func newCoupler(k int) *coupler {
	c := &coupler{k: k, r: square(k), q: square(k), qp: make([]float64, k), p: make([]float64, k)}
	c.pairIndex = make([][]int, k)
	n := 0
	for i := range c.pairIndex {
		c.pairIndex[i] = make([]int, k)
	}
	for i := 0; i < k; i++ {
		for j := i + 1; j < k; j++ {
			c.pairIndex[i][j] = n
			n++
		}
	}
	return c
}

func square(k int) [][]float64 {
	out := make([][]float64, k)
	for i := range out {
		out[i] = make([]float64, k)
	}
	return out
}

// withTangents allocates the derivative state.
func (c *coupler) withTangents() {
	np := c.k * (c.k - 1) / 2
	c.dq = make([][][]float64, c.k)
	for i := range c.dq {
		c.dq[i] = make([][]float64, 0, c.k)
		for j := 0; j < c.k; j++ {
			c.dq[i] = append(c.dq[i], make([]float64, np))
		}
	}
	c.dqp, c.dp = square(c.k), square(c.k)
	for i := 0; i < c.k; i++ {
		c.dqp[i], c.dp[i] = make([]float64, np), make([]float64, np)
	}
	c.dpqp, c.tmp = make([]float64, np), make([]float64, np)
}

// dr returns the derivative of r[a][b] with respect to pair n: +1 when
// (a, b) is pair n, -1 when (b, a) is (r[b][a] = 1 - r[a][b]).
func (c *coupler) dr(a, b int) (pair int, sign float64) {
	if a < b {
		return c.pairIndex[a][b], 1
	}
	return c.pairIndex[b][a], -1
}

// solve writes the class probabilities into p. When jac is not nil (k x
// npair) it receives dp/dr, and c must have tangents.
func (c *coupler) solve(p []float64, jac []float64) {
	k, r, q := c.k, c.r, c.q
	tan := jac != nil
	if tan {
		c.zeroTangents()
	}
	for t := 0; t < k; t++ {
		c.p[t] = 1 / float64(k)
		q[t][t] = 0
		for j := 0; j < t; j++ {
			q[t][t] += r[j][t] * r[j][t]
			q[t][j] = q[j][t]
		}
		for j := t + 1; j < k; j++ {
			q[t][t] += r[j][t] * r[j][t]
			q[t][j] = -r[j][t] * r[t][j]
		}
		if tan {
			c.qTangents(t)
		}
	}
	eps := 0.005 / float64(k)
	maxIter := max(100, k)
	for iter := 0; iter < maxIter; iter++ {
		pqp := c.recompute(tan)
		maxErr := 0.0
		for t := 0; t < k; t++ {
			maxErr = math.Max(maxErr, math.Abs(c.qp[t]-pqp))
		}
		if maxErr < eps {
			break
		}
		for t := 0; t < k; t++ {
			pqp = c.step(t, pqp, tan)
		}
	}
	copy(p, c.p)
	if tan {
		for t := 0; t < k; t++ {
			copy(jac[t*len(c.dpqp):(t+1)*len(c.dpqp)], c.dp[t])
		}
	}
}

func (c *coupler) zeroTangents() {
	for t := 0; t < c.k; t++ {
		clear(c.dp[t])
		clear(c.dqp[t])
		for j := 0; j < c.k; j++ {
			clear(c.dq[t][j])
		}
	}
	clear(c.dpqp)
}

// qTangents sets dQ[t][*] from the definition of Q.
func (c *coupler) qTangents(t int) {
	r := c.r
	for j := 0; j < c.k; j++ {
		if j == t {
			continue
		}
		n, s := c.dr(j, t)
		c.dq[t][t][n] += 2 * r[j][t] * s
		if j < t {
			copy(c.dq[t][j], c.dq[j][t])
			continue
		}
		// Q[t][j] = -r[j][t] r[t][j], and r[t][j] = 1 - r[j][t].
		d := c.dq[t][j]
		clear(d)
		n2, s2 := c.dr(t, j)
		d[n] -= s * r[t][j]
		d[n2] -= s2 * r[j][t]
	}
}

// recompute sets Qp = Q p and returns pQp (with tangents).
func (c *coupler) recompute(tan bool) float64 {
	pqp := 0.0
	if tan {
		clear(c.dpqp)
	}
	for t := 0; t < c.k; t++ {
		c.qp[t] = 0
		for j := 0; j < c.k; j++ {
			c.qp[t] += c.q[t][j] * c.p[j]
		}
		pqp += c.p[t] * c.qp[t]
		if !tan {
			continue
		}
		d := c.dqp[t]
		clear(d)
		for j := 0; j < c.k; j++ {
			axpy(d, c.p[j], c.dq[t][j])
			axpy(d, c.q[t][j], c.dp[j])
		}
		axpy(c.dpqp, c.qp[t], c.dp[t])
		axpy(c.dpqp, c.p[t], d)
	}
	return pqp
}

// step is one coordinate update of multiclass_probability for class t; it
// returns the new pQp.
func (c *coupler) step(t int, pqp float64, tan bool) float64 {
	qtt, qpt := c.q[t][t], c.qp[t]
	diff := (-qpt + pqp) / qtt
	num := pqp + diff*(diff*qtt+2*qpt)
	newPQp := num / (1 + diff) / (1 + diff)
	if tan {
		// ddiff = (dpQp - dQp_t)/Qtt - diff dQtt/Qtt
		dd := c.tmp
		for n := range dd {
			dd[n] = (c.dpqp[n]-c.dqp[t][n])/qtt - diff*c.dq[t][t][n]/qtt
		}
		a := 1 + diff
		for n := range dd {
			dnum := c.dpqp[n] + dd[n]*(diff*qtt+2*qpt) + diff*(dd[n]*qtt+diff*c.dq[t][t][n]+2*c.dqp[t][n])
			c.dpqp[n] = dnum/(a*a) - 2*num*dd[n]/(a*a*a)
		}
		axpy(c.dp[t], 1, dd)
		for j := 0; j < c.k; j++ {
			qtj, qpj := c.q[t][j], c.qp[j]
			pj := c.p[j]
			if j == t {
				pj += diff
			}
			for n := range dd {
				c.dqp[j][n] = (c.dqp[j][n]+dd[n]*qtj+diff*c.dq[t][j][n])/a - (qpj+diff*qtj)*dd[n]/(a*a)
				c.dp[j][n] = c.dp[j][n]/a - pj*dd[n]/(a*a)
			}
		}
	}
	c.p[t] += diff
	for j := 0; j < c.k; j++ {
		c.qp[j] = (c.qp[j] + diff*c.q[t][j]) / (1 + diff)
		c.p[j] /= 1 + diff
	}
	return newPQp
}

// axpy adds a*x to dst.
func axpy(dst []float64, a float64, x []float64) {
	for i, v := range x {
		dst[i] += a * v
	}
}
