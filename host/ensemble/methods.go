package ensemble

import (
	"context"
	"math"
	"math/rand/v2"

	"google.golang.org/grpc/codes"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/host/remote"
	"github.com/arthost/arthost/shared/tensor"
)

// memberProbabilities returns a member's output as probabilities: members
// whose Predict gives logits are passed through a softmax, so members of
// different kinds add up meaningfully (ART requires one kind; we convert).
func memberProbabilities(ctx context.Context, m host.Estimator, x tensor.Tensor) (tensor.Tensor, error) {
	p, err := m.Predict(ctx, x, false)
	if err != nil || !m.Describe().OutputLogits {
		return p, err
	}
	k := p.Shape[1]
	v := p.Float64s()
	out := make([]float64, len(v))
	for i := 0; i < p.Rows(); i++ {
		softmax(out[i*k:(i+1)*k], v[i*k:(i+1)*k])
	}
	return tensor.FromFloat64(out, p.Shape...).As(p.DType), nil
}

func softmax(dst, z []float64) {
	mx := math.Inf(-1)
	for _, v := range z {
		mx = math.Max(mx, v)
	}
	sum := 0.0
	for i, v := range z {
		dst[i] = math.Exp(v - mx)
		sum += dst[i]
	}
	for i := range dst {
		dst[i] /= sum
	}
}

// weightedSum returns sum_i w_i t_i in x's dtype.
func weightedSum(parts []tensor.Tensor, w []float64, mask []bool, dt tensor.DType) tensor.Tensor {
	var shape []int
	var acc []float64
	for i, p := range parts {
		if !mask[i] {
			continue
		}
		if acc == nil {
			shape, acc = p.Shape, make([]float64, p.Len())
		}
		for j := range acc {
			acc[j] += w[i] * p.At(j)
		}
	}
	return tensor.FromFloat64(acc, shape...).As(dt)
}

// Predict returns sum_i w_i p_i(x) with every member's output as
// probabilities, or with logits the weighted sum of the members' logits.
func (e *Ensemble) Predict(ctx context.Context, x tensor.Tensor, logits bool) (tensor.Tensor, error) {
	parts, mask, err := e.predictMembers(ctx, x, logits)
	if err != nil {
		return tensor.Tensor{}, err
	}
	return weightedSum(parts, e.weightsFor(mask), mask, x.DType), nil
}

func (e *Ensemble) predictMembers(ctx context.Context, x tensor.Tensor, logits bool) ([]tensor.Tensor, []bool, error) {
	return e.fanOut("predict", all(len(e.members)), func(_ int, m host.Estimator) (tensor.Tensor, error) {
		if logits {
			return m.Predict(ctx, x, true)
		}
		return memberProbabilities(ctx, m, x)
	})
}

// PredictRaw returns the weighted per-member outputs, shape (members, n,
// nb_classes), as ART's raw=True does. Under the degrade policy a member
// left out has a row of zeros and the others' weights are renormalised.
func (e *Ensemble) PredictRaw(ctx context.Context, x tensor.Tensor, logits bool) (tensor.Tensor, error) {
	parts, mask, err := e.predictMembers(ctx, x, logits)
	if err != nil {
		return tensor.Tensor{}, err
	}
	w := e.weightsFor(mask)
	var ref tensor.Tensor
	for i := range parts {
		if mask[i] {
			ref = parts[i]
			break
		}
	}
	per := ref.Len()
	out := make([]float64, len(e.members)*per)
	for i, p := range parts {
		if !mask[i] {
			continue
		}
		for j := 0; j < per; j++ {
			out[i*per+j] = w[i] * p.At(j)
		}
	}
	return tensor.FromFloat64(out, append([]int{len(e.members)}, ref.Shape...)...).As(x.DType), nil
}

// Loss returns sum_i w_i loss_i(x, y), the loss whose gradient
// LossGradient returns.
func (e *Ensemble) Loss(ctx context.Context, x, y tensor.Tensor, r host.Reduction) (tensor.Tensor, error) {
	if err := host.Require(e.desc, "loss"); err != nil {
		return tensor.Tensor{}, err
	}
	parts, mask, err := e.fanOut("loss", all(len(e.members)), func(_ int, m host.Estimator) (tensor.Tensor, error) {
		return m.Loss(ctx, x, y, host.ReduceNone)
	})
	if err != nil {
		return tensor.Tensor{}, err
	}
	return remote.Reduce(weightedSum(parts, e.weightsFor(mask), mask, x.DType), r), nil
}

