package command

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/arthost/arthost/plugins/blackbox/internal/testmodel"
	"github.com/arthost/arthost/shared/tensor"
)

// program is the softmaxcmd test program, built once by TestMain.
var program string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "blackbox-command-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	program = filepath.Join(dir, "softmaxcmd")
	build := exec.Command("go", "build", "-o", program, "../../testdata/softmaxcmd")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build softmaxcmd: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// argv is the command line of the fixed model, its weights quoted the way
// a user would write them in a config.
func argv(extra string) string {
	m := testmodel.Fixed()
	var w, b []string
	for c := range m.W {
		for _, v := range m.W[c] {
			w = append(w, fmt.Sprint(v))
		}
		b = append(b, fmt.Sprint(m.B[c]))
	}
	return fmt.Sprintf(`%s -w '%s' -b "%s" %s`, program, strings.Join(w, ", "), strings.Join(b, ", "), extra)
}

func newSource(t *testing.T, extra string, timeout time.Duration) *Source {
	t.Helper()
	s, err := New(Config{Command: argv(extra), Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func rows(n int, first float64) [][]float64 {
	out := make([][]float64, n)
	for i := range out {
		out[i] = []float64{first + 0.1*float64(i), -0.4, 0.2 * float64(i), 1}
	}
	return out
}

func batch(r [][]float64, dt tensor.DType) tensor.Tensor {
	var v []float64
	for _, row := range r {
		v = append(v, row...)
	}
	return tensor.FromFloat64(v, len(r), len(r[0])).As(dt)
}

func checkProbs(t *testing.T, y tensor.Tensor, r [][]float64, dt tensor.DType) {
	t.Helper()
	m := testmodel.Fixed()
	if len(y.Shape) != 2 || y.Shape[0] != len(r) || y.Shape[1] != 3 {
		t.Fatalf("answer shape %v, want [%d 3]", y.Shape, len(r))
	}
	for i, row := range r {
		if dt == tensor.Float32 {
			for j := range row {
				row[j] = float64(float32(row[j]))
			}
		}
		p := m.Probs(row)
		for c := range p {
			if d := math.Abs(y.At(3*i+c) - p[c]); d > 1e-12 {
				t.Errorf("row %d class %d: %v, want %v", i, c, y.At(3*i+c), p[c])
			}
		}
	}
}

func TestKeepsRunning(t *testing.T) {
	s := newSource(t, "", 0)
	for i, dt := range []tensor.DType{tensor.Float64, tensor.Float32, tensor.Float64} {
		r := rows(2+i, float64(i))
		y, err := s.Query(context.Background(), batch(r, dt))
		if err != nil {
			t.Fatal(err)
		}
		checkProbs(t, y, r, dt)
	}
	if s.Starts() != 1 {
		t.Errorf("started %d times, want once", s.Starts())
	}
}

func TestOneShotProgramRestartedPerBatch(t *testing.T) {
	s := newSource(t, "-oneshot", 0)
	for i := 0; i < 3; i++ {
		r := rows(3, float64(i))
		y, err := s.Query(context.Background(), batch(r, tensor.Float64))
		if err != nil {
			t.Fatal(err)
		}
		checkProbs(t, y, r, tensor.Float64)
	}
	if s.Starts() != 3 {
		t.Errorf("started %d times, want 3", s.Starts())
	}
}

func TestLabels(t *testing.T) {
	s := newSource(t, "-labels", 0)
	r := rows(6, -1)
	y, err := s.Query(context.Background(), batch(r, tensor.Float32))
	if err != nil {
		t.Fatal(err)
	}
	if y.DType != tensor.Int64 || len(y.Shape) != 1 || y.Shape[0] != 6 {
		t.Fatalf("labels %v %v", y.DType, y.Shape)
	}
	m := testmodel.Fixed()
	for i, row := range r {
		if int(y.I64[i]) != m.Label(row) {
			t.Errorf("row %d label %d, want %d", i, y.I64[i], m.Label(row))
		}
	}
}

func TestCrashMidBatchOnceIsRetried(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "crashed")
	s := newSource(t, "-crash-once "+marker, 0)
	r := rows(4, 0)
	y, err := s.Query(context.Background(), batch(r, tensor.Float64))
	if err != nil {
		t.Fatalf("batch after one crash: %v", err)
	}
	checkProbs(t, y, r, tensor.Float64)
	if s.Starts() != 2 {
		t.Errorf("started %d times, want 2", s.Starts())
	}
}

func TestCrashMidBatchTwiceFails(t *testing.T) {
	s := newSource(t, "-crash-on 66", 0)
	good := rows(2, 0)
	if _, err := s.Query(context.Background(), batch(good, tensor.Float64)); err != nil {
		t.Fatal(err)
	}
	_, err := s.Query(context.Background(), batch(append(rows(2, 0), []float64{66, 0, 0, 0}), tensor.Float64))
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("err = %v, want Unavailable", err)
	}
	for _, want := range []string{"died twice on a batch of 3 rows", "exit status 3", "crashing on purpose"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	y, err := s.Query(context.Background(), batch(good, tensor.Float64))
	if err != nil {
		t.Fatalf("good batch after a poison batch: %v", err)
	}
	checkProbs(t, y, good, tensor.Float64)
	if s.Starts() != 3 {
		t.Errorf("started %d times, want 3 (first, a restart for the retry of the poison batch, one after it)", s.Starts())
	}
}

func TestGarbageAnswer(t *testing.T) {
	s := newSource(t, "-garbage", 0)
	_, err := s.Query(context.Background(), batch(rows(1, 0), tensor.Float64))
	if err == nil || !strings.Contains(err.Error(), "answer is not a .npy array") || !strings.Contains(err.Error(), "program killed") {
		t.Fatalf("err = %v", err)
	}
}

func TestHangTimesOut(t *testing.T) {
	s := newSource(t, "-hang", 100*time.Millisecond)
	_, err := s.Query(context.Background(), batch(rows(1, 0), tensor.Float64))
	if status.Code(err) != codes.DeadlineExceeded || !strings.Contains(err.Error(), "program killed") {
		t.Fatalf("err = %v, want DeadlineExceeded", err)
	}
}

func TestClosedStdoutIsADeath(t *testing.T) {
	s := newSource(t, "-close-stdout", 0)
	_, err := s.Query(context.Background(), batch(rows(1, 0), tensor.Float64))
	if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("err = %v, want Unavailable after the program was killed", err)
	}
}

func TestConcurrentQueriesSerialised(t *testing.T) {
	s := newSource(t, "", 0)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rows(1+g, float64(g))
			y, err := s.Query(context.Background(), batch(r, tensor.Float64))
			if err != nil {
				t.Error(err)
				return
			}
			checkProbs(t, y, r, tensor.Float64)
		}()
	}
	wg.Wait()
}

func TestNeverAShell(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "pwned")
	s := newSource(t, fmt.Sprintf("$(touch %s) `touch %s` ; touch %s", marker, marker, marker), 0)
	if _, err := s.Query(context.Background(), batch(rows(1, 0), tensor.Float64)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the command line went through a shell")
	}
}

func TestCloseEndsProgram(t *testing.T) {
	s := newSource(t, "", 0)
	if _, err := s.Query(context.Background(), batch(rows(1, 0), tensor.Float64)); err != nil {
		t.Fatal(err)
	}
	pid := s.proc.cmd.Process.Pid
	s.Close()
	if err := syscall.Kill(pid, 0); err != syscall.ESRCH {
		t.Errorf("program %d still there after Close: %v", pid, err)
	}
}

func TestNewRejects(t *testing.T) {
	for cmd, want := range map[string]string{
		"":                      "empty",
		"   ":                   "empty",
		"/no/such/program -x 1": "/no/such/program",
		"prog 'unterminated":    "cannot split",
	} {
		if _, err := New(Config{Command: cmd}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("command %q: err = %v, want %q", cmd, err, want)
		}
	}
}
