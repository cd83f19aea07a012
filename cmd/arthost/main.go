// Command arthost runs machine-learning classifier estimators that live in
// plugin processes: predict, loss, gradients, activations and training
// through one CLI, with NumPy .npy files in and out.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