// gradientMembers splits members into those with the capability and
// those without, applying the gradient policy.
func (e *Ensemble) gradientMembers(method string) (exact, estimated []int, err error) {
	if err := host.Require(e.desc, method); err != nil {
		return nil, nil, err
	}
	for i, m := range e.members {
		switch {
		case m.Describe().Capabilities.Has(method):
			exact = append(exact, i)
		case e.cfg.GradientPolicy == GradientEstimate:
			estimated = append(estimated, i)
		}
	}
	return exact, estimated, nil
}

// gradient runs exact gradients and estimates concurrently and combines
// them with the renormalised weights of the members used.
func (e *Ensemble) gradient(ctx context.Context, method string, x tensor.Tensor,
	exact func(m host.Estimator) (tensor.Tensor, error), estimate func(m host.Estimator, seed uint64) (tensor.Tensor, error)) (tensor.Tensor, error) {
	ex, est, err := e.gradientMembers(method)
	if err != nil {
		return tensor.Tensor{}, err
	}
	isEst := map[int]bool{}
	for _, i := range est {
		isEst[i] = true
	}
	parts, mask, err := e.fanOut(method, append(ex, est...), func(i int, m host.Estimator) (tensor.Tensor, error) {
		if isEst[i] {
			return estimate(m, e.cfg.Seed+uint64(i))
		}
		return exact(m)
	})
	if err != nil {
		return tensor.Tensor{}, err
	}
	return weightedSum(parts, e.weightsFor(mask), mask, x.DType), nil
}

// LossGradient returns sum_i w_i d loss_i / dx over the members the
// gradient policy includes.
func (e *Ensemble) LossGradient(ctx context.Context, x, y tensor.Tensor) (tensor.Tensor, error) {
	var labels tensor.Labels
	if e.cfg.GradientPolicy == GradientEstimate {
		l, err := tensor.NormalizeLabels(y, x.Rows(), e.desc.NbClasses)
		if err != nil {
			return tensor.Tensor{}, e.errorf("loss_gradient", codes.InvalidArgument, "%v", err)
		}
		labels = l
	}
	return e.gradient(ctx, "loss_gradient", x,
		func(m host.Estimator) (tensor.Tensor, error) { return m.LossGradient(ctx, x, y) },
		func(m host.Estimator, seed uint64) (tensor.Tensor, error) {
			return e.estimate(ctx, m, x, seed, 1, x.Shape, func(p []float64, row, _ int) float64 {
				k := labels.K
				loss := 0.0
				for c := 0; c < k; c++ {
					if q := labels.Prob[row*k+c]; q > 0 {
						loss -= q * math.Log(math.Max(p[c], 1e-12))
					}
				}
				return loss
			})
		})
}

// ClassGradient returns sum_i w_i d p_i,c / dx, the gradient of the
// ensemble's probability output. A member that outputs logits is
// differentiated through its softmax from its all-class logit gradients.
func (e *Ensemble) ClassGradient(ctx context.Context, x tensor.Tensor, classes []int) (tensor.Tensor, error) {
	k := e.desc.NbClasses
	outputs := k
	if classes != nil {
		outputs = 1
		if len(classes) != 1 && len(classes) != x.Rows() {
			return tensor.Tensor{}, e.errorf("class_gradient", codes.InvalidArgument, "%d class labels for %d samples", len(classes), x.Rows())
		}
	}
	classOf := func(row, j int) int {
		switch {
		case classes == nil:
			return j
		case len(classes) == 1:
			return classes[0]
		}
		return classes[row]
	}
	for _, c := range classes {
		if c < 0 || c >= k {
			return tensor.Tensor{}, e.errorf("class_gradient", codes.InvalidArgument, "label %d out of range [0,%d)", c, k)
		}
	}
	return e.gradient(ctx, "class_gradient", x,
		func(m host.Estimator) (tensor.Tensor, error) {
			if !m.Describe().OutputLogits {
				return m.ClassGradient(ctx, x, classes)
			}
			return softmaxGradient(ctx, m, x, outputs, classOf)
		},
		func(m host.Estimator, seed uint64) (tensor.Tensor, error) {
			shape := append([]int{x.Rows(), outputs}, x.Shape[1:]...)
			return e.estimate(ctx, m, x, seed, outputs, shape, func(p []float64, row, j int) float64 { return p[classOf(row, j)] })
		})
}

