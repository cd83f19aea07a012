package main

import (
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/host/report"
	"github.com/arthost/arthost/internal/npyfile"
	"github.com/arthost/arthost/shared/tensor"
)

func newEvalCmd(g *globals) *cobra.Command {
	var af attackFlags
	var cfgPath, data, labelsPath, dir, epsList string
	var names, attacks []string
	var ratio float64
	var limit, batchSize, examples int
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "eval --config FILE [--estimator NAME]... --data DATA.npz --attack pgd[,fgsm,square] --eps 0.01,0.02,... --report DIR",
		Short: "Measure accuracy under attack over a range of eps and write a report",
		Long: `eval runs each attack at each eps on the labelled data (an .npz archive
with arrays x and y) against each estimator, and writes DIR/report.json and
DIR/report.html with its plots: accuracy against eps per estimator and, for
image data, original and adversarial examples. Open report.html in a browser;
it needs no server.

--estimator may be repeated (or comma separated); without it the config's
default estimator is evaluated.`,
		Example: "  arthost eval --config models.yaml --estimator cnn --data examples/digits/digits_test.npz --attack fgsm,pgd --eps 0.05,0.1,0.2 --report out/",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfgPath == "" {
				return fmt.Errorf("--config is required")
			}
			if dir == "" {
				return fmt.Errorf("--report is required (the folder to write the report in)")
			}
			eps, err := parseFloats("--eps", epsList)
			if err != nil {
				return err
			}
			if ratio < 0 {
				return fmt.Errorf("--eps-step-ratio %v: want a value >= 0", ratio)
			}
			p, err := af.params()
			if err != nil {
				return err
			}
			x, y, err := readData(data, labelsPath, limit)
			if err != nil {
				return err
			}
			ests, err := openAll(cmd, g, cfgPath, names, timeout, batchSize)
			defer func() {
				for _, e := range ests {
					e.Close()
				}
			}()
			if err != nil {
				return err
			}
			update, done := progressBar(g.stderr, "eval")
			cfg := report.Config{Attacks: attacks, Eps: eps, Params: p, EpsStepRatio: ratio, Examples: examples, Source: filepath.Base(data)}
			if update != nil {
				cfg.Progress = evalProgress(update, len(ests)*len(attacks)*len(eps))
			}
			rep, err := report.Evaluate(cmd.Context(), ests, x, y, cfg)
			done()
			if err != nil {
				return err
			}
			if err := report.Write(dir, rep); err != nil {
				return err
			}
			printReport(cmd, rep)
			fmt.Fprintf(cmd.OutOrStdout(), "report: %s\n", filepath.Join(dir, report.HTMLFile))
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&cfgPath, "config", "", "YAML config file naming estimators")
	fl.StringSliceVar(&names, "estimator", nil, "estimator name in --config (repeatable; default: the file's default)")
	fl.DurationVar(&timeout, "timeout", 0, "deadline for each plugin call (default 2m)")
	fl.IntVar(&batchSize, "batch-size", 0, "rows per plugin call (default: chunks of at most 64 MiB)")
	fl.StringVar(&data, "data", "", "labelled data: .npz with x (n, ...) and y (n,) or (n, classes); or x as .npy with --labels")
	fl.StringVar(&labelsPath, "labels", "", "labels .npy when --data is an .npy file of samples")
	fl.IntVar(&limit, "limit", 0, "use only the first N samples (0: all)")
	fl.StringSliceVar(&attacks, "attack", []string{"pgd"}, "attacks to run: fgsm, pgd, square (comma separated or repeated)")
	fl.StringVar(&epsList, "eps", "", "comma-separated eps values, e.g. 0.05,0.1,0.2")
	fl.Float64Var(&ratio, "eps-step-ratio", 0, "eps_step as a fraction of each eps (default: eps/4 for PGD)")
	fl.StringVar(&dir, "report", "", "folder to write report.json, report.html and the plots in")
	fl.IntVar(&examples, "examples", 0, "samples shown in the image grid (default 8)")
	af.register(cmd, false)
	return cmd
}

