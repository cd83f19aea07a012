package main

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/arthost/arthost/plugins/onnx/internal/autodiff"
	"github.com/arthost/arthost/plugins/onnx/internal/graph"
	"github.com/arthost/arthost/plugins/onnx/internal/nd"
	"github.com/arthost/arthost/plugins/onnx/internal/ops"
	"github.com/arthost/arthost/sdk"
	"github.com/arthost/arthost/shared/tensor"
)

// Training defaults (ART's fit defaults are nb_epochs=20, batch_size=128;
// a plugin call without them trains one epoch of 32-sample batches).
const (
	defaultEpochs    = 1
	defaultBatchSize = 32
)

// fitConfig holds the Fit options:
//
//	optimizer=adam|sgd   (default adam)
//	learning_rate=F      (default 1e-3 for adam, 1e-2 for sgd)
//	momentum=F           SGD momentum (default 0.9)
//	beta1=F, beta2=F, epsilon=F   Adam (defaults 0.9, 0.999, 1e-8)
//	weight_decay=F       L2 penalty added to the gradient (default 0)
//	shuffle=BOOL         reshuffle every epoch (default true)
//	seed=N               shuffling seed (default 0)
type fitConfig struct {
	optimizer                  string
	lr, momentum, beta1, beta2 float64
	eps, decay                 float64
	shuffle                    bool
	seed                       int
}

func parseFitOptions(opts *sdk.Options) (fitConfig, error) {
	c := fitConfig{optimizer: opts.Enum("optimizer", "adam", "adam", "sgd")}
	lr := 1e-3
	if c.optimizer == "sgd" {
		lr = 1e-2
	}
	c.lr = opts.Float("learning_rate", lr)
	c.momentum = opts.Float("momentum", 0.9)
	c.beta1, c.beta2 = opts.Float("beta1", 0.9), opts.Float("beta2", 0.999)
	c.eps, c.decay = opts.Float("epsilon", 1e-8), opts.Float("weight_decay", 0)
	c.shuffle, c.seed = opts.Bool("shuffle", true), opts.Int("seed", 0)
	if err := opts.Err(); err != nil {
		return c, err
	}
	switch {
	case c.lr <= 0:
		return c, sdk.InvalidArgumentf("onnx fit: option learning_rate=%g: want > 0", c.lr)
	case c.momentum < 0 || c.momentum >= 1:
		return c, sdk.InvalidArgumentf("onnx fit: option momentum=%g: want [0, 1)", c.momentum)
	case c.beta1 < 0 || c.beta1 >= 1 || c.beta2 < 0 || c.beta2 >= 1:
		return c, sdk.InvalidArgumentf("onnx fit: options beta1=%g beta2=%g: want [0, 1)", c.beta1, c.beta2)
	case c.eps <= 0 || c.decay < 0:
		return c, sdk.InvalidArgumentf("onnx fit: options epsilon=%g weight_decay=%g: want epsilon > 0, weight_decay >= 0", c.eps, c.decay)
	}
	return c, nil
}

