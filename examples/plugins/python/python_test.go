// Package python holds the Go tests of the Python example plugin: the
// conformance kit against the real process, agreement with the Go linear
// plugin on the same model, a mixed Go/Python ensemble, and start-up time.
// They need /usr/bin/python3 with python3-grpcio, python3-numpy and
// python3-cryptography; without them they skip, unless
// ARTHOST_REQUIRE_PYTHON=1 (as in CI), which makes them fail.
package python

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/host/remote"
	"github.com/arthost/arthost/internal/testbin"
	"github.com/arthost/arthost/internal/testlog"
	"github.com/arthost/arthost/sdk/sdktest"
	"github.com/arthost/arthost/shared/tensor"
)

var (
	launcher, _ = filepath.Abs("arthost-plugin-pysoftmax")
	smallModel  = filepath.Join("..", "linear", "testdata", "small.json")
	otherModel  = filepath.Join("..", "linear", "testdata", "other.json")

	buildOnce sync.Once
	goPlugin  string
	buildErr  error
)

// need skips (or, with ARTHOST_REQUIRE_PYTHON=1, fails) without the Python
// packages, and builds the Go linear plugin once.
func need(tb testing.TB) {
	tb.Helper()
	if err := exec.Command("/usr/bin/python3", "-c", "import grpc, numpy, cryptography").Run(); err != nil {
		msg := "needs /usr/bin/python3 with python3-grpcio, python3-numpy, python3-cryptography"
		if os.Getenv("ARTHOST_REQUIRE_PYTHON") == "1" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "arthost-python-test-")
		if err != nil {
			buildErr = err
			return
		}
		var bins map[string]string
		bins, buildErr = testbin.Build(dir, map[string]string{"arthost-plugin-linear": "examples/plugins/linear"})
		goPlugin = bins["arthost-plugin-linear"]
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
}

func start(tb testing.TB, plugin, path, model string, noMTLS bool, log hclog.Logger) *remote.Estimator {
	tb.Helper()
	e, err := remote.Start(context.Background(), remote.Config{
		Name: plugin, Plugin: plugin, Path: path, ModelPath: model, DisableAutoMTLS: noMTLS, Logger: log,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

func TestConformance(t *testing.T) {
	need(t)
	sdktest.RunPlugin(t, launcher, sdktest.Config{ModelPath: smallModel, GradientTolerance: 1e-6})
}

func TestKilled(t *testing.T) {
	need(t)
	p, res := sdktest.LaunchChecked(launcher, sdktest.LaunchOptions{})
	for _, r := range res {
		if !r.Passed {
			t.Fatal(r)
		}
	}
	defer p.Kill()
	if r := sdktest.CheckKilled(context.Background(), p, 10*time.Second); !r.Passed {
		t.Fatal(r)
	}
}

// TestShutdownGraceful checks the GRPCController: Close asks the plugin to
// stop, and it exits without being killed.
func TestShutdownGraceful(t *testing.T) {
	need(t)
	var buf testlog.Buffer
	log := hclog.New(&hclog.LoggerOptions{Output: &buf, Level: hclog.Debug})
	e := start(t, "pysoftmax", launcher, smallModel, false, log)
	e.Close()
	select {
	case <-e.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("plugin still running 10s after Close")
	}
	if s := buf.String(); strings.Contains(s, "failed to exit gracefully") {
		t.Errorf("plugin had to be killed:\n%s", s)
	}
}

func randomX(rng *rand.Rand, dt tensor.DType, n, d int) tensor.Tensor {
	x := tensor.New(tensor.Float64, n, d)
	for i := range x.F64 {
		x.F64[i] = rng.Float64()
	}
	return x.As(dt)
}

// closeTo reports the first element where got and want differ by more
// than tol relative to max(1, |want|).
func closeTo(got, want tensor.Tensor, tol float64) error {
	if fmt.Sprint(got.Shape) != fmt.Sprint(want.Shape) || got.DType != want.DType {
		return fmt.Errorf("got %v %v, want %v %v", got.DType, got.Shape, want.DType, want.Shape)
	}
	for i := 0; i < got.Len(); i++ {
		if d := math.Abs(got.At(i) - want.At(i)); !(d <= tol*math.Max(1, math.Abs(want.At(i)))) {
			return fmt.Errorf("element %v: got %v, want %v", got.Index(i), got.At(i), want.At(i))
		}
	}
	return nil
}

// TestMatchesGoLinear compares every method with the Go linear plugin on
// the same model: two independent implementations (numpy and Go loops).
func TestMatchesGoLinear(t *testing.T) {
	need(t)
	py := start(t, "pysoftmax", launcher, smallModel, false, nil)
	defer py.Close()
	gol := start(t, "linear", goPlugin, smallModel, false, nil)
	defer gol.Close()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct {
		dt  tensor.DType
		tol float64
	}{{tensor.Float64, 1e-12}, {tensor.Float32, 1e-6}} {
		x := randomX(rng, c.dt, 5, 4)
		labels := tensor.FromInt64([]int64{0, 2, 1, 1, 0}, 5)
		soft := tensor.FromFloat64([]float64{.2, .3, .5, 1, 0, 0, 0, 0, 1, .5, .5, 0, .1, .1, .8}, 5, 3)
		calls := map[string]func(e host.Estimator) (tensor.Tensor, error){
			"predict":        func(e host.Estimator) (tensor.Tensor, error) { return e.Predict(ctx, x, false) },
			"predict logits": func(e host.Estimator) (tensor.Tensor, error) { return e.Predict(ctx, x, true) },
			"loss":           func(e host.Estimator) (tensor.Tensor, error) { return e.Loss(ctx, x, labels, host.ReduceNone) },
			"loss soft":      func(e host.Estimator) (tensor.Tensor, error) { return e.Loss(ctx, x, soft, host.ReduceSum) },
			"loss_gradient":  func(e host.Estimator) (tensor.Tensor, error) { return e.LossGradient(ctx, x, labels) },
			"loss_gradient soft": func(e host.Estimator) (tensor.Tensor, error) {
				return e.LossGradient(ctx, x, soft)
			},
			"class_gradient all": func(e host.Estimator) (tensor.Tensor, error) { return e.ClassGradient(ctx, x, nil) },
			"class_gradient one": func(e host.Estimator) (tensor.Tensor, error) { return e.ClassGradient(ctx, x, []int{2}) },
			"class_gradient per row": func(e host.Estimator) (tensor.Tensor, error) {
				return e.ClassGradient(ctx, x, []int{2, 0, 1, 1, 2})
			},
		}
		for name, call := range calls {
			t.Run(fmt.Sprintf("%v/%s", c.dt, name), func(t *testing.T) {
				got, err := call(py)
				if err != nil {
					t.Fatal(err)
				}
				want, err := call(gol)
				if err != nil {
					t.Fatal(err)
				}
				if err := closeTo(got, want, c.tol); err != nil {
					t.Error(err)
				}
			})
		}
	}
}

// TestModelSelfCheck runs the numpy model's own gradient check against
// central differences (python3 -m pysoftmax.model).
func TestModelSelfCheck(t *testing.T) {
	need(t)
	cmd := exec.Command("/usr/bin/python3", "-m", "pysoftmax.model")
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("%v\n%s", err, out)
	}
}
