package report

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/host/attack"
	"github.com/arthost/arthost/shared/tensor"
)

// Report is what report.json holds.
type Report struct {
	Created    string            `json:"created"`
	Data       Data              `json:"data"`
	Estimators []EstimatorResult `json:"estimators"`
}

// Data describes the evaluation set.
type Data struct {
	Source  string `json:"source,omitempty"`
	Samples int    `json:"samples"`
	Shape   []int  `json:"sample_shape"`
	// Image is true for (c, h, w) or (h, w, c) samples with 1 or 3
	// channels, or (h, w) samples: the report then shows example images.
	Image bool `json:"image"`
}

// EstimatorResult is one estimator's clean and adversarial accuracy.
type EstimatorResult struct {
	Name          string         `json:"name"`
	Plugin        string         `json:"plugin,omitempty"`
	Framework     string         `json:"framework,omitempty"`
	CleanAccuracy float64        `json:"clean_accuracy"`
	Results       []AttackResult `json:"attacks"`
	// Skipped lists the attacks the estimator cannot run (an attack
	// needing gradients on a model without them), with the reason.
	Skipped []string `json:"skipped,omitempty"`
	// Examples are, for image data, the first samples and their
	// adversarial versions at the largest eps of each attack.
	Examples *Examples `json:"-"`
}

// AttackResult is one attack at one eps.
type AttackResult struct {
	Attack  string  `json:"attack"`
	Norm    string  `json:"norm"`
	Eps     float64 `json:"eps"`
	EpsStep float64 `json:"eps_step,omitempty"`
	MaxIter int     `json:"max_iter,omitempty"`
	// Accuracy is the accuracy on the adversarial examples; SuccessRate
	// the fraction of correctly classified samples the attack flipped.
	Accuracy    float64 `json:"adversarial_accuracy"`
	SuccessRate float64 `json:"success_rate"`
	// Perturbation norms of adv - x, averaged over samples (and the
	// largest inf norm, which must not exceed eps for inf attacks).
	MeanL2   float64 `json:"mean_l2"`
	MeanLinf float64 `json:"mean_linf"`
	MaxLinf  float64 `json:"max_linf"`
	// Queries are the rows sent to the estimator; Seconds the wall time.
	Queries int64   `json:"queries"`
	Seconds float64 `json:"seconds"`
}

// Examples hold images for the grid: original rows then one row per attack.
type Examples struct {
	Rows   []string          // row labels
	Images [][]tensor.Tensor // [row][col] one sample each
	Pred   [][]int           // predicted class of each image
	Labels []int             // true class of each column
}

// Config says what to run.
type Config struct {
	// Attacks are attack names (fgsm, pgd, square), each run at every eps.
	Attacks []string
	Eps     []float64
	// Params are the attacks' other settings; Eps is set per run, and
	// EpsStep, when EpsStepRatio > 0, to EpsStepRatio * eps.
	Params       attack.Params
	EpsStepRatio float64
	// Examples is the number of samples in the image grid (default 8).
	Examples int
	// Source names the data in the report.
	Source string
	// Progress, when set, hears every attack step and each finished run.
	Progress func(Step)
}

// Step is a progress report of Evaluate.
type Step struct {
	Estimator string
	Run, Runs int // attack runs (attack x eps) done for this estimator
	Attack    attack.Progress
}

