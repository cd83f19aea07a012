package model

import "fmt"

// Fit refits GaussianNB on rows x (n x d) with class indices y in [0,k):
// per-class means and (population) variances, each variance increased by
// varSmoothing times the largest variance of any feature over all rows
// (sklearn's epsilon_), and priors equal to class frequencies.
// varSmoothing <= 0 means sklearn's default 1e-9.
func (m *GaussianNB) Fit(x []float64, y []int, n int, varSmoothing float64) error {
	if varSmoothing <= 0 {
		varSmoothing = 1e-9
	}
	if err := checkLabels(y, m.k); err != nil {
		return fmt.Errorf("fit GaussianNB: %w", err)
	}
	d, k := m.d, m.k
	_, vr := columnStats(x, nil, n, d, -1)
	eps := 0.0
	for _, v := range vr {
		eps = max(eps, v)
	}
	eps *= varSmoothing
	theta, variance := make([]float64, k*d), make([]float64, k*d)
	prior := make([]float64, k)
	for c := 0; c < k; c++ {
		mu, v := columnStats(x, y, n, d, c)
		copy(theta[c*d:], mu)
		for f := range v {
			variance[c*d+f] = v[f] + eps
		}
	}
	count := make([]float64, k)
	for _, c := range y {
		count[c]++
	}
	for c := range prior {
		prior[c] = count[c] / float64(n)
	}
	for i, v := range variance {
		if v <= 0 {
			return fmt.Errorf("fit GaussianNB: class %d feature %d has zero variance (all rows equal)", i/d, i%d)
		}
	}
	m.theta, m.vr, m.prior, m.smoothing = theta, variance, prior, varSmoothing
	m.precompute()
	return nil
}

// columnStats returns the mean and population variance of each column
// over the rows whose label is class (all rows when class < 0).
func columnStats(x []float64, y []int, n, d, class int) (mean, variance []float64) {
	mean, variance = make([]float64, d), make([]float64, d)
	rows := 0
	for i := 0; i < n; i++ {
		if class >= 0 && y[i] != class {
			continue
		}
		rows++
		axpy(mean, 1, x[i*d:(i+1)*d])
	}
	for f := range mean {
		mean[f] /= float64(rows)
	}
	for i := 0; i < n; i++ {
		if class >= 0 && y[i] != class {
			continue
		}
		for f, v := range x[i*d : (i+1)*d] {
			t := v - mean[f]
			variance[f] += t * t
		}
	}
	for f := range variance {
		variance[f] /= float64(rows)
	}
	return mean, variance
}

// Params returns theta and var (k x d, row-major) and the class priors.
func (m *GaussianNB) Params() (theta, variance, prior []float64) { return m.theta, m.vr, m.prior }