// openAll starts the named estimators of the config file (its default
// when names is empty); the caller closes those returned, even on error.
func openAll(cmd *cobra.Command, g *globals, cfgPath string, names []string, timeout time.Duration, batchSize int) ([]host.Estimator, error) {
	if len(names) == 0 {
		names = []string{""}
	}
	var ests []host.Estimator
	for _, name := range names {
		f := estimatorFlags{config: cfgPath, estimator: name, timeout: timeout, batchSize: batchSize}
		e, err := f.open(cmd.Context(), g)
		if err != nil {
			return ests, err
		}
		ests = append(ests, e)
	}
	return ests, nil
}

// evalProgress maps report steps onto one bar of 100 units per run.
func evalProgress(update func(done, total int), runs int) func(report.Step) {
	index := map[string]int{}
	return func(s report.Step) {
		if _, ok := index[s.Estimator]; !ok {
			index[s.Estimator] = len(index)
		}
		frac := 0.0
		if s.Attack.Steps > 0 {
			frac = float64(s.Attack.Step) / float64(s.Attack.Steps)
		}
		update(int(100*(float64(index[s.Estimator]*s.Runs+s.Run)+frac)), 100*runs)
	}
}

func parseFloats(flag, s string) ([]float64, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("%s is required, e.g. %s 0.05,0.1,0.2", flag, flag)
	}
	var out []float64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || !(v > 0) || v > 1e300 {
			return nil, fmt.Errorf("%s %q: %q is not a number > 0", flag, s, f)
		}
		out = append(out, v)
	}
	return out, nil
}

// readData reads x and y from an .npz archive (or x from an .npy file
// and y from labels), keeping the first limit rows.
func readData(path, labels string, limit int) (tensor.Tensor, tensor.Tensor, error) {
	if path == "" {
		return tensor.Tensor{}, tensor.Tensor{}, fmt.Errorf("--data is required")
	}
	if limit < 0 {
		return tensor.Tensor{}, tensor.Tensor{}, fmt.Errorf("--limit %d: want 0 or more", limit)
	}
	var x, y tensor.Tensor
	if strings.HasSuffix(path, ".npz") {
		if labels != "" {
			return x, y, fmt.Errorf("--labels goes with an .npy --data; %s holds its own y", path)
		}
		arrays, err := npyfile.ReadNPZ(path)
		if err != nil {
			return x, y, fmt.Errorf("data: %w", err)
		}
		var okx, oky bool
		x, okx = arrays["x"]
		y, oky = arrays["y"]
		if !okx || !oky {
			keys := make([]string, 0, len(arrays))
			for k := range arrays {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			return x, y, fmt.Errorf("data %s: want arrays x and y, have %v", path, keys)
		}
	} else {
		if labels == "" {
			return x, y, fmt.Errorf("data %s: an .npy file holds only samples; give --labels too, or an .npz with x and y", path)
		}
		var err error
		if x, err = npyfile.Read(path); err != nil {
			return x, y, fmt.Errorf("data: %w", err)
		}
		if y, err = readLabels(labels); err != nil {
			return x, y, err
		}
	}
	if !x.IsFloat() || len(x.Shape) < 2 || x.Rows() == 0 {
		return x, y, fmt.Errorf("data %s: x is %v of shape %v, want a non-empty float batch", path, x.DType, x.Shape)
	}
	if len(y.Shape) == 0 || y.Rows() != x.Rows() {
		return x, y, fmt.Errorf("data %s: y has shape %v for %d samples", path, y.Shape, x.Rows())
	}
	if limit > 0 && limit < x.Rows() {
		x, y = x.Slice(0, limit), y.Slice(0, limit)
	}
	return x, y, nil
}

// printReport writes the accuracy table: one row per estimator and attack,
// one column per eps.
func printReport(cmd *cobra.Command, rep *report.Report) {
	w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	for _, e := range rep.Estimators {
		fmt.Fprintf(w, "%s\tclean\t%.1f%%\n", e.Name, 100*e.CleanAccuracy)
		for _, r := range e.Results {
			fmt.Fprintf(w, "%s\t%s eps=%g\t%.1f%%\n", e.Name, r.Attack, r.Eps, 100*r.Accuracy)
		}
	}
	w.Flush()
}