// Evaluate measures each estimator's clean accuracy on x (labels y, class
// indices or one-hot) and its accuracy under every attack at every eps.
// An attack an estimator cannot run (host.Code Unimplemented, such as FGSM
// on a model without gradients) is listed in Skipped; any other error
// stops the evaluation.
func Evaluate(ctx context.Context, ests []host.Estimator, x, y tensor.Tensor, cfg Config) (*Report, error) {
	if len(cfg.Attacks) == 0 || len(cfg.Eps) == 0 {
		return nil, fmt.Errorf("report: need at least one attack and one eps")
	}
	if x.Rows() == 0 || !x.IsFloat() {
		return nil, fmt.Errorf("report: data x has shape %v and dtype %v, want a non-empty float batch", x.Shape, x.DType)
	}
	for _, e := range cfg.Eps {
		if !(e > 0) || math.IsInf(e, 0) {
			return nil, fmt.Errorf("report: eps %v, want finite values > 0", e)
		}
	}
	rep := &Report{Created: time.Now().UTC().Format(time.RFC3339), Data: Data{Source: cfg.Source, Samples: x.Rows(), Shape: x.Shape[1:], Image: isImage(x.Shape[1:])}}
	for _, est := range ests {
		r, err := evaluate(ctx, est, x, y, cfg, rep.Data.Image)
		if err != nil {
			return nil, err
		}
		rep.Estimators = append(rep.Estimators, r)
	}
	return rep, nil
}

func isImage(shape []int) bool {
	switch len(shape) {
	case 2:
		return shape[0] > 1 && shape[1] > 1
	case 3:
		first := (shape[0] == 1 || shape[0] == 3) && shape[1] > 1 && shape[2] > 1
		last := (shape[2] == 1 || shape[2] == 3) && shape[0] > 1 && shape[1] > 1
		return first || last
	}
	return false
}

// layout returns an image sample's channels, height and width, and
// whether channels come first (the choice when both readings fit).
func layout(shape []int) (c, h, w int, first bool) {
	switch {
	case len(shape) == 2:
		return 1, shape[0], shape[1], true
	case shape[0] == 1 || shape[0] == 3:
		return shape[0], shape[1], shape[2], true
	}
	return shape[2], shape[0], shape[1], false
}

func evaluate(ctx context.Context, est host.Estimator, x, y tensor.Tensor, cfg Config, image bool) (EstimatorResult, error) {
	d := est.Describe()
	labels, err := tensor.NormalizeLabels(y, x.Rows(), d.NbClasses)
	if err != nil {
		return EstimatorResult{}, fmt.Errorf("report %s: %w", d.Name, err)
	}
	clean, err := classes(ctx, est, x)
	if err != nil {
		return EstimatorResult{}, err
	}
	res := EstimatorResult{Name: d.Name, Plugin: d.Plugin, Framework: d.Framework, CleanAccuracy: accuracy(clean, labels.Index)}
	nEx := min(cfg.Examples, x.Rows())
	if cfg.Examples == 0 {
		nEx = min(8, x.Rows())
	}
	if image {
		res.Examples = &Examples{Rows: []string{"original"}, Labels: labels.Index[:nEx]}
		res.Examples.add(x, clean, nEx)
	}
	runs := len(cfg.Attacks) * len(cfg.Eps)
	for ai, name := range cfg.Attacks {
		var last tensor.Tensor
		var lastPred []int
		for ei, eps := range cfg.Eps {
			run := ai*len(cfg.Eps) + ei
			ar, adv, pred, err := runAttack(ctx, est, x, labels, clean, name, eps, cfg, func(ap attack.Progress) {
				cfg.Progress(Step{Estimator: d.Name, Run: run, Runs: runs, Attack: ap})
			})
			var he *host.Error
			if errors.As(err, &he) && he.Code == codes.Unimplemented {
				res.Skipped = append(res.Skipped, fmt.Sprintf("%s: %v", name, he))
				last = tensor.Tensor{}
				break
			}
			if err != nil {
				return res, err
			}
			res.Results = append(res.Results, ar)
			last, lastPred = adv, pred
			if cfg.Progress != nil {
				cfg.Progress(Step{Estimator: d.Name, Run: run + 1, Runs: runs})
			}
		}
		if res.Examples != nil && last.Shape != nil {
			res.Examples.Rows = append(res.Examples.Rows, fmt.Sprintf("%s eps=%g", name, cfg.Eps[len(cfg.Eps)-1]))
			res.Examples.add(last, lastPred, nEx)
		}
	}
	return res, nil
}