// Fit trains the model's float initializers on cross-entropy from the
// logits with mini-batch SGD (momentum) or Adam. BatchNormalization nodes
// normalise with batch statistics and update their running statistics
// (momentum attribute, unbiased variance, as PyTorch does); Dropout stays
// the identity. The trained weights replace the model's constants only
// when training completes, so a cancelled or failed Fit leaves the model
// as it was. Progress is reported after every epoch.
func (e *estimator) Fit(ctx context.Context, req sdk.FitRequest, progress func(sdk.FitProgress)) error {
	if !e.ready {
		return sdk.FailedPreconditionf("onnx fit: no model loaded")
	}
	m := e.m
	cfg, err := parseFitOptions(&req.Options)
	if err != nil {
		return err
	}
	x, y := req.X, req.Y
	if len(x.Shape) == 0 || x.Shape[0] == 0 || y.N != x.Shape[0] || y.K != m.nbClasses {
		return sdk.InvalidArgumentf("onnx fit: %d labels of %d classes for x of shape %v (model has %d classes)", y.N, y.K, x.Shape, m.nbClasses)
	}
	epochs, batch := req.Epochs, req.BatchSize
	if epochs <= 0 {
		epochs = defaultEpochs
	}
	if batch <= 0 {
		batch = defaultBatchSize
	}
	xf, err := toND(x)
	if err != nil {
		return sdk.InvalidArgumentf("onnx fit: %v", err)
	}
	t, err := newTrainer(m, cfg)
	if err != nil {
		return err
	}
	n := x.Shape[0]
	steps := (n + batch - 1) / batch
	rng := rand.New(rand.NewPCG(uint64(cfg.seed), 0x6f6e6e78))
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	for ep := 1; ep <= epochs; ep++ {
		if cfg.shuffle {
			rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
		}
		var sumLoss float64
		correct := 0
		for s := 0; s < steps; s++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			rows := order[s*batch : min(n, (s+1)*batch)]
			loss, hits, err := t.step(gatherRows(xf, rows), labelRows(y, rows))
			if err != nil {
				return fmt.Errorf("onnx fit: epoch %d step %d: %w", ep, s+1, err)
			}
			sumLoss += loss
			correct += hits
		}
		progress(sdk.FitProgress{Epoch: ep, Epochs: epochs, Step: steps, Steps: steps,
			Loss: sumLoss / float64(n), Accuracy: float64(correct) / float64(n),
			Message: fmt.Sprintf("epoch %d/%d (%s)", ep, epochs, cfg.optimizer)})
	}
	t.commit()
	// Rebuild the plan so kernels pack the trained weights; on failure the
	// committed constants still serve (unpacked).
	old := m.g
	if ng, err := reloadWeights(m.g, e.reg, m.input, m.output, m.logits); err == nil {
		m.g = ng
	}
	forgetGraph(old)
	return nil
}

// gatherRows copies the given rows of x into a new batch.
func gatherRows(x *nd.Array, rows []int) *nd.Array {
	per := x.Len() / x.Shape[0]
	b := nd.NewF(append([]int{len(rows)}, x.Shape[1:]...)...)
	for i, r := range rows {
		copy(b.F[i*per:(i+1)*per], x.F[r*per:(r+1)*per])
	}
	return b
}

// labelRows selects rows of canonical labels.
func labelRows(y tensor.Labels, rows []int) tensor.Labels {
	l := tensor.Labels{N: len(rows), K: y.K, Index: make([]int, len(rows)), Prob: make([]float64, len(rows)*y.K)}
	for i, r := range rows {
		l.Index[i] = y.Index[r]
		copy(l.Prob[i*y.K:(i+1)*y.K], y.Prob[r*y.K:(r+1)*y.K])
	}
	return l
}

// trainer holds the weights being trained (copies of the model's
// constants, so Predict keeps using the old ones until commit) and the
// optimizer state.
type trainer struct {
	m       *model
	cfg     fitConfig
	weights []*nd.Array // by slot; nil where the model's constant is used
	params  []int       // trained slots
	opt     optimizer
	// running lists the BatchNormalization steps' running mean and var
	// slots (-1 when not constants) and momentum, by step index.
	running map[int]runningStats
	ctx     *ops.Ctx
}

type runningStats struct {
	mean, vr int
	momentum float64
}

