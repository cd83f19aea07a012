package model

// Family returns the scikit-learn class name of the model's final
// estimator ("LogisticRegression", "RandomForestClassifier", ...).
func Family(m Model) string {
	switch t := Final(m).(type) {
	case *Logistic:
		return "LogisticRegression"
	case *LinearSVC:
		return "LinearSVC"
	case *SVC:
		return "SVC"
	case *TreeClassifier:
		return t.typ
	case *Forest:
		return t.typ
	case *Bagging:
		return "BaggingClassifier"
	case *AdaBoost:
		return "AdaBoostClassifier"
	case *GradientBoosting:
		return "GradientBoostingClassifier"
	case *GaussianNB:
		return "GaussianNB"
	case *MLP:
		return "MLPClassifier"
	}
	return "unknown"
}

// Steps returns the class names of the scalers in front of the final
// estimator (empty for a bare model).
func Steps(m Model) []string {
	var out []string
	for {
		p, ok := m.(*Pipeline)
		if !ok {
			return out
		}
		for _, s := range p.steps {
			if s.minmax {
				out = append(out, "MinMaxScaler")
			} else {
				out = append(out, "StandardScaler")
			}
		}
		m = p.final
	}
}

// FitScalers refits every scaler of a pipeline on x (n rows), as
// Pipeline.fit does before fitting the final estimator, and returns x as
// the final estimator sees it. A StandardScaler keeps its with_mean and
// with_std choices; a zero spread scales by 1, as sklearn.
func FitScalers(m Model, x []float64, n int) []float64 {
	p, ok := m.(*Pipeline)
	if !ok {
		return x
	}
	d := p.NumFeatures()
	xs := append([]float64(nil), x[:n*d]...)
	for j := range p.steps {
		s := &p.steps[j]
		mean, vr := columnStats(xs, nil, n, d, -1)
		if s.minmax {
			lo, hi := columnRange(xs, n, d)
			for f := 0; f < d; f++ {
				r := hi[f] - lo[f]
				if r == 0 {
					r = 1
				}
				s.scale[f] = (s.hi - s.lo) / r
				s.min[f] = s.lo - lo[f]*s.scale[f]
			}
		} else {
			if s.mean != nil {
				s.mean = mean
			}
			if s.scale != nil {
				for f, v := range vr {
					s.scale[f] = sqrt1(v)
				}
			}
		}
		for i := 0; i < n; i++ {
			s.apply(xs[i*d:(i+1)*d], nil)
		}
	}
	return FitScalers(p.final, xs, n)
}
