package model

import "math"

// kernelGrad writes dK(x, sv_s)/dx for every support vector (nsv x d),
// given the kernel values kv:
//
//	linear  sv
//	poly    degree (gamma x.sv + coef0)^(degree-1) gamma sv
//	rbf     -2 gamma (x - sv) K
//	sigmoid (1 - K^2) gamma sv
func (m *SVC) kernelGrad(x, kv, dk []float64) {
	for s := 0; s < m.nsv; s++ {
		v := m.sv[s*m.d : (s+1)*m.d]
		g := dk[s*m.d : (s+1)*m.d]
		var scale float64
		switch m.kernel {
		case kernelLinear:
			scale = 1
		case kernelPoly:
			dot := 0.0
			for f, a := range x {
				dot += a * v[f]
			}
			if m.degree > 0 {
				scale = float64(m.degree) * powi(m.gamma*dot+m.coef0, m.degree-1) * m.gamma
			}
		case kernelSigmoid:
			scale = (1 - kv[s]*kv[s]) * m.gamma
		case kernelRBF:
			c := -2 * m.gamma * kv[s]
			for f, a := range x {
				g[f] = c * (a - v[f])
			}
			continue
		}
		for f := range g {
			g[f] = scale * v[f]
		}
	}
}

// pairGrad writes d dec_p / dx for every pair (npair x d).
func (m *SVC) pairGrad(dk, out []float64) {
	clear(out)
	for p, c := range m.pairs {
		i, j := c[0], c[1]
		row := out[p*m.d : (p+1)*m.d]
		ci := m.dual[(j-1)*m.nsv:]
		for s := m.start[i]; s < m.start[i]+m.nSupport[i]; s++ {
			axpy(row, ci[s], dk[s*m.d:(s+1)*m.d])
		}
		cj := m.dual[i*m.nsv:]
		for s := m.start[j]; s < m.start[j]+m.nSupport[j]; s++ {
			axpy(row, cj[s], dk[s*m.d:(s+1)*m.d])
		}
	}
}

// GradKind: log probabilities with probability=True, else the logits.
func (m *SVC) GradKind() GradKind {
	if m.prob {
		return GradLogProba
	}
	return GradLogits
}

// Grad differentiates log predict_proba through the Platt sigmoids and the
// coupling iterations (as run at this x), or the logits when the model has
// no probabilities. Through the ovr transform only the confidence term
// moves: d/dc [c / (3(|c|+1))] = 1 / (3(|c|+1)^2); the votes are constant.
func (m *SVC) Grad(x, val, jac []float64) {
	np := len(m.pairs)
	kv := make([]float64, m.nsv)
	dk := make([]float64, m.nsv*m.d)
	dec := make([]float64, np)
	dd := make([]float64, np*m.d)
	m.kernelValues(x, kv)
	m.pairDecisions(kv, dec)
	m.kernelGrad(x, kv, dk)
	m.pairGrad(dk, dd)
	switch {
	case m.prob:
		m.gradProba(dec, dd, val, jac)
	case m.k == 2:
		val[0], val[1] = dec[0], -dec[0]
		for f := 0; f < m.d; f++ {
			jac[f], jac[m.d+f] = dd[f], -dd[f]
		}
	default:
		m.ovr(dec, val)
		conf := make([]float64, m.k)
		clear(jac[:m.k*m.d])
		for p, c := range m.pairs {
			conf[c[0]] += dec[p]
			conf[c[1]] -= dec[p]
			axpy(jac[c[0]*m.d:(c[0]+1)*m.d], 1, dd[p*m.d:(p+1)*m.d])
			axpy(jac[c[1]*m.d:(c[1]+1)*m.d], -1, dd[p*m.d:(p+1)*m.d])
		}
		for k, s := range conf {
			a := math.Abs(s) + 1
			row := jac[k*m.d : (k+1)*m.d]
			for f := range row {
				row[f] /= 3 * a * a
			}
		}
	}
}

func (m *SVC) gradProba(dec, dd, val, jac []float64) {
	np := len(m.pairs)
	c := newCoupler(m.k)
	c.withTangents()
	drdd := make([]float64, np)
	for p, pr := range m.pairs {
		raw := sigmoidPredict(dec[p], m.probA[p], m.probB[p])
		v := math.Min(math.Max(raw, minProb), 1-minProb)
		c.r[pr[0]][pr[1]], c.r[pr[1]][pr[0]] = v, 1-v
		if raw > minProb && raw < 1-minProb {
			drdd[p] = -m.probA[p] * raw * (1 - raw)
		}
	}
	dpdr := make([]float64, m.k*np)
	c.solve(val, dpdr)
	clear(jac[:m.k*m.d])
	for k := 0; k < m.k; k++ {
		row := jac[k*m.d : (k+1)*m.d]
		for p := 0; p < np; p++ {
			if w := dpdr[k*np+p] * drdd[p]; w != 0 {
				axpy(row, w, dd[p*m.d:(p+1)*m.d])
			}
		}
		pk := val[k]
		for f := range row {
			row[f] /= pk
		}
		val[k] = math.Log(pk)
	}
}
