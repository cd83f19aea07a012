package remote_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/host/internal/hosttest"
	"github.com/arthost/arthost/host/remote"
	"github.com/arthost/arthost/shared/tensor"
)

var pluginDir string

func TestMain(m *testing.M) { hosttest.Main(m, &pluginDir) }

func batch(n int) tensor.Tensor {
	x := tensor.New(tensor.Float32, n, 4)
	for i := range x.F32 {
		x.F32[i] = float32(i%7) / 7
	}
	return x
}

func TestPredictChunkedEqualsWhole(t *testing.T) {
	whole := hosttest.StartLinear(t, pluginDir, remote.Config{})
	chunked := hosttest.StartLinear(t, pluginDir, remote.Config{BatchSize: 3})
	ctx := context.Background()
	x := batch(10)
	a, err := whole.Predict(ctx, x, false)
	if err != nil {
		t.Fatal(err)
	}
	b, err := chunked.Predict(ctx, x, false)
	if err != nil {
		t.Fatal(err)
	}
	if a.Rows() != 10 || b.Rows() != 10 {
		t.Fatalf("rows %d and %d, want 10", a.Rows(), b.Rows())
	}
	for i := range a.F32 {
		if a.F32[i] != b.F32[i] {
			t.Fatalf("chunked predict differs at %d: %v vs %v", i, a.F32[i], b.F32[i])
		}
	}
	// A mean loss over chunks must equal the mean over the whole batch.
	y := tensor.FromInt64([]int64{0, 1, 2, 0, 1, 2, 0, 1, 2, 0}, 10)
	la, err := whole.Loss(ctx, x, y, host.ReduceMean)
	if err != nil {
		t.Fatal(err)
	}
	lb, err := chunked.Loss(ctx, x, y, host.ReduceMean)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(la.At(0)-lb.At(0)) > 1e-6 {
		t.Fatalf("mean loss %v whole, %v chunked", la.At(0), lb.At(0))
	}
	// Per-row class labels follow their rows across chunks.
	classes := []int{2, 1, 0, 2, 1, 0, 2, 1, 0, 2}
	ga, err := whole.ClassGradient(ctx, x, classes)
	if err != nil {
		t.Fatal(err)
	}
	gb, err := chunked.ClassGradient(ctx, x, classes)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ga.F32 {
		if ga.F32[i] != gb.F32[i] {
			t.Fatalf("chunked class gradient differs at %d", i)
		}
	}
}

// TestBadInputsLeaveHostUsable sends each kind of bad input, checks the
// error names the estimator, the method and the value, then checks the
// same plugin still answers.
func TestBadInputsLeaveHostUsable(t *testing.T) {
	e := hosttest.StartLinear(t, pluginDir, remote.Config{})
	ctx := context.Background()
	nan := batch(2)
	nan.F32[5] = float32(math.NaN())
	cases := []struct {
		name string
		call func() error
		want []string
	}{
		{"wrong shape", func() error { _, err := e.Predict(ctx, tensor.New(tensor.Float32, 2, 5), false); return err },
			[]string{"lin predict", "shape [2 5]", "(n, 4)"}},
		{"wrong dtype", func() error { _, err := e.Predict(ctx, tensor.New(tensor.Int64, 2, 4), false); return err },
			[]string{"lin predict", "int64"}},
		{"NaN", func() error { _, err := e.Predict(ctx, nan, false); return err },
			[]string{"lin predict", "NaN", "[1 1]"}},
		{"empty batch", func() error { _, err := e.Predict(ctx, tensor.New(tensor.Float32, 0, 4), false); return err },
			[]string{"lin predict", "empty batch"}},
		{"label out of range", func() error {
			_, err := e.LossGradient(ctx, batch(2), tensor.FromInt64([]int64{0, 7}, 2))
			return err
		}, []string{"lin loss_gradient", "row 1", "class 7", "[0,3)"}},
		{"class out of range", func() error { _, err := e.ClassGradient(ctx, batch(2), []int{3}); return err },
			[]string{"lin class_gradient", "label 3 out of range"}},
		{"labels for other batch", func() error {
			_, err := e.Loss(ctx, batch(2), tensor.FromInt64([]int64{0, 1, 2}, 3), host.ReduceNone)
			return err
		}, []string{"lin loss", "3"}},
		{"unknown layer", func() error { _, err := e.Activations(ctx, batch(2), "conv9"); return err },
			[]string{"lin activations", `"conv9"`}},
		{"missing capability", func() error { _, err := e.PredictUncertainty(ctx, batch(2)); return err },
			[]string{"lin predict_uncertainty", "not supported"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			if _, err := e.Predict(ctx, batch(1), false); err != nil {
				t.Fatalf("plugin unusable after the bad input: %v", err)
			}
		})
	}
}

