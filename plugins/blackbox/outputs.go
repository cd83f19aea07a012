package main

import (
	"math"

	"github.com/arthost/arthost/sdk"
	"github.com/arthost/arthost/shared/tensor"
)

// probTolerance is how far outside [0, 1] a probability may stray (a
// server's float32 rounding) before the answer is taken for logits.
const probTolerance = 1e-6

// logEps bounds probabilities away from 0 in the cross-entropy, so a
// confident wrong answer (or a label-only source) costs -log(1e-12) = 27.6
// instead of +Inf.
const logEps = 1e-12

// toScores turns source answers (n, ...) as float64 into (n, k) rows of
// probabilities or logits per kind: labels become one-hot rows, as ART's
// BlackBoxClassifier does. It names the first row that does not fit.
func toScores(y tensor.Tensor, kind string, k int) ([]float64, error) {
	n := y.Shape[0]
	w := tensor.NumElements(y.Shape[1:])
	if kind == kindLabels {
		if w != 1 {
			return nil, sdk.InvalidArgumentf("output_kind=labels but the source answered rows of shape %v, not one label each", y.Shape[1:])
		}
		out := make([]float64, n*k)
		for i, v := range y.F64 {
			if v != math.Trunc(v) || v < 0 || v >= float64(k) {
				return nil, sdk.InvalidArgumentf("source answered row %d with label %v, not a class in [0,%d)", i, v, k)
			}
			out[i*k+int(v)] = 1
		}
		return out, nil
	}
	if w != k {
		return nil, sdk.InvalidArgumentf("source answered rows of shape %v, want %d %s (nb_classes)", y.Shape[1:], k, kind)
	}
	if kind == kindProbabilities {
		for i, v := range y.F64 {
			if v < -probTolerance || v > 1+probTolerance {
				return nil, sdk.InvalidArgumentf("source answered row %d with %v, not a probability (set output_kind=logits if it gives scores)", i/k, v)
			}
		}
	}
	return y.F64, nil
}

// crossEntropy returns -sum_c y_c log p_c for one row: of probabilities
// (clipped at logEps) or of logits through a stable log-softmax.
func crossEntropy(scores, labels []float64, kind string) float64 {
	loss := 0.0
	if kind == kindLogits {
		mx := math.Inf(-1)
		for _, z := range scores {
			mx = math.Max(mx, z)
		}
		s := 0.0
		for _, z := range scores {
			s += math.Exp(z - mx)
		}
		lse := mx + math.Log(s)
		for c, yc := range labels {
			if yc != 0 {
				loss -= yc * (scores[c] - lse)
			}
		}
		return loss
	}
	for c, yc := range labels {
		if yc != 0 {
			loss -= yc * math.Log(math.Max(scores[c], logEps))
		}
	}
	return loss
}

// asDType returns v (float64) as a tensor of dtype d and the given shape.
func asDType(v []float64, d tensor.DType, shape ...int) tensor.Tensor {
	return tensor.FromFloat64(v, shape...).As(d)
}
