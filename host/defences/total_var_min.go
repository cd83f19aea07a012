package defences

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/optimize"

	"github.com/arthost/arthost/shared/tensor"
)

// evalsPerIteration bounds the objective evaluations per solver
// iteration, so a line search that stalls on the non-smooth objective
// cannot run forever.
const evalsPerIteration = 20

// TotalVarMin replaces every image by a total-variation minimiser (Guo et
// al., 2018): for each sample a random mask keeps each value with
// probability prob, and every channel plane z starts at x and runs
// max_iter iterations of the solver on tvObjective (lamb, norm). The
// result is clipped to clip_values when given. Images are (n, h, w, c), or
// (n, c, h, w) with channels_first (an extension: ART has only the
// former). Its gradient is BPDA (identity).
type TotalVarMin struct {
	applyFlags
	Prob          float64
	Norm          int
	Lamb          float64
	Solver        string
	MaxIter       int
	ChannelsFirst bool
	Clip          clipRange
	Seed          uint64
	rng           *source
}

func newTotalVarMin(p *params, d Defaults) Preprocessor {
	t := &TotalVarMin{
		applyFlags:    p.flags(false, true),
		Prob:          p.float("prob", 0.3),
		Norm:          p.int("norm", 2),
		Lamb:          p.float("lamb", 0.5),
		Solver:        p.enum("solver", "L-BFGS-B", "L-BFGS-B", "CG"),
		MaxIter:       p.int("max_iter", 10),
		ChannelsFirst: p.bool("channels_first", d.ChannelsFirst),
		Clip:          p.clip("clip_values", false, false),
		Seed:          p.seed(),
	}
	p.bool("verbose", false)
	p.check(t.Prob >= 0 && t.Prob <= 1, "prob", "want a probability in [0, 1], got %v", t.Prob)
	p.check(t.Norm > 0, "norm", "want a positive integer, got %d", t.Norm)
	p.check(t.Lamb >= 0, "lamb", "want a non-negative number, got %v", t.Lamb)
	p.check(t.MaxIter > 0, "max_iter", "want a positive integer, got %d", t.MaxIter)
	t.rng = newSource(t.Seed)
	return t
}

// Name returns "total_var_min".
func (t *TotalVarMin) Name() string { return "total_var_min" }

func (t *TotalVarMin) String() string {
	return fmt.Sprintf("total_var_min{prob: %v, norm: %d, lamb: %v, solver: %s, max_iter: %d, seed: %d}", t.Prob, t.Norm, t.Lamb, t.Solver, t.MaxIter, t.Seed)
}

// Forward minimises every channel plane of every sample; y passes through.
func (t *TotalVarMin) Forward(x, y tensor.Tensor) (tensor.Tensor, tensor.Tensor, error) {
	if err := checkBatch(t.Name(), x, 1); err != nil {
		return tensor.Tensor{}, y, err
	}
	if len(x.Shape) != 4 {
		return tensor.Tensor{}, y, fmt.Errorf("%s: input shape %v: want images (n, h, w, c), or (n, c, h, w) with channels_first", t.Name(), x.Shape)
	}
	v := values(x)
	n, sn := x.Shape[0], tensor.NumElements(x.Shape[1:])
	h, w, c := x.Shape[1], x.Shape[2], x.Shape[3]
	if t.ChannelsFirst {
		c, h, w = x.Shape[1], x.Shape[2], x.Shape[3]
	}
	masks := make([]float64, n*sn)
	t.rng.with(func(r *rand.Rand) {
		for i := range masks {
			if r.Float64() < t.Prob {
				masks[i] = 1
			}
		}
	})
	plane, mask := make([]float64, h*w), make([]float64, h*w)
	for s := 0; s < n; s++ {
		for ch := 0; ch < c; ch++ {
			at := func(i int) int { return s*sn + i*c + ch }
			if t.ChannelsFirst {
				at = func(i int) int { return s*sn + ch*h*w + i }
			}
			for i := range plane {
				plane[i], mask[i] = v[at(i)], masks[at(i)]
			}
			z, err := t.minimise(plane, mask, h, w)
			if err != nil {
				return tensor.Tensor{}, y, fmt.Errorf("%s: sample %d channel %d: %w", t.Name(), s, ch, err)
			}
			for i, zi := range z {
				v[at(i)] = zi
			}
		}
	}
	if err := t.Clip.apply(v, x.Shape); err != nil {
		return tensor.Tensor{}, y, fmt.Errorf("%s: %w", t.Name(), err)
	}
	return withValues(v, x.DType, x.Shape), y, nil
}

// minimise runs the solver from x for at most max_iter iterations and
// returns the best point found (x itself when no step improved on it). A
// line search that fails on this non-smooth objective ends a run early;
// the solver then restarts from the best point with a fresh memory while
// iterations remain and the last run made progress.
func (t *TotalVarMin) minimise(x, mask []float64, h, w int) ([]float64, error) {
	if len(x) == 0 {
		return nil, nil
	}
	obj := newTVObjective(x, mask, h, w, t.Norm, t.Lamb)
	prob := optimize.Problem{Func: obj.Func, Grad: obj.Grad}
	best, bestF := append([]float64(nil), x...), obj.Func(x)
	for left := t.MaxIter; left > 0; {
		var method optimize.Method = &optimize.LBFGS{}
		if t.Solver == "CG" {
			method = &optimize.CG{}
		}
		settings := &optimize.Settings{
			MajorIterations:   left,
			FuncEvaluations:   evalsPerIteration * left,
			GradEvaluations:   evalsPerIteration * left,
			GradientThreshold: 1e-5, // scipy's default gtol
			Converger:         &optimize.FunctionConverge{Absolute: 1e-10, Relative: 2.2e-9, Iterations: left + 1},
		}
		res, err := optimize.Minimize(prob, best, settings, method)
		if res == nil {
			return nil, err
		}
		if !(res.F < bestF-1e-12*math.Abs(bestF)) || len(res.X) != len(x) {
			break
		}
		best, bestF = res.X, res.F
		if err == nil {
			break // converged or out of budget
		}
		left -= max(res.Stats.MajorIterations, 1)
	}
	return best, nil
}

// Backward passes grad through unchanged (BPDA).
func (t *TotalVarMin) Backward(x, grad tensor.Tensor) (tensor.Tensor, error) {
	return identityBackward(t.Name(), x, grad)
}
