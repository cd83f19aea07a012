package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/arthost/arthost/examples/digits"
)

// demoArgs is the evaluation the demo runs: the bundled ensemble and each
// of its members, under FGSM and PGD, at four budgets. The same arguments
// are used by `make demo`.
func demoArgs(dir, report string) []string {
	return []string{"eval", "--config", filepath.Join(dir, digits.Config), "--estimator", "mix,cnn,svc,gp",
		"--data", filepath.Join(dir, digits.Data), "--attack", "fgsm,pgd", "--eps", "0.02,0.05,0.1,0.2",
		"--max-iter", "10", "--limit", "200", "--report", report}
}

func newDemoCmd(g *globals) *cobra.Command {
	var reportDir string
	cmd := &cobra.Command{
		Use:   "demo [--report DIR]",
		Short: "Attack a mixed-framework ensemble on digits and write a robustness report",
		Long: `demo unpacks the bundled example (scikit-learn's digits; a PyTorch CNN exported to
ONNX, a scikit-learn SVC and a Gaussian process, combined in a weighted ensemble
behind feature squeezing) and runs arthost eval on it with FGSM and PGD. It needs
the onnx, sklearn and gp plugins on the plugin path (make build puts them beside
arthost).`,
		Example: "  arthost demo --report demo-report",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := os.MkdirTemp("", "arthost-demo-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			if err := digits.WriteTo(dir); err != nil {
				return fmt.Errorf("demo: unpack the bundle: %w", err)
			}
			eval := newEvalCmd(g)
			eval.SetArgs(demoArgs(dir, reportDir)[1:])
			eval.SetOut(cmd.OutOrStdout())
			eval.SetErr(cmd.ErrOrStderr())
			return eval.ExecuteContext(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&reportDir, "report", "arthost-demo-report", "folder for report.json and report.html")
	return cmd
}
