package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/arthost/arthost/host/discovery"
	"github.com/arthost/arthost/sdk/sdktest"
)

// newPluginsTestCmd is `arthost plugins test`: the conformance checks of
// sdk/sdktest run against any plugin executable, printed as a checklist.
func newPluginsTestCmd(g *globals) *cobra.Command {
	var (
		model    string
		opts     []string
		noMTLS   bool
		fit      bool
		fitFirst bool
		gradTol  float64
		timeout  time.Duration
		symbolic int
		seed     uint64
		skipKill bool
	)
	cmd := &cobra.Command{
		Use:   "test NAME_OR_PATH [--model PATH] [--opt key=value]...",
		Short: "Run the conformance checks against a plugin and print a checklist",
		Long: `Launch a plugin executable (found like any plugin, or given by path) the way
the host does, and check it keeps the arthost contract: the go-plugin
handshake and protocol version, Describe honest about its capabilities,
output shapes of every method it claims, index and one-hot labels, errors
on bad input, Unimplemented for what it does not claim, Health, and that a
killed plugin fails the next call with Unavailable and leaves no process
(nor, on Linux, a helper process it started).

The plugin may be written in any language. The exit status is 0 only when
every check passes; run it before publishing a plugin.`,
		Example: "  arthost plugins test linear --model examples/plugins/linear/testdata/small.json\n" +
			"  arthost plugins test ./bin/arthost-plugin-pysoftmax --model model.json --gradient-tolerance 1e-4",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			options, err := parseKV("--opt", opts)
			if err != nil {
				return err
			}
			p, err := discovery.Find(args[0], g.dirs())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "conformance of plugin %q (%s)\n", p.Name, p.Path)
			cfg := sdktest.Config{
				ModelPath: model, Options: options, Fit: fit, FitBeforeChecks: fitFirst,
				GradientTolerance: gradTol, Timeout: timeout, SymbolicSize: symbolic, Seed: seed,
			}
			launch := sdktest.LaunchOptions{DisableMTLS: noMTLS}
			if f := cmd.Flag("log-level"); f != nil && f.Changed {
				// Killing the plugin makes go-plugin log an error; show
				// its log only when asked.
				launch.Logger = g.logger()
			}
			results := conformance(cmd, p.Path, cfg, launch, skipKill)
			failed, skipped := 0, 0
			for _, r := range results {
				fmt.Fprintln(out, r)
				switch {
				case r.Skipped:
					skipped++
				case !r.Passed:
					failed++
				}
			}
			fmt.Fprintf(out, "%d checks: %d passed, %d failed, %d skipped\n", len(results), len(results)-failed-skipped, failed, skipped)
			if failed > 0 {
				return fmt.Errorf("plugin %q failed %d of %d conformance checks", p.Name, failed, len(results))
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&model, "model", "", "model file the plugin loads")
	fl.StringArrayVar(&opts, "opt", nil, "plugin option key=value (repeatable)")
	fl.BoolVar(&noMTLS, "no-mtls", false, "launch without AutoMTLS")
	fl.BoolVar(&fit, "fit", false, "also run a one-epoch Fit on random data")
	fl.BoolVar(&fitFirst, "fit-first", false, "fit on random data before the checks (for estimators that start unfitted)")
	fl.Float64Var(&gradTol, "gradient-tolerance", 0, "compare class gradients with finite differences of predict at this relative tolerance (0: off)")
	fl.DurationVar(&timeout, "timeout", 60*time.Second, "deadline for each plugin call")
	fl.IntVar(&symbolic, "symbolic-size", 4, "size used for symbolic (-1) input dimensions")
	fl.Uint64Var(&seed, "seed", 1, "seed of the random inputs")
	fl.BoolVar(&skipKill, "skip-kill", false, "do not kill the plugin at the end (skips the crash check)")
	return cmd
}

// conformance launches the plugin, runs every check and, last, kills it.
func conformance(cmd *cobra.Command, path string, cfg sdktest.Config, launch sdktest.LaunchOptions, skipKill bool) []sdktest.Result {
	p, results := sdktest.LaunchChecked(path, launch)
	if p == nil {
		return results
	}
	defer p.Kill()
	results = append(results, sdktest.Check(cmd.Context(), p.Client, cfg)...)
	if skipKill {
		return append(results, sdktest.Result{Name: "killed: next call Unavailable, no process left", Skipped: true, Detail: "--skip-kill"})
	}
	return append(results, sdktest.CheckKilled(cmd.Context(), p, 10*time.Second))
}
