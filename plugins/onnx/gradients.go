package main

import (
	"context"
	"fmt"
	"math"

	"github.com/arthost/arthost/plugins/onnx/internal/autodiff"
	"github.com/arthost/arthost/plugins/onnx/internal/graph"
	"github.com/arthost/arthost/plugins/onnx/internal/nd"
	"github.com/arthost/arthost/plugins/onnx/internal/ops"
	"github.com/arthost/arthost/sdk"
	"github.com/arthost/arthost/shared/tensor"
)

// maxClassGradValues bounds the input values of one batched all-class
// backward pass (samples x classes x input size): larger batches run in
// chunks of samples, so the kept activations of one pass stay bounded.
const maxClassGradValues = 1 << 18

// Loss returns the categorical cross-entropy of each sample,
// -sum_k y_k log softmax(z)_k, from the logits z (the input of a final
// Softmax when the model ends in one, where it equals -sum_k y_k log p_k).
func (e *estimator) Loss(ctx context.Context, x tensor.Tensor, y tensor.Labels) (tensor.Tensor, error) {
	m, err := e.gradModel("loss", x, &y)
	if err != nil {
		return tensor.Tensor{}, err
	}
	env, err := m.run(ctx, x, false)
	if err != nil {
		return tensor.Tensor{}, fmt.Errorf("onnx loss: %w", err)
	}
	z, err := m.logitsOf(env, x.Shape[0])
	if err != nil {
		return tensor.Tensor{}, fmt.Errorf("onnx loss: %w", err)
	}
	loss, _ := crossEntropy(z, y, false)
	return tensor.FromFloat64(loss, x.Shape[0]).As(x.DType), nil
}

// LossGradient returns d loss_i / d x_i for each sample: one forward pass
// keeping activations, the cross-entropy gradient softmax(z) - y seeded at
// the logits, one backward pass to the input.
func (e *estimator) LossGradient(ctx context.Context, x tensor.Tensor, y tensor.Labels) (tensor.Tensor, error) {
	m, err := e.gradModel("loss-gradient", x, &y)
	if err != nil {
		return tensor.Tensor{}, err
	}
	g, err := m.lossGradient(ctx, x, y)
	if err != nil {
		return tensor.Tensor{}, fmt.Errorf("onnx loss-gradient: %w", err)
	}
	return gradTensor(g, x.DType, x.Shape...), nil
}

func (m *model) lossGradient(ctx context.Context, x tensor.Tensor, y tensor.Labels) (*nd.Array, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	xf, err := toND(x)
	if err != nil {
		return nil, err
	}
	env, done, err := m.forwardKeep(xf)
	if err != nil {
		return nil, err
	}
	defer done()
	z, err := m.logitsOf(env, x.Shape[0])
	if err != nil {
		return nil, err
	}
	_, dz := crossEntropy(z, y, true)
	zs, _ := m.g.Slot(m.logits)
	return m.backwardToInput(env, []autodiff.Seed{{Slot: zs, Grad: dz.Reshaped(env.Values[zs].Shape...)}})
}

// ClassGradient returns d out_c / d x for the model's output as Predict
// returns it: for all classes (classes nil, shape (n, K, *input)) in one
// batched backward pass per chunk, each sample repeated once per class
// and each copy seeded with its class; or for one class per row (shape
// (n, 1, *input)) in a single pass.
func (e *estimator) ClassGradient(ctx context.Context, x tensor.Tensor, classes []int) (tensor.Tensor, error) {
	m, err := e.gradModel("class-gradient", x, nil)
	if err != nil {
		return tensor.Tensor{}, err
	}
	n, k := x.Shape[0], m.nbClasses
	per := x.Len() / max(n, 1)
	for i, c := range classes {
		if c < 0 || c >= k {
			return tensor.Tensor{}, sdk.InvalidArgumentf("onnx class-gradient: label %d of row %d out of range [0,%d)", c, i, k)
		}
	}
	if classes != nil && len(classes) != n {
		return tensor.Tensor{}, sdk.InvalidArgumentf("onnx class-gradient: %d labels for %d rows", len(classes), n)
	}
	xf, err := toND(x)
	if err != nil {
		return tensor.Tensor{}, sdk.InvalidArgumentf("onnx class-gradient: %v", err)
	}
	if classes != nil {
		g, err := m.classGradRows(ctx, xf, classes, 1)
		if err != nil {
			return tensor.Tensor{}, fmt.Errorf("onnx class-gradient: %w", err)
		}
		return gradTensor(g, x.DType, append([]int{n, 1}, x.Shape[1:]...)...), nil
	}
	shape := append([]int{n, k}, x.Shape[1:]...)
	chunk := max(1, maxClassGradValues/max(1, k*per))
	if chunk >= n {
		g, err := m.classGradRows(ctx, xf, nil, k)
		if err != nil {
			return tensor.Tensor{}, fmt.Errorf("onnx class-gradient: %w", err)
		}
		return gradTensor(g, x.DType, shape...), nil
	}
	out := nd.NewF(shape...)
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		rows := nd.FromF(xf.F[lo*per:hi*per], append([]int{hi - lo}, x.Shape[1:]...)...)
		g, err := m.classGradRows(ctx, rows, nil, k)
		if err != nil {
			return tensor.Tensor{}, fmt.Errorf("onnx class-gradient: %w", err)
		}
		copy(out.F[lo*k*per:], g.F)
	}
	return gradTensor(out, x.DType, shape...), nil
}

