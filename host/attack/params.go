package attack

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/shared/tensor"
)

// Norm is the norm that bounds a perturbation.
type Norm int

// Norms ART's attacks support.
const (
	NormInf Norm = iota
	Norm1
	Norm2
)

// ParseNorm reads "inf", "1" or "2".
func ParseNorm(s string) (Norm, error) {
	switch strings.ToLower(s) {
	case "inf", "linf":
		return NormInf, nil
	case "1", "l1":
		return Norm1, nil
	case "2", "l2":
		return Norm2, nil
	}
	return 0, fmt.Errorf("norm %q: want inf, 1 or 2", s)
}

func (n Norm) String() string {
	switch n {
	case NormInf:
		return "inf"
	case Norm1:
		return "1"
	case Norm2:
		return "2"
	}
	return fmt.Sprintf("Norm(%d)", int(n))
}

// Params configure an attack. Zero values are the documented defaults.
type Params struct {
	Norm Norm
	// Eps bounds the perturbation; EpsStep is PGD's step and FGSM's step
	// in the minimal search (default Eps/4 for PGD, Eps/10 for minimal FGSM).
	Eps, EpsStep float64
	// MaxIter is PGD's and Square Attack's iteration count (default 100 for
	// PGD as in ART, 100 for Square Attack).
	MaxIter int
	// Targeted makes y the classes to reach instead of the true classes.
	Targeted bool
	// NumRandomInit is ART's num_random_init: 0 starts at x; n > 0 starts
	// n times at a random point of the eps ball and keeps the best.
	// For Square Attack it is the number of restarts (default 1).
	NumRandomInit int
	// Minimal makes FGSM search the smallest eps in EpsStep increments.
	Minimal bool
	// PInit is Square Attack's initial fraction of pixels (default 0.8).
	PInit float64
	// Seed makes random starts and Square Attack reproducible.
	Seed uint64
	// BatchSize splits x into batches attacked one after the other
	// (0: one batch).
	BatchSize int
	// Progress, when set, is called after every step.
	Progress func(Progress)
}

// Progress reports how far an attack is.
type Progress struct {
	Attack      string
	Step, Steps int
}

// Result is what an attack produced.
type Result struct {
	// Adv holds the adversarial examples, with x's shape and dtype.
	Adv tensor.Tensor
	// Queries counts the rows sent to the estimator (predictions and
	// gradients), the cost measure of black-box attacks.
	Queries int64
}

// Attack crafts adversarial examples for x with labels y. A y with a nil
// shape means "use the model's predictions" (ART's default, which avoids
// label leaking); targeted attacks need y.
type Attack interface {
	Name() string
	Generate(ctx context.Context, est host.Estimator, x, y tensor.Tensor) (Result, error)
}

// Names lists the attacks New knows.
var Names = []string{"fgsm", "pgd", "square"}

// New returns the named attack (fgsm, pgd or square) with p, after
// checking p the way ART's _check_params does.
func New(name string, p Params) (Attack, error) {
	if math.IsNaN(p.Eps) || math.IsInf(p.Eps, 0) || p.Eps < 0 {
		return nil, fmt.Errorf("attack %s: eps %v, want a finite value >= 0", name, p.Eps)
	}
	if math.IsNaN(p.EpsStep) || math.IsInf(p.EpsStep, 0) || p.EpsStep < 0 {
		return nil, fmt.Errorf("attack %s: eps_step %v, want a finite value > 0", name, p.EpsStep)
	}
	if p.MaxIter < 0 || p.NumRandomInit < 0 || p.BatchSize < 0 {
		return nil, fmt.Errorf("attack %s: max_iter %d, num_random_init %d, batch_size %d: none may be negative", name, p.MaxIter, p.NumRandomInit, p.BatchSize)
	}
	if p.Norm < NormInf || p.Norm > Norm2 {
		return nil, fmt.Errorf("attack %s: unknown norm %v", name, p.Norm)
	}
	switch name {
	case "fgsm":
		if p.Eps <= 0 {
			return nil, fmt.Errorf("attack fgsm: eps %v, want > 0", p.Eps)
		}
		if p.EpsStep == 0 {
			p.EpsStep = p.Eps / 10
		}
		return &FGSM{p: p}, nil
	case "pgd":
		if p.Norm == Norm1 {
			return nil, fmt.Errorf("attack pgd: norm 1 is not supported, use inf or 2")
		}
		if p.EpsStep == 0 {
			p.EpsStep = p.Eps / 4
		}
		if p.EpsStep <= 0 {
			return nil, fmt.Errorf("attack pgd: eps_step %v, want > 0", p.EpsStep)
		}
		if p.MaxIter == 0 {
			p.MaxIter = 100
		}
		return &PGD{p: p}, nil
	case "square":
		if p.Norm != NormInf {
			return nil, fmt.Errorf("attack square: norm %v is not supported, use inf", p.Norm)
		}
		if p.Targeted {
			return nil, fmt.Errorf("attack square: targeted mode is not supported")
		}
		if p.MaxIter == 0 {
			p.MaxIter = 100
		}
		if p.NumRandomInit == 0 {
			p.NumRandomInit = 1
		}
		if p.PInit == 0 {
			p.PInit = 0.8
		}
		if !(p.PInit > 0 && p.PInit <= 1) {
			return nil, fmt.Errorf("attack square: p_init %v, want (0, 1]", p.PInit)
		}
		return &Square{p: p}, nil
	}
	return nil, fmt.Errorf("unknown attack %q (have %s)", name, strings.Join(Names, ", "))
}

// Params returns the parameters with defaults filled in.
func (a *FGSM) Params() Params { return a.p }

// Params returns the parameters with defaults filled in.
func (a *PGD) Params() Params { return a.p }

// Params returns the parameters with defaults filled in.
func (a *Square) Params() Params { return a.p }
