package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/arthost/arthost/host"
)

func newFitCmd(g *globals) *cobra.Command {
	var est estimatorFlags
	var input, labels, save string
	var epochs, batch int
	var fitOpts []string
	cmd := &cobra.Command{
		Use:     "fit ESTIMATOR --input X.npy --labels Y.npy --save MODEL_PATH [--epochs N] [--batch-size N]",
		Short:   "Train the model in its plugin and save it",
		Example: "  arthost fit --plugin linear --model init.json --input x.npy --labels y.npy --epochs 20 --save trained.json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if save == "" {
				return fmt.Errorf("--save is required")
			}
			if epochs < 0 || batch < 0 {
				return fmt.Errorf("--epochs %d and --batch-size %d must not be negative", epochs, batch)
			}
			opts, err := parseKV("--fit-opt", fitOpts)
			if err != nil {
				return err
			}
			return withEstimator(cmd, g, &est, func(e host.Estimator) error {
				x, y, err := readInputLabels(input, labels)
				if err != nil {
					return err
				}
				err = e.Fit(cmd.Context(), x, y, host.FitOptions{Epochs: epochs, BatchSize: batch, Options: opts,
					Progress: func(p host.FitProgress) {
						fmt.Fprintf(cmd.ErrOrStderr(), "epoch %d/%d loss %.6g accuracy %.4f %s\n", p.Epoch, p.Epochs, p.Loss, p.Accuracy, p.Message)
					}})
				if err != nil {
					return err
				}
				return e.Save(cmd.Context(), save)
			})
		},
	}
	est.register(cmd)
	cmd.Flags().StringVar(&input, "input", "", "training samples .npy")
	cmd.Flags().StringVar(&labels, "labels", "", "labels .npy: class indices (n,) or one-hot (n, nb_classes)")
	cmd.Flags().StringVar(&save, "save", "", "where the plugin writes the trained model")
	cmd.Flags().IntVar(&epochs, "epochs", 0, "training epochs (default: the plugin's)")
	cmd.Flags().IntVar(&batch, "batch-size", 0, "training batch size (default: the plugin's)")
	cmd.Flags().StringArrayVar(&fitOpts, "fit-opt", nil, "training option key=value for the plugin (repeatable), e.g. lr=0.01")
	return cmd
}