func newTrainer(m *model, cfg fitConfig) (*trainer, error) {
	g := m.g
	t := &trainer{m: m, cfg: cfg, weights: make([]*nd.Array, len(g.Names)), running: map[int]runningStats{},
		ctx: &ops.Ctx{Threads: m.threads}}
	stats := map[int]bool{}
	for i, st := range g.Steps {
		if st.Node.Op != "BatchNormalization" || len(st.In) < 5 {
			continue
		}
		rs := runningStats{mean: constSlot(g, st.In[3]), vr: constSlot(g, st.In[4]),
			momentum: float64(st.Node.Attrs.Float("momentum", 0.9))}
		t.running[i] = rs
		for _, s := range []int{rs.mean, rs.vr} {
			if s >= 0 {
				stats[s] = true
				t.weights[s] = g.Consts[s].Clone()
			}
		}
	}
	used := map[int]bool{}
	for _, st := range g.Steps {
		for _, s := range st.In {
			if s >= 0 && !used[s] && !stats[s] && g.Initializer[s] && g.Consts[s] != nil && g.Consts[s].DType == nd.Float32 {
				used[s] = true
				t.params = append(t.params, s)
				t.weights[s] = g.Consts[s].Clone()
			}
		}
	}
	if len(t.params) == 0 {
		return nil, sdk.FailedPreconditionf("onnx fit: model has no float initializers to train")
	}
	shapes := make([]int, len(t.params))
	for i, s := range t.params {
		shapes[i] = g.Consts[s].Len()
	}
	t.opt = newOptimizer(cfg, shapes)
	return t, nil
}

// constSlot returns s when it holds a constant, else -1.
func constSlot(g *graph.Model, s int) int {
	if s >= 0 && g.Consts[s] != nil && g.Consts[s].DType == nd.Float32 {
		return s
	}
	return -1
}

// step trains on one batch and returns its summed loss and the number of
// correct predictions (before the update).
func (t *trainer) step(x *nd.Array, y tensor.Labels) (float64, int, error) {
	m := t.m
	env, stats, err := autodiff.Forward(t.ctx, m.g, t.weights, map[string]*nd.Array{m.input: x}, true)
	if err != nil {
		return 0, 0, err
	}
	n := x.Shape[0]
	z, err := m.logitsOf(env, n)
	if err != nil {
		return 0, 0, err
	}
	loss, dz := crossEntropy(z, y, true)
	inv := 1 / float32(n)
	for i := range dz.F {
		dz.F[i] *= inv
	}
	zs, _ := m.g.Slot(m.logits)
	grads, err := autodiff.BackwardTrain(t.ctx, m.g, env, []autodiff.Seed{{Slot: zs, Grad: dz.Reshaped(env.Values[zs].Shape...)}}, t.params)
	if err != nil {
		return 0, 0, err
	}
	t.opt.update(t.weights, t.params, grads)
	t.updateRunning(stats)
	var total float64
	hits := 0
	for i, l := range loss {
		total += l
		if argmax(z.F[i*m.nbClasses:(i+1)*m.nbClasses]) == y.Index[i] {
			hits++
		}
	}
	return total, hits, nil
}

// updateRunning moves each BatchNormalization's running statistics
// toward the batch's: r = momentum r + (1 - momentum) batch, with the
// unbiased batch variance.
func (t *trainer) updateRunning(stats []autodiff.BatchStats) {
	for _, bs := range stats {
		rs, ok := t.running[bs.Step]
		if !ok {
			continue
		}
		unbias := 1.0
		if bs.Count > 1 {
			unbias = float64(bs.Count) / float64(bs.Count-1)
		}
		for c := range bs.Mean {
			if rs.mean >= 0 && c < t.weights[rs.mean].Len() {
				w := t.weights[rs.mean]
				w.F[c] = float32(rs.momentum*float64(w.F[c]) + (1-rs.momentum)*bs.Mean[c])
			}
			if rs.vr >= 0 && c < t.weights[rs.vr].Len() {
				w := t.weights[rs.vr]
				w.F[c] = float32(rs.momentum*float64(w.F[c]) + (1-rs.momentum)*bs.Var[c]*unbias)
			}
		}
	}
}

// commit makes the trained weights the model's constants. They are new
// arrays: kernels that packed the old constants notice the change and
// use the new values.
func (t *trainer) commit() {
	for s, w := range t.weights {
		if w != nil {
			t.m.g.Consts[s] = w
		}
	}
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

var _ sdk.Fitter = (*estimator)(nil)
