// Command demodata writes the foundation demo's data (a synthetic 3-class
// problem and an untrained linear model), or with -check reports the
// accuracy of the demo's predictions.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/arthost/arthost/internal/npyfile"
	"github.com/arthost/arthost/shared/tensor"
)

func main() {
	check := flag.Bool("check", false, "report accuracy of p.npy against y.npy")
	flag.Parse()
	dir := flag.Arg(0)
	if err := run(dir, *check); err != nil {
		fmt.Fprintln(os.Stderr, "demodata:", err)
		os.Exit(1)
	}
}

func run(dir string, check bool) error {
	if check {
		p, err := npyfile.Read(filepath.Join(dir, "p.npy"))
		if err != nil {
			return err
		}
		y, err := npyfile.Read(filepath.Join(dir, "y.npy"))
		if err != nil {
			return err
		}
		l, err := tensor.NormalizeLabels(p, p.Rows(), p.Shape[1])
		if err != nil {
			return err
		}
		correct := 0
		for i, c := range l.Index {
			if int64(c) == y.I64[i] {
				correct++
			}
		}
		fmt.Printf("accuracy of the trained model: %.3f on %d samples\n", float64(correct)/float64(len(l.Index)), len(l.Index))
		return nil
	}
	const n, d = 600, 4
	rng := rand.New(rand.NewPCG(7, 7))
	x := tensor.New(tensor.Float32, n, d)
	y := tensor.New(tensor.Int64, n)
	for i := 0; i < n; i++ {
		c := i % 3
		y.I64[i] = int64(c)
		for j := 0; j < d; j++ {
			x.F32[i*d+j] = float32(0.5 + 0.12*rng.NormFloat64())
		}
		x.F32[i*d+c] += 0.3
	}
	if err := npyfile.Write(filepath.Join(dir, "x.npy"), x); err != nil {
		return err
	}
	if err := npyfile.Write(filepath.Join(dir, "y.npy"), y); err != nil {
		return err
	}
	model := map[string]any{"format": "arthost-linear", "version": 1,
		"weights": [][]float64{make([]float64, d), make([]float64, d), make([]float64, d)}, "bias": []float64{0, 0, 0}, "clip_values": []float64{0, 1.5}}
	data, err := json.Marshal(model)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "init.json"), data, 0o644)
}