// gradTensor returns a gradient as a tensor of dtype dt. A float32
// gradient is handed over without a copy: it is a fresh array (the
// backward pass never gives a returned gradient back to an arena).
func gradTensor(g *nd.Array, dt tensor.DType, shape ...int) tensor.Tensor {
	if dt == tensor.Float32 {
		return tensor.FromFloat32(g.F, shape...)
	}
	return fromND(g, dt, shape...)
}

// classGradRows differentiates the output of each of the n samples of x
// repeated reps times: with classes nil, copy c of sample i is seeded
// with class c (reps = K); otherwise row i with classes[i] (reps = 1). It
// returns the (n*reps, *input) input gradient.
func (m *model) classGradRows(ctx context.Context, x *nd.Array, classes []int, reps int) (*nd.Array, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n := x.Shape[0]
	per := x.Len() / max(n, 1)
	if reps > 1 && m.batchLocal(x.Shape[1:]) {
		// One forward pass on the n samples, its values repeated per class.
		env, done, err := m.forwardKeep(x)
		if err != nil {
			return nil, err
		}
		defer done()
		in, _ := m.g.Slot(m.input)
		act := m.buffers().act
		// seedClasses reads the logits and checks the output's size.
		out, _ := m.g.Slot(m.output)
		logits, _ := m.g.Slot(m.logits)
		tiled := autodiff.Tile(m.g, env, in, reps, act.NewFDirty, out, logits)
		defer m.release(act, tiled, env)
		if s := m.buffers(); classes == nil && s.frontier != nil {
			return m.classGradTail(env, tiled, n, reps)
		}
		return m.seedClasses(tiled, n*reps, classes, reps)
	}
	feed := x
	if reps > 1 {
		feed = nd.NewF(append([]int{n * reps}, x.Shape[1:]...)...)
		for i := 0; i < n; i++ {
			for r := 0; r < reps; r++ {
				copy(feed.F[(i*reps+r)*per:(i*reps+r+1)*per], x.F[i*per:(i+1)*per])
			}
		}
	}
	env, done, err := m.forwardKeep(feed)
	if err != nil {
		return nil, err
	}
	defer done()
	return m.seedClasses(env, n*reps, classes, reps)
}

// classGradTail is the all-class backward pass of n samples and k
// classes through the model's linear tail (gradState.tail): the tail's
// gradient for class c is the same for every sample, so it runs once on
// k rows of shapes (one per class), and its gradients at the frontier,
// repeated for each sample, seed the pass over the rest of the model on
// the tiled environment.
func (m *model) classGradTail(env, tiled *graph.Env, n, k int) (*nd.Array, error) {
	s := m.buffers()
	in, _ := m.g.Slot(m.input)
	out, _ := m.g.Slot(m.output)
	envK := autodiff.TailEnv(m.g, env, in, k)
	v := envK.Values[out]
	if v == nil || v.Len() != k*k {
		return nil, fmt.Errorf("output %q has shape %v, want (%d, %d)", m.output, shapeOf(env.Values[out]), n, k)
	}
	eye := nd.NewF(v.Shape...)
	for c := 0; c < k; c++ {
		eye.F[c*k+c] = 1
	}
	gk, err := autodiff.BackwardSteps(&ops.Ctx{Threads: 1}, m.g, envK, []autodiff.Seed{{Slot: out, Grad: eye}}, s.frontier, s.tail)
	if err != nil {
		return nil, err
	}
	seeds := make([]autodiff.Seed, len(s.frontier))
	for i, f := range s.frontier {
		t := tiled.Values[f]
		rep := s.grad.NewFDirty(t.Shape...)
		block := gk[i].F // the k rows of one sample
		for smp := 0; smp < n; smp++ {
			copy(rep.F[smp*len(block):(smp+1)*len(block)], block)
		}
		seeds[i] = autodiff.Seed{Slot: f, Grad: rep}
	}
	return m.backwardToInput(tiled, seeds)
}