func TestLoadFailuresAreClear(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.json")
	if err := os.WriteFile(corrupt, []byte(`{"format":"arthost-linear","version":1,"weights":[[1,2],[3`), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		cfg  remote.Config
		want string
	}{
		"missing model file": {remote.Config{ModelPath: filepath.Join(dir, "nope.json")}, "no such file"},
		"corrupt model file": {remote.Config{ModelPath: corrupt}, "parse model"},
		"unknown option":     {remote.Config{Options: map[string]string{"colour": "red"}}, "unknown option colour"},
		"missing executable": {remote.Config{Path: filepath.Join(dir, "arthost-plugin-none")}, "arthost-plugin-none"},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := c.cfg
			cfg.Name, cfg.Plugin = "lin", "linear"
			if cfg.Path == "" {
				cfg.Path = filepath.Join(pluginDir, "arthost-plugin-linear")
			}
			if cfg.ModelPath == "" {
				cfg.ModelPath = hosttest.RepoFile("examples/plugins/linear/testdata/small.json")
			}
			_, err := remote.Start(context.Background(), cfg)
			if err == nil {
				t.Fatal("started")
			}
			if !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "lin ") {
				t.Errorf("error %q: want the estimator name first and %q", err, c.want)
			}
		})
	}
}

func TestDeadPluginIsUnavailable(t *testing.T) {
	e := hosttest.StartLinear(t, pluginDir, remote.Config{CallTimeout: 5 * time.Second})
	pid := e.PID()
	if pid <= 0 {
		t.Fatal("no pid")
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !e.Exited() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	_, err := e.Predict(context.Background(), batch(1), false)
	if err == nil {
		t.Fatal("a killed plugin answered")
	}
	if host.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "lin predict") {
		t.Fatalf("error %q (code %v), want Unavailable naming lin predict", err, host.Code(err))
	}
}

func TestCallDeadline(t *testing.T) {
	e := hosttest.StartLinear(t, pluginDir, remote.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	time.Sleep(time.Millisecond)
	_, err := e.Predict(ctx, batch(1), false)
	if host.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("error %v (code %v), want DeadlineExceeded", err, host.Code(err))
	}
}

func TestHealthRunsCanary(t *testing.T) {
	e := hosttest.StartLinear(t, pluginDir, remote.Config{})
	if _, err := e.Health(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestLargeTensorsThroughSharedMemory sends a tensor above the spool
// threshold to the plugin and back (the linear plugin's echoing input
// layer) and checks it arrives intact and the spool folder is left empty.
func TestLargeTensorsThroughSharedMemory(t *testing.T) {
	e := hosttest.StartLinear(t, pluginDir, remote.Config{})
	if !e.Describe().Capabilities.SharedMemory {
		t.Fatal("an SDK plugin launched by the host should read shared memory")
	}
	x := tensor.New(tensor.Float32, tensor.ShmThreshold/16+1, 4)
	for i := range x.F32 {
		x.F32[i] = float32(i%1000) / 1000
	}
	got, err := e.Activations(context.Background(), x, "input")
	if err != nil {
		t.Fatal(err)
	}
	if got.Len() != x.Len() {
		t.Fatalf("%v values back for %v", got.Shape, x.Shape)
	}
	for i := range x.F32 {
		if got.F32[i] != x.F32[i] {
			t.Fatalf("value %d changed: %v -> %v", i, x.F32[i], got.F32[i])
		}
	}
	if left, _ := os.ReadDir(e.SpoolDir()); len(left) != 0 {
		t.Fatalf("spool folder not empty: %v", left)
	}
}
