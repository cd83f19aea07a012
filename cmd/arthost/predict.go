package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/shared/tensor"
)

// rawPredictor is an ensemble, possibly behind a pipeline.
type rawPredictor interface {
	PredictRaw(ctx context.Context, x tensor.Tensor, logits bool) (tensor.Tensor, error)
}

func newPredictCmd(g *globals) *cobra.Command {
	var est estimatorFlags
	var input, output string
	var logits, raw bool
	cmd := &cobra.Command{
		Use:     "predict ESTIMATOR --input X.npy --output Y.npy [--logits] [--raw] [--batch-size N]",
		Short:   "Write the model's predictions (n, nb_classes)",
		Example: "  arthost predict --plugin linear --model model.json --input x.npy --output y.npy",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return mapArray(cmd, g, &est, input, output, func(e host.Estimator, x tensor.Tensor) (tensor.Tensor, error) {
				if !raw {
					return e.Predict(cmd.Context(), x, logits)
				}
				r, ok := e.(rawPredictor)
				if !ok {
					return tensor.Tensor{}, fmt.Errorf("%s predict: --raw needs an ensemble", e.Describe().Name)
				}
				return r.PredictRaw(cmd.Context(), x, logits)
			})
		},
	}
	est.register(cmd)
	est.registerBatch(cmd)
	cmd.Flags().StringVar(&input, "input", "", "samples .npy (n, *input_shape)")
	cmd.Flags().StringVar(&output, "output", "", "where to write predictions .npy")
	cmd.Flags().BoolVar(&logits, "logits", false, "return logits (decision function) instead of probabilities")
	cmd.Flags().BoolVar(&raw, "raw", false, "for an ensemble: the weighted output of each member, shape (members, n, nb_classes)")
	return cmd
}

// withEstimator opens the selected estimator, runs f, and closes it.
func withEstimator(cmd *cobra.Command, g *globals, est *estimatorFlags, f func(host.Estimator) error) error {
	e, err := est.open(cmd.Context(), g)
	if err != nil {
		return err
	}
	defer e.Close()
	return f(e)
}
