package attack_test

import (
	"context"
	"math"
	"testing"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/host/attack"
	"github.com/arthost/arthost/shared/tensor"
)

// fdEstimator gives a Predict-only estimator a loss gradient by central
// differences of the cross-entropy of its logits: one Predict call of
// 2 * features rows per sample. It lets PGD run on the digits CNN before
// the ONNX plugin has gradients of its own.
type fdEstimator struct {
	host.Estimator
	h float64
}

func (f fdEstimator) Describe() host.Description {
	d := f.Estimator.Describe()
	d.Capabilities.LossGradient = true
	return d
}

func (f fdEstimator) LossGradient(ctx context.Context, x, y tensor.Tensor) (tensor.Tensor, error) {
	n, k := x.Rows(), f.Describe().NbClasses
	d := x.Len() / n
	l, err := tensor.NormalizeLabels(y, n, k)
	if err != nil {
		return tensor.Tensor{}, err
	}
	v := x.Float64s()
	probe := make([]float64, 0, 2*n*d*d)
	for i := range n {
		for j := range d {
			for _, s := range []float64{1, -1} {
				row := append([]float64(nil), v[i*d:(i+1)*d]...)
				row[j] += s * f.h
				probe = append(probe, row...)
			}
		}
	}
	pt := tensor.FromFloat64(probe, append([]int{2 * n * d}, x.Shape[1:]...)...).As(x.DType)
	z, err := f.Predict(ctx, pt, true)
	if err != nil {
		return tensor.Tensor{}, err
	}
	zv := z.Float64s()
	loss := func(r, c int) float64 { // cross-entropy of logits row r for class c
		row := zv[r*k : (r+1)*k]
		m := math.Inf(-1)
		for _, a := range row {
			m = math.Max(m, a)
		}
		s := 0.0
		for _, a := range row {
			s += math.Exp(a - m)
		}
		return m + math.Log(s) - row[c]
	}
	g := make([]float64, n*d)
	for i := range n {
		for j := range d {
			r := 2 * (i*d + j)
			g[i*d+j] = (loss(r, l.Index[i]) - loss(r+1, l.Index[i])) / (2 * f.h)
		}
	}
	return tensor.FromFloat64(g, x.Shape...).As(x.DType), nil
}

// TestPGDBreaksDigitsCNNFiniteDifferences runs PGD at eps 0.2 on the
// digits CNN in the ONNX plugin with finite-difference gradients, and
// requires accuracy below 10%, as the plugin's own gradients must reach.
func TestPGDBreaksDigitsCNNFiniteDifferences(t *testing.T) {
	est := fdEstimator{Estimator: startCNN(t, false), h: 1e-3}
	x, y := digits(t)
	x, y = x.Slice(0, 100), y.Slice(0, 100)
	clean := accuracy(t, est, x, y)
	res, err := mustNew(t, "pgd", attack.Params{Eps: 0.2, EpsStep: 0.04, MaxIter: 10}).Generate(context.Background(), est, x, y)
	if err != nil {
		t.Fatal(err)
	}
	adv := accuracy(t, est, res.Adv, y)
	t.Logf("clean accuracy %.3f, PGD eps 0.2 (finite-difference gradients) accuracy %.3f", clean, adv)
	if adv >= 0.1 {
		t.Errorf("PGD at eps 0.2 leaves accuracy %.3f, want below 0.1", adv)
	}
}
