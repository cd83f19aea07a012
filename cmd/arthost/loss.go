package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/arthost/arthost/host"
)

func newLossCmd(g *globals) *cobra.Command {
	var est estimatorFlags
	var input, labels, output, reduction string
	cmd := &cobra.Command{
		Use:     "loss ESTIMATOR --input X.npy --labels Y.npy --output L.npy [--reduction none|mean|sum]",
		Short:   "Write the per-sample loss, or its mean or sum",
		Example: "  arthost loss --plugin linear --model model.json --input x.npy --labels y.npy --output l.npy --reduction mean",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, ok := host.ParseReduction(reduction)
			if !ok {
				return fmt.Errorf("--reduction %q: want none, mean or sum", reduction)
			}
			return withEstimator(cmd, g, &est, func(e host.Estimator) error {
				x, y, err := readInputLabels(input, labels)
				if err != nil {
					return err
				}
				l, err := e.Loss(cmd.Context(), x, y, r)
				if err != nil {
					return err
				}
				return writeOutput(output, l)
			})
		},
	}
	est.register(cmd)
	est.registerBatch(cmd)
	cmd.Flags().StringVar(&input, "input", "", "samples .npy")
	cmd.Flags().StringVar(&labels, "labels", "", "labels .npy: class indices (n,) or one-hot (n, nb_classes)")
	cmd.Flags().StringVar(&output, "output", "", "where to write the loss .npy")
	cmd.Flags().StringVar(&reduction, "reduction", "none", "none, mean or sum")
	return cmd
}
