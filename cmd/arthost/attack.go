package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/host/attack"
	"github.com/arthost/arthost/shared/tensor"
)

// attackFlags are the attack settings the attack and eval commands share.
type attackFlags struct {
	eps, epsStep float64
	maxIter      int
	norm         string
	targeted     bool
	randomInit   bool
	restarts     int
	minimal      bool
	seed         uint64
}

// register adds the flags; single adds --eps and --eps-step for one run.
func (f *attackFlags) register(cmd *cobra.Command, single bool) {
	fl := cmd.Flags()
	if single {
		fl.Float64Var(&f.eps, "eps", 0, "largest perturbation (in the --norm norm)")
		fl.Float64Var(&f.epsStep, "eps-step", 0, "step size of PGD and of FGSM's --minimal search (default eps/4 for PGD, eps/10 for --minimal)")
	}
	fl.IntVar(&f.maxIter, "max-iter", 0, "iterations of PGD and Square Attack (default 100)")
	fl.StringVar(&f.norm, "norm", "inf", "perturbation norm: inf, 1 or 2 (PGD: inf or 2; Square: inf)")
	fl.BoolVar(&f.randomInit, "random-init", false, "start from a random point of the eps ball")
	fl.IntVar(&f.restarts, "restarts", 0, "number of random starts, keeping the best (implies --random-init; Square: restarts)")
	fl.Uint64Var(&f.seed, "seed", 0, "seed of random starts and of Square Attack")
}

func (f *attackFlags) params() (attack.Params, error) {
	norm, err := attack.ParseNorm(f.norm)
	if err != nil {
		return attack.Params{}, fmt.Errorf("--norm: %w", err)
	}
	if f.restarts < 0 {
		return attack.Params{}, fmt.Errorf("--restarts %d: want 0 or more", f.restarts)
	}
	p := attack.Params{Norm: norm, Eps: f.eps, EpsStep: f.epsStep, MaxIter: f.maxIter, Targeted: f.targeted, Minimal: f.minimal, Seed: f.seed, NumRandomInit: f.restarts}
	if f.randomInit && p.NumRandomInit == 0 {
		p.NumRandomInit = 1
	}
	return p, nil
}

// load checks the flags of one attack run and reads its arrays; y has a
// nil shape when no labels are given.
func (f *attackFlags) load(name, input, labels, output string) (attack.Params, tensor.Tensor, tensor.Tensor, error) {
	var x, y tensor.Tensor
	p, err := f.params()
	if err != nil {
		return p, x, y, err
	}
	switch {
	case f.minimal && name != "fgsm":
		return p, x, y, fmt.Errorf("--minimal goes with fgsm, not %s", name)
	case f.eps <= 0:
		return p, x, y, fmt.Errorf("--eps %v: want a value > 0", f.eps)
	case output == "":
		return p, x, y, fmt.Errorf("--output is required")
	case f.targeted && labels == "":
		return p, x, y, fmt.Errorf("--targeted needs --labels with the target classes")
	}
	if x, err = readInput(input); err != nil {
		return p, x, y, err
	}
	if labels != "" {
		y, err = readLabels(labels)
	}
	return p, x, y, err
}

// progressBar returns a progress callback that draws a bar on w when w is
// a terminal, and nil (quiet) otherwise; done clears the bar.
func progressBar(w io.Writer, desc string) (func(done, total int), func()) {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil, func() {}
	}
	var bar *progressbar.ProgressBar
	update := func(done, total int) {
		if bar == nil || bar.GetMax() != total {
			bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(desc),
				progressbar.OptionShowCount(), progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100*time.Millisecond))
		}
		bar.Set(done)
	}
	return update, func() {
		if bar != nil {
			bar.Finish()
		}
	}
}

func newAttackCmd(g *globals) *cobra.Command {
	var est estimatorFlags
	var af attackFlags
	var input, labels, output string
	cmd := &cobra.Command{
		Use:   "attack fgsm|pgd|square ESTIMATOR --input X.npy [--labels Y.npy] --eps E [--eps-step S] [--max-iter N] [--norm inf|1|2] [--targeted] [--random-init] [--seed N] --output ADV.npy",
		Short: "Craft adversarial examples with FGSM, PGD or Square Attack (gradient-free)",
		Long: `attack writes adversarial versions of the samples in X.npy, bounded by eps in
the chosen norm and by the estimator's clip values, with IBM ART's formulas.

fgsm and pgd need the estimator's loss gradient; square needs only its
predictions, so it also attacks trees and black boxes. Without --labels the
model's own predictions are the labels; --targeted needs --labels (the
classes to reach). A progress bar is drawn on a terminal.`,
		Example: "  arthost attack pgd --plugin onnx --model cnn.onnx --input x.npy --labels y.npy --eps 0.1 --eps-step 0.01 --max-iter 40 --output adv.npy\n" +
			"  arthost attack fgsm --config models.yaml --estimator svc --input x.npy --eps 0.2 --norm 2 --output adv.npy",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("want one attack name (%s), got %d arguments", strings.Join(attack.Names, ", "), len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			p, x, y, err := af.load(args[0], input, labels, output)
			if err != nil {
				return err
			}
			update, done := progressBar(g.stderr, args[0])
			if update != nil {
				p.Progress = func(pr attack.Progress) { update(pr.Step, pr.Steps) }
			}
			a, err := attack.New(args[0], p)
			if err != nil {
				return err
			}
			return withEstimator(cmd, g, &est, func(e host.Estimator) error {
				start := time.Now()
				res, err := a.Generate(cmd.Context(), e, x, y)
				done()
				if err != nil {
					return err
				}
				if err := writeOutput(output, res.Adv); err != nil {
					return err
				}
				return summarise(cmd, e, x, res, time.Since(start))
			})
		},
	}
	est.register(cmd)
	est.registerBatch(cmd)
	af.register(cmd, true)
	cmd.Flags().BoolVar(&af.targeted, "targeted", false, "move samples to the classes in --labels instead of away from them")
	cmd.Flags().BoolVar(&af.minimal, "minimal", false, "fgsm: search the smallest eps in --eps-step increments")
	cmd.Flags().StringVar(&input, "input", "", "samples .npy")
	cmd.Flags().StringVar(&labels, "labels", "", "labels .npy: class indices (n,) or one-hot (n, nb_classes); default: the model's predictions")
	cmd.Flags().StringVar(&output, "output", "", "where to write the adversarial samples .npy")
	return cmd
}

// summarise prints one line: how many predictions the attack changed and
// what it cost.
func summarise(cmd *cobra.Command, e host.Estimator, x tensor.Tensor, res attack.Result, took time.Duration) error {
	ctx := cmd.Context()
	before, err := e.Predict(ctx, x, false)
	if err != nil {
		return err
	}
	after, err := e.Predict(ctx, res.Adv, false)
	if err != nil {
		return err
	}
	k := before.Shape[1]
	changed := 0
	for i := range x.Rows() {
		if argmaxRow(before, i, k) != argmaxRow(after, i, k) {
			changed++
		}
	}
	fmt.Fprintf(cmd.OutOrStdout(), "changed the prediction of %d of %d samples; %d queries in %.2fs\n", changed, x.Rows(), res.Queries, took.Seconds())
	return nil
}

func argmaxRow(p tensor.Tensor, i, k int) int {
	best := 0
	for j := 1; j < k; j++ {
		if p.At(i*k+j) > p.At(i*k+best) {
			best = j
		}
	}
	return best
}