// softmaxGradient differentiates softmax(z(x))_c for a logits member:
// d p_c / dx = p_c (dz_c/dx - sum_j p_j dz_j/dx).
func softmaxGradient(ctx context.Context, m host.Estimator, x tensor.Tensor, outputs int, classOf func(row, j int) int) (tensor.Tensor, error) {
	p, err := memberProbabilities(ctx, m, x)
	if err != nil {
		return p, err
	}
	jz, err := m.ClassGradient(ctx, x, nil)
	if err != nil {
		return jz, err
	}
	n, k := x.Rows(), p.Shape[1]
	d := tensor.NumElements(x.Shape[1:])
	pv, jv := p.Float64s(), jz.Float64s()
	out := make([]float64, n*outputs*d)
	mean := make([]float64, d)
	for i := 0; i < n; i++ {
		clear(mean)
		for j := 0; j < k; j++ {
			row := jv[(i*k+j)*d : (i*k+j+1)*d]
			for f, v := range row {
				mean[f] += pv[i*k+j] * v
			}
		}
		for o := 0; o < outputs; o++ {
			c := classOf(i, o)
			row := jv[(i*k+c)*d : (i*k+c+1)*d]
			dst := out[(i*outputs+o)*d : (i*outputs+o+1)*d]
			for f := range dst {
				dst[f] = pv[i*k+c] * (row[f] - mean[f])
			}
		}
	}
	return tensor.FromFloat64(out, append([]int{n, outputs}, x.Shape[1:]...)...), nil
}

// estimate approximates d f(p(x))/dx for each row and each of outputs
// functions f by antithetic Gaussian sampling of the member's
// probabilities: g ~ 1/(2 sigma S) sum_s u_s [f(x + sigma u_s) - f(x - sigma u_s)].
// All perturbed rows go in one Predict call; each row sent counts as a query.
// The result has the given shape, which must hold n*outputs*d values.
func (e *Ensemble) estimate(ctx context.Context, m host.Estimator, x tensor.Tensor, seed uint64, outputs int, shape []int,
	f func(p []float64, row, j int) float64) (tensor.Tensor, error) {
	n, d := x.Rows(), tensor.NumElements(x.Shape[1:])
	s, sigma := e.cfg.EstimateSamples, e.cfg.EstimateSigma
	rng := rand.New(rand.NewPCG(seed, 99))
	xv := x.Float64s()
	u := make([]float64, n*s*d)
	for i := range u {
		u[i] = rng.NormFloat64()
	}
	q := make([]float64, 2*n*s*d)
	for i := 0; i < n; i++ {
		for j := 0; j < s; j++ {
			for f := 0; f < d; f++ {
				dir := u[(i*s+j)*d+f] * sigma
				q[((2*(i*s+j))*d)+f] = xv[i*d+f] + dir
				q[((2*(i*s+j)+1)*d)+f] = xv[i*d+f] - dir
			}
		}
	}
	batch := tensor.FromFloat64(q, append([]int{2 * n * s}, x.Shape[1:]...)...).As(x.DType)
	p, err := memberProbabilities(ctx, m, batch)
	if err != nil {
		return p, err
	}
	e.mu.Lock()
	e.queries += int64(2 * n * s)
	e.mu.Unlock()
	k := p.Shape[1]
	pv := p.Float64s()
	out := make([]float64, n*outputs*d)
	for i := 0; i < n; i++ {
		for j := 0; j < s; j++ {
			plus := pv[(2*(i*s+j))*k : (2*(i*s+j)+1)*k]
			minus := pv[(2*(i*s+j)+1)*k : (2*(i*s+j)+2)*k]
			dir := u[(i*s+j)*d : (i*s+j+1)*d]
			for o := 0; o < outputs; o++ {
				diff := (f(plus, i, o) - f(minus, i, o)) / (2 * sigma * float64(s))
				dst := out[(i*outputs+o)*d : (i*outputs+o+1)*d]
				for fi, v := range dir {
					dst[fi] += diff * v
				}
			}
		}
	}
	return tensor.FromFloat64(out, shape...), nil
}

func (e *Ensemble) unsupported(method string) error {
	return e.errorf(method, codes.Unimplemented, "ensembles do not support %s (call it on a member)", method)
}

// Activations is not defined for an ensemble.
func (e *Ensemble) Activations(context.Context, tensor.Tensor, string) (tensor.Tensor, error) {
	return tensor.Tensor{}, e.unsupported("activations")
}

// PredictUncertainty is not defined for an ensemble.
func (e *Ensemble) PredictUncertainty(context.Context, tensor.Tensor) (tensor.Tensor, error) {
	return tensor.Tensor{}, e.unsupported("predict_uncertainty")
}

// Fit is not supported, as in ART: train the members one by one.
func (e *Ensemble) Fit(context.Context, tensor.Tensor, tensor.Tensor, host.FitOptions) error {
	return e.unsupported("fit")
}

// Save is not supported: save the members.
func (e *Ensemble) Save(context.Context, string) error { return e.unsupported("save") }
