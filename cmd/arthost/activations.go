package main

import (
	"github.com/spf13/cobra"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/shared/tensor"
)

func newActivationsCmd(g *globals) *cobra.Command {
	var est estimatorFlags
	var input, layer, output string
	cmd := &cobra.Command{
		Use:     "activations ESTIMATOR --input X.npy --layer NAME_OR_INDEX --output A.npy",
		Short:   "Write the output of one layer (names from `arthost info`)",
		Example: "  arthost activations --plugin onnx --model cnn.onnx --input x.npy --layer 2 --output a.npy",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return mapArray(cmd, g, &est, input, output, func(e host.Estimator, x tensor.Tensor) (tensor.Tensor, error) {
				return e.Activations(cmd.Context(), x, layer)
			})
		},
	}
	est.register(cmd)
	est.registerBatch(cmd)
	cmd.Flags().StringVar(&input, "input", "", "samples .npy")
	cmd.Flags().StringVar(&layer, "layer", "", "layer name or index (negative counts from the end)")
	cmd.Flags().StringVar(&output, "output", "", "where to write the activations .npy")
	_ = cmd.MarkFlagRequired("layer")
	return cmd
}

func newUncertaintyCmd(g *globals) *cobra.Command {
	var est estimatorFlags
	var input, output string
	cmd := &cobra.Command{
		Use:     "uncertainty ESTIMATOR --input X.npy --output V.npy",
		Short:   "Write the model's predictive uncertainty (for a Gaussian process: latent variance)",
		Example: "  arthost uncertainty --plugin gp --model gp.json --input x.npy --output v.npy",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return mapArray(cmd, g, &est, input, output, func(e host.Estimator, x tensor.Tensor) (tensor.Tensor, error) {
				return e.PredictUncertainty(cmd.Context(), x)
			})
		},
	}
	est.register(cmd)
	est.registerBatch(cmd)
	cmd.Flags().StringVar(&input, "input", "", "samples .npy")
	cmd.Flags().StringVar(&output, "output", "", "where to write the uncertainty .npy")
	return cmd
}
