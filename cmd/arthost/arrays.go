package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/arthost/arthost/host"

	"github.com/arthost/arthost/internal/npyfile"
	"github.com/arthost/arthost/shared/tensor"
)

// readInput reads a batch of samples, which must be float32 or float64.
func readInput(path string) (tensor.Tensor, error) {
	if path == "" {
		return tensor.Tensor{}, fmt.Errorf("--input is required")
	}
	x, err := npyfile.Read(path)
	if err != nil {
		return x, fmt.Errorf("input: %w", err)
	}
	if !x.IsFloat() {
		return x, fmt.Errorf("input %s: dtype %v, want float32 or float64", path, x.DType)
	}
	if len(x.Shape) < 2 {
		return x, fmt.Errorf("input %s: shape %v, want a batch (n, features...)", path, x.Shape)
	}
	return x, nil
}

// readLabels reads class indices (n,) or one-hot rows (n, nb_classes).
func readLabels(path string) (tensor.Tensor, error) {
	if path == "" {
		return tensor.Tensor{}, fmt.Errorf("--labels is required")
	}
	y, err := npyfile.Read(path)
	if err != nil {
		return y, fmt.Errorf("labels: %w", err)
	}
	return y, nil
}

func writeOutput(path string, t tensor.Tensor) error {
	if path == "" {
		return fmt.Errorf("--output is required")
	}
	if err := npyfile.Write(path, t); err != nil {
		return fmt.Errorf("output: %w", err)
	}
	return nil
}

// mapArray is the shape of the array commands: open the estimator, read
// --input, compute, write --output.
func mapArray(cmd *cobra.Command, g *globals, est *estimatorFlags, input, output string, f func(e host.Estimator, x tensor.Tensor) (tensor.Tensor, error)) error {
	return withEstimator(cmd, g, est, func(e host.Estimator) error {
		x, err := readInput(input)
		if err != nil {
			return err
		}
		y, err := f(e, x)
		if err != nil {
			return err
		}
		return writeOutput(output, y)
	})
}
