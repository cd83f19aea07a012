package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/shared/tensor"
)

func readInputLabels(input, labels string) (tensor.Tensor, tensor.Tensor, error) {
	x, err := readInput(input)
	if err != nil {
		return x, tensor.Tensor{}, err
	}
	y, err := readLabels(labels)
	return x, y, err
}

func newLossGradientCmd(g *globals) *cobra.Command {
	var est estimatorFlags
	var input, labels, output string
	cmd := &cobra.Command{
		Use:     "loss-gradient ESTIMATOR --input X.npy --labels Y.npy --output G.npy",
		Short:   "Write the gradient of each sample's loss with respect to its input (shape of X)",
		Example: "  arthost loss-gradient --plugin linear --model model.json --input x.npy --labels y.npy --output g.npy",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withEstimator(cmd, g, &est, func(e host.Estimator) error {
				x, y, err := readInputLabels(input, labels)
				if err != nil {
					return err
				}
				grad, err := e.LossGradient(cmd.Context(), x, y)
				if err != nil {
					return err
				}
				return writeOutput(output, grad)
			})
		},
	}
	est.register(cmd)
	est.registerBatch(cmd)
	cmd.Flags().StringVar(&input, "input", "", "samples .npy")
	cmd.Flags().StringVar(&labels, "labels", "", "labels .npy: class indices (n,) or one-hot (n, nb_classes)")
	cmd.Flags().StringVar(&output, "output", "", "where to write the gradient .npy")
	return cmd
}

func newClassGradientCmd(g *globals) *cobra.Command {
	var est estimatorFlags
	var input, labels, output string
	var label int
	cmd := &cobra.Command{
		Use:   "class-gradient ESTIMATOR --input X.npy [--label K | --labels L.npy] --output G.npy",
		Short: "Write gradients of class outputs: (n, nb_classes, ...) or (n, 1, ...) with a label",
		Example: "  arthost class-gradient --plugin linear --model model.json --input x.npy --output g.npy\n" +
			"  arthost class-gradient --plugin linear --model model.json --input x.npy --label 3 --output g3.npy",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			labelSet := cmd.Flags().Changed("label")
			if labelSet && labels != "" {
				return fmt.Errorf("give --label or --labels, not both")
			}
			return withEstimator(cmd, g, &est, func(e host.Estimator) error {
				x, err := readInput(input)
				if err != nil {
					return err
				}
				var classes []int
				switch {
				case labelSet:
					classes = []int{label}
				case labels != "":
					y, err := readLabels(labels)
					if err != nil {
						return err
					}
					l, err := tensor.NormalizeLabels(y, x.Rows(), e.Describe().NbClasses)
					if err != nil {
						return fmt.Errorf("%s class_gradient: %w", e.Describe().Name, err)
					}
					classes = l.Index
				}
				grad, err := e.ClassGradient(cmd.Context(), x, classes)
				if err != nil {
					return err
				}
				return writeOutput(output, grad)
			})
		},
	}
	est.register(cmd)
	est.registerBatch(cmd)
	cmd.Flags().StringVar(&input, "input", "", "samples .npy")
	cmd.Flags().IntVar(&label, "label", 0, "one class for every row")
	cmd.Flags().StringVar(&labels, "labels", "", "one class per row: indices (n,) or one-hot (n, nb_classes)")
	cmd.Flags().StringVar(&output, "output", "", "where to write the gradient .npy")
	return cmd
}