// runAttack runs one attack at one eps and measures the result; it
// returns the adversarial examples and their predicted classes too.
func runAttack(ctx context.Context, est host.Estimator, x tensor.Tensor, labels tensor.Labels, clean []int, name string, eps float64, cfg Config, progress func(attack.Progress)) (AttackResult, tensor.Tensor, []int, error) {
	p := cfg.Params
	p.Eps = eps
	if cfg.EpsStepRatio > 0 {
		p.EpsStep = cfg.EpsStepRatio * eps
	}
	if cfg.Progress != nil {
		p.Progress = progress
	}
	a, err := attack.New(name, p)
	if err != nil {
		return AttackResult{}, tensor.Tensor{}, nil, err
	}
	start := time.Now()
	out, err := a.Generate(ctx, est, x, labels.IndexTensor())
	if err != nil {
		return AttackResult{}, tensor.Tensor{}, nil, fmt.Errorf("report %s: %w", est.Describe().Name, err)
	}
	secs := time.Since(start).Seconds()
	pred, err := classes(ctx, est, out.Adv)
	if err != nil {
		return AttackResult{}, tensor.Tensor{}, nil, err
	}
	ar := measure(x, out.Adv, clean, pred, labels.Index)
	used := paramsOf(a)
	ar.Attack, ar.Norm, ar.Eps, ar.Queries, ar.Seconds = name, used.Norm.String(), eps, out.Queries, secs
	if name != "fgsm" || used.Minimal {
		ar.EpsStep = used.EpsStep
	}
	if name != "fgsm" {
		ar.MaxIter = used.MaxIter
	}
	return ar, out.Adv, pred, nil
}

func paramsOf(a attack.Attack) attack.Params {
	switch v := a.(type) {
	case *attack.FGSM:
		return v.Params()
	case *attack.PGD:
		return v.Params()
	case *attack.Square:
		return v.Params()
	}
	return attack.Params{}
}

func (e *Examples) add(x tensor.Tensor, pred []int, n int) {
	row := make([]tensor.Tensor, n)
	for i := range row {
		row[i] = x.Slice(i, i+1)
	}
	e.Images = append(e.Images, row)
	e.Pred = append(e.Pred, append([]int(nil), pred[:n]...))
}

func classes(ctx context.Context, est host.Estimator, x tensor.Tensor) ([]int, error) {
	p, err := est.Predict(ctx, x, false)
	if err != nil {
		return nil, err
	}
	if len(p.Shape) != 2 || p.Shape[0] != x.Rows() {
		return nil, fmt.Errorf("report: predict returned shape %v for %d samples", p.Shape, x.Rows())
	}
	k := p.Shape[1]
	v := p.Float64s()
	out := make([]int, x.Rows())
	for i := range out {
		best := 0
		for j := 1; j < k; j++ {
			if v[i*k+j] > v[i*k+best] {
				best = j
			}
		}
		out[i] = best
	}
	return out, nil
}

func accuracy(pred, truth []int) float64 {
	ok := 0
	for i, c := range pred {
		if c == truth[i] {
			ok++
		}
	}
	return float64(ok) / float64(len(pred))
}

// measure fills accuracy, success rate and perturbation norms.
func measure(x, adv tensor.Tensor, clean, pred, truth []int) AttackResult {
	n := x.Rows()
	f := x.Len() / n
	xv, av := x.Float64s(), adv.Float64s()
	r := AttackResult{Accuracy: accuracy(pred, truth)}
	correct, flipped := 0, 0
	for i := range n {
		l2, linf := 0.0, 0.0
		for j := i * f; j < (i+1)*f; j++ {
			d := math.Abs(av[j] - xv[j])
			l2 += d * d
			linf = math.Max(linf, d)
		}
		r.MeanL2 += math.Sqrt(l2) / float64(n)
		r.MeanLinf += linf / float64(n)
		r.MaxLinf = math.Max(r.MaxLinf, linf)
		if clean[i] == truth[i] {
			correct++
			if pred[i] != truth[i] {
				flipped++
			}
		}
	}
	if correct > 0 {
		r.SuccessRate = float64(flipped) / float64(correct)
	}
	return r
}