// seedClasses seeds row r of the output of env with its class (classes[r],
// or r mod reps when classes is nil) and differentiates to the input.
func (m *model) seedClasses(env *graph.Env, rows int, classes []int, reps int) (*nd.Array, error) {
	k := m.nbClasses
	class := func(r int) int {
		if classes != nil {
			return classes[r]
		}
		return r % reps
	}
	slot, _ := m.g.Slot(m.output)
	seed := nd.NewF(rows, k)
	if m.softmaxOut {
		// Predict applies softmax to the logits: d p_c / d z = p_c (e_c - p).
		slot, _ = m.g.Slot(m.logits)
		z, err := m.logitsOf(env, rows)
		if err != nil {
			return nil, err
		}
		p := softmaxRows(z, rows, k)
		for r := 0; r < rows; r++ {
			c := class(r)
			pc := p.F[r*k+c]
			for j := 0; j < k; j++ {
				seed.F[r*k+j] = -pc * p.F[r*k+j]
			}
			seed.F[r*k+c] += pc
		}
	} else {
		for r := 0; r < rows; r++ {
			seed.F[r*k+class(r)] = 1
		}
	}
	v := env.Values[slot]
	if v == nil || v.Len() != rows*k {
		return nil, fmt.Errorf("output %q has shape %v, want (%d, %d)", m.g.Names[slot], shapeOf(v), rows, k)
	}
	return m.backwardToInput(env, []autodiff.Seed{{Slot: slot, Grad: seed.Reshaped(v.Shape...)}})
}

// backwardToInput runs the backward pass from seeds to the model input.
func (m *model) backwardToInput(env *graph.Env, seeds []autodiff.Seed) (*nd.Array, error) {
	in, _ := m.g.Slot(m.input)
	// Intermediate gradients go back to the gradient arena as the pass
	// moves on; the returned one is never released, so it stays the
	// caller's.
	g, err := autodiff.Backward(&ops.Ctx{Threads: m.threads, Arena: m.buffers().grad}, m.g, env, seeds, []int{in})
	if err != nil {
		return nil, err
	}
	return g[0], nil
}

// gradModel checks that a model is loaded and the labels fit it.
func (e *estimator) gradModel(method string, x tensor.Tensor, y *tensor.Labels) (*model, error) {
	if !e.ready {
		return nil, sdk.FailedPreconditionf("onnx %s: no model loaded", method)
	}
	m := e.m
	if m.logits == "" {
		return nil, sdk.InvalidArgumentf("onnx %s: model %s has no logits", method, e.desc.Name)
	}
	if len(x.Shape) == 0 || x.Shape[0] == 0 {
		return nil, sdk.InvalidArgumentf("onnx %s: empty input of shape %v", method, x.Shape)
	}
	if y != nil && (y.N != x.Shape[0] || y.K != m.nbClasses || len(y.Prob) != y.N*y.K) {
		return nil, sdk.InvalidArgumentf("onnx %s: labels for %d rows of %d classes, want %d rows of %d", method, y.N, y.K, x.Shape[0], m.nbClasses)
	}
	return m, nil
}

// logitsOf returns the logits of a run as an (n, K) array.
func (m *model) logitsOf(env *graph.Env, n int) (*nd.Array, error) {
	z := m.g.Get(env, m.logits)
	if z == nil || z.DType != nd.Float32 || z.Len() != n*m.nbClasses {
		return nil, fmt.Errorf("logits %q have shape %v, want (%d, %d)", m.logits, shapeOf(z), n, m.nbClasses)
	}
	return z.Reshaped(n, m.nbClasses), nil
}

// crossEntropy returns -sum_k y_k log softmax(z)_k per row (in float64)
// and, when grad is set, its gradient softmax(z) sum_k y_k - y.
func crossEntropy(z *nd.Array, y tensor.Labels, grad bool) ([]float64, *nd.Array) {
	n, k := z.Shape[0], z.Shape[1]
	loss := make([]float64, n)
	var dz *nd.Array
	if grad {
		dz = nd.NewF(n, k)
	}
	// e holds e^(z - max z) of every row, exponentiated in one call.
	e := make([]float64, n*k)
	for i := 0; i < n; i++ {
		row := z.F[i*k : (i+1)*k]
		mx := row[0]
		for _, v := range row {
			if v > mx {
				mx = v
			}
		}
		for j, v := range row {
			e[i*k+j] = float64(v - mx)
		}
	}
	ops.ExpNeg(e, e)
	for i := 0; i < n; i++ {
		row, p, ei := z.F[i*k:(i+1)*k], y.Prob[i*k:(i+1)*k], e[i*k:(i+1)*k]
		mx := row[0]
		for _, v := range row {
			if v > mx {
				mx = v
			}
		}
		var s float64
		for _, v := range ei {
			s += v
		}
		lse := float64(mx) + math.Log(s)
		var mass float64
		for j, q := range p {
			if q != 0 {
				loss[i] -= q * (float64(row[j]) - lse)
			}
			mass += q
		}
		if grad {
			scale := mass / s
			for j, v := range ei {
				dz.F[i*k+j] = float32(v*scale - p[j])
			}
		}
	}
	return loss, dz
}

var (
	_ sdk.Losser          = (*estimator)(nil)
	_ sdk.LossGradienter  = (*estimator)(nil)
	_ sdk.ClassGradienter = (*estimator)(nil)
)
