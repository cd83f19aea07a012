package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/host/discovery"
)

// globals are the flags every command shares; they turn into host options
// here and nowhere else.
type globals struct {
	pluginDirs []string
	logLevel   string
	stdout     io.Writer
	stderr     io.Writer
}

func (g *globals) logger() hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Name: "arthost", Output: g.stderr, Level: hclog.LevelFromString(g.logLevel)})
}

func (g *globals) dirs() []string { return discovery.DefaultDirs(g.pluginDirs) }

// run executes the CLI and returns the exit status. Errors are printed as
// one "arthost: error:" line, with hints on following lines.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	g := &globals{stdout: stdout, stderr: stderr}
	root := newRoot(g)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	plugin.CleanupClients()
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "arthost: error: %s\n", oneLine(err.Error()))
	for _, h := range hints(err) {
		fmt.Fprintf(stderr, "arthost: hint: %s\n", h)
	}
	return 1
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func hints(err error) []string {
	var nf *discovery.NotFoundError
	if errors.As(err, &nf) {
		return []string{"run `arthost plugins` to list the plugins found, or add a folder with --plugin-dir"}
	}
	switch host.Code(err) {
	case codes.Unimplemented:
		return []string{"run `arthost info` on the estimator to see which methods it supports"}
	case codes.DeadlineExceeded:
		return []string{"raise the per-call deadline with --timeout"}
	}
	return nil
}

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "arthost",
		Short: "Run ART-style classifier estimators hosted in plugin processes",
		Long: `arthost runs classifier estimators (ONNX networks, scikit-learn models, Gaussian
processes, black boxes) in isolated plugin processes and exposes IBM ART's
estimator API: predict, loss, gradients, activations, fit.

Arrays are NumPy .npy files. An estimator is given either by a plugin
(--plugin NAME --model PATH --opt key=value ...) or by a config file
(--config FILE.yaml [--estimator NAME]).`,
		Example:       "  arthost predict --plugin linear --model model.json --input x.npy --output y.npy",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringArrayVar(&g.pluginDirs, "plugin-dir", nil, "extra folder to search for arthost-plugin-* executables (repeatable, searched first)")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "warn", "log level: trace, debug, info, warn, error")
	root.AddCommand(
		newPluginsCmd(g), newInfoCmd(g), newPredictCmd(g), newLossCmd(g),
		newLossGradientCmd(g), newClassGradientCmd(g), newActivationsCmd(g),
		newFitCmd(g), newUncertaintyCmd(g),
		newAttackCmd(g), newEvalCmd(g), newDemoCmd(g),
	)
	return root
}
