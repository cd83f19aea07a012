package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/arthost/arthost/host/remote"
	"github.com/arthost/arthost/sdk"
	"github.com/arthost/arthost/shared/tensor"
)

// mnistSized writes a random 784-feature, 10-class model.
func mnistSized(b *testing.B) string {
	rng := rand.New(rand.NewPCG(1, 2))
	f := modelFile{Format: modelFormat, Version: modelVersion, Bias: make([]float64, 10)}
	for c := 0; c < 10; c++ {
		row := make([]float64, 784)
		for i := range row {
			row[i] = rng.NormFloat64() * 0.05
		}
		f.Weights = append(f.Weights, row)
	}
	data, _ := json.Marshal(f)
	path := filepath.Join(b.TempDir(), "mnist.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

func input(n, d int) tensor.Tensor {
	x := tensor.New(tensor.Float32, n, d)
	for i := range x.F32 {
		x.F32[i] = float32(i%255) / 255
	}
	return x
}

// BenchmarkPredict measures predict through the plugin boundary (remote)
// and on the same model in this process (inprocess), side by side; make
// bench prints their ratio.
func BenchmarkPredict(b *testing.B) {
	model := mnistSized(b)
	ctx := context.Background()
	local := &linear{}
	if _, err := local.Load(ctx, sdk.LoadRequest{ModelPath: model, Options: *sdk.NewOptions(nil)}); err != nil {
		b.Fatal(err)
	}
	r, err := remote.Start(ctx, remote.Config{Name: "linear", Plugin: "linear", Path: pluginPath, ModelPath: model})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	for _, n := range []int{1, 64, 1024} {
		x := input(n, 784)
		b.Run(fmt.Sprintf("batch=%d/side=inprocess", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := local.Predict(ctx, x, false); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("batch=%d/side=remote", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := r.Predict(ctx, x, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTransfer sends a 64 MiB float32 tensor to the plugin and back
// (the echoing "input" layer) next to an in-process copy of the same
// bytes; SetBytes counts both directions for the remote side.
func BenchmarkTransfer(b *testing.B) {
	model := mnistSized(b)
	ctx := context.Background()
	r, err := remote.Start(ctx, remote.Config{Name: "linear", Plugin: "linear", Path: pluginPath, ModelPath: model})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	const rows = 64 << 20 / (784 * 4)
	x := input(rows, 784)
	bytes := int64(len(x.F32) * 4)
	b.Run("side=inprocess", func(b *testing.B) {
		dst := make([]float32, len(x.F32))
		b.SetBytes(2 * bytes)
		for b.Loop() {
			copy(dst, x.F32)
			copy(x.F32, dst)
		}
	})
	plain, err := remote.Start(ctx, remote.Config{Name: "linear", Plugin: "linear", Path: pluginPath, ModelPath: model, DisableAutoMTLS: true})
	if err != nil {
		b.Fatal(err)
	}
	defer plain.Close()
	b.Run("side=remote-nomtls", func(b *testing.B) {
		b.SetBytes(2 * bytes)
		for b.Loop() {
			if _, err := plain.Activations(ctx, x, "input"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("side=remote", func(b *testing.B) {
		b.SetBytes(2 * bytes)
		for b.Loop() {
			a, err := r.Activations(ctx, x, "input")
			if err != nil {
				b.Fatal(err)
			}
			if a.Len() != x.Len() {
				b.Fatal("short echo")
			}
		}
	})
}
