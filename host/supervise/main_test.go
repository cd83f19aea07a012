package supervise_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/arthost/arthost/host/remote"
	"github.com/arthost/arthost/host/supervise"
	"github.com/arthost/arthost/internal/testbin"
	"github.com/arthost/arthost/internal/testlog"
	"github.com/arthost/arthost/shared/tensor"
)

var pluginDir string

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		helperHost()
		return
	}
	dir, err := os.MkdirTemp("", "arthost-supervise-test-")
	if err != nil {
		panic(err)
	}
	if _, err := testbin.Build(dir, map[string]string{"arthost-plugin-faulty": "examples/plugins/faulty"}); err != nil {
		panic(err)
	}
	pluginDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// weights and bias repeat the faulty plugin's built-in model, so answers
// are checked against this file's own softmax, not the plugin's code.
var (
	weights = [3][4]float64{{1, -1, 0.5, 0}, {-0.5, 1, -1, 0.25}, {0, 0.5, 1, -1}}
	bias    = [3]float64{0.1, -0.2, 0.05}
)

func reference(x tensor.Tensor) []float64 {
	var out []float64
	for i := 0; i < x.Rows(); i++ {
		var z [3]float64
		sum := 0.0
		for c := range z {
			z[c] = bias[c]
			for j := 0; j < 4; j++ {
				z[c] += weights[c][j] * x.At(i*4+j)
			}
		}
		for c := range z {
			z[c] = math.Exp(z[c])
			sum += z[c]
		}
		for c := range z {
			out = append(out, z[c]/sum)
		}
	}
	return out
}

// input returns n rows whose first value is first and the rest vary with seed.
func input(n int, first, seed float64) tensor.Tensor {
	x := tensor.New(tensor.Float64, n, 4)
	for i := range x.F64 {
		x.F64[i] = math.Sin(seed + float64(i))
	}
	x.F64[0] = first
	return x
}

// checkAnswer fails unless y is the reference softmax of x.
func checkAnswer(t testing.TB, x, y tensor.Tensor) {
	t.Helper()
	if err := answerError(x, y); err != nil {
		t.Fatal(err)
	}
}

func answerError(x, y tensor.Tensor) error {
	want := reference(x)
	if y.Len() != len(want) {
		return fmt.Errorf("answer has %d values (shape %v), want %d", y.Len(), y.Shape, len(want))
	}
	for i, w := range want {
		if math.Abs(y.At(i)-w) > 1e-12 {
			return fmt.Errorf("answer[%d] = %v, want %v", i, y.At(i), w)
		}
	}
	return nil
}

// startFaulty supervises the faulty plugin with the given options; the
// supervisor is closed, and the process table checked, when t ends.
func startFaulty(t *testing.T, opts map[string]string, cfg supervise.Config) (*supervise.Supervisor, *testlog.Buffer) {
	t.Helper()
	logs := &testlog.Buffer{}
	cfg.Remote.Name, cfg.Remote.Plugin = "faulty", "faulty"
	cfg.Remote.Path = filepath.Join(pluginDir, "arthost-plugin-faulty")
	cfg.Remote.Options = opts
	cfg.Remote.Logger = hclog.New(&hclog.LoggerOptions{Output: logs, Level: hclog.Debug})
	if cfg.BackoffInitial == 0 {
		cfg.BackoffInitial, cfg.BackoffMax = 10*time.Millisecond, 200*time.Millisecond
	}
	s, err := supervise.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		waitNoPlugins(t)
	})
	return s, logs
}

// pluginProcesses lists the live processes started from pluginDir.
func pluginProcesses() []string {
	var out []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		cmd, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || len(cmd) == 0 {
			continue
		}
		argv0, _, _ := strings.Cut(string(cmd), "\x00")
		if strings.HasPrefix(argv0, pluginDir+"/") && strings.HasPrefix(filepath.Base(argv0), "arthost-plugin-") {
			out = append(out, fmt.Sprintf("pid %s (%s)", e.Name(), argv0))
		}
	}
	return out
}

// waitNoPlugins fails if a plugin process is still alive after a few seconds.
func waitNoPlugins(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		left := pluginProcesses()
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("plugin processes left behind: %v", left)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitState waits for the supervisor to reach state.
func waitState(t testing.TB, s *supervise.Supervisor, state supervise.State) supervise.Status {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := s.Status()
		if st.State == state {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("state %v after 10s, want %v (last crash %q)", st.State, state, st.LastCrash)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var _ = remote.DefaultCallTimeout
