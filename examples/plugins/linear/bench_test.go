package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/arthost/arthost/host/remote"
	"github.com/arthost/arthost/sdk"
	"github.com/arthost/arthost/shared"
	"github.com/arthost/arthost/shared/estimatorv1"
	"github.com/arthost/arthost/shared/tensor"
)

// floorSocketEnv makes the test binary, re-run as a child, serve the
// floor: a bare gRPC server whose Predict answers a fixed (1, 10) tensor
// without touching the input, over a unix socket, with the contract's
// server options but no go-plugin, no TLS and no SDK. Predict through the
// plugin cannot be faster than a call to it.
const floorSocketEnv = "ARTHOST_BENCH_FLOOR_SOCKET"

func init() {
	if sock := os.Getenv(floorSocketEnv); sock != "" {
		l, err := net.Listen("unix", sock)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		s := grpc.NewServer(shared.ServerOptions()...)
		estimatorv1.RegisterEstimatorServer(s, floorServer{y: tensor.New(tensor.Float32, 1, 10)})
		s.Serve(l)
		os.Exit(0)
	}
}

type floorServer struct {
	estimatorv1.UnimplementedEstimatorServer
	y tensor.Tensor
}

func (f floorServer) Predict(context.Context, *estimatorv1.PredictRequest) (*estimatorv1.PredictResponse, error) {
	p, err := tensor.ToProto(f.y)
	return &estimatorv1.PredictResponse{Y: p}, err
}

// startFloor runs the floor server in a child process and returns a
// client dialled with the contract's options.
func startFloor(b *testing.B) estimatorv1.EstimatorClient {
	sock := filepath.Join(b.TempDir(), "floor.sock")
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), floorSocketEnv+"="+sock)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for i := 0; ; i++ {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if i == 500 {
			b.Fatal("floor server did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	opts := append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, shared.DialOptions()...)
	cc, err := grpc.NewClient("unix://"+sock, opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cc.Close() })
	return estimatorv1.NewEstimatorClient(cc)
}

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

// startRemote starts the plugin on model with cfg's transport settings,
// closed when the benchmark ends.
func startRemote(b *testing.B, model string, cfg remote.Config) *remote.Estimator {
	b.Helper()
	cfg.Name, cfg.Plugin, cfg.Path, cfg.ModelPath = "linear", "linear", pluginPath, model
	r, err := remote.Start(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { r.Close() })
	return r
}

// loadLocal loads model into an estimator in this process.
func loadLocal(b *testing.B, model string) *linear {
	b.Helper()
	local := &linear{}
	if _, err := local.Load(context.Background(), sdk.LoadRequest{ModelPath: model, Options: *sdk.NewOptions(nil)}); err != nil {
		b.Fatal(err)
	}
	return local
}

// BenchmarkPredict measures predict through the plugin boundary (remote)
// and on the same model in this process (inprocess), side by side; make
// bench prints their ratio.
func BenchmarkPredict(b *testing.B) {
	model := mnistSized(b)
	ctx := context.Background()
	local := loadLocal(b, model)
	r := startRemote(b, model, remote.Config{})
	viaGRPC := startRemote(b, model, remote.Config{DisableDirect: true})
	plain := startRemote(b, model, remote.Config{DisableAutoMTLS: true})
	floor := startFloor(b)
	for _, n := range []int{1, 64, 1024} {
		x := input(n, 784)
		if n == 1 {
			px, err := tensor.ToProto(x)
			if err != nil {
				b.Fatal(err)
			}
			b.Run("batch=1/side=grpcfloor", func(b *testing.B) {
				for b.Loop() {
					cctx, cancel := context.WithTimeout(ctx, time.Minute)
					_, err := floor.Predict(cctx, &estimatorv1.PredictRequest{X: px})
					cancel()
					if err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("batch=1/side=remote-nomtls", func(b *testing.B) {
				for b.Loop() {
					if _, err := plain.Predict(ctx, x, false); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		b.Run(fmt.Sprintf("batch=%d/side=inprocess", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := local.Predict(ctx, x, false); err != nil {
					b.Fatal(err)
				}
			}
		})
		for _, via := range []struct {
			side string
			e    *remote.Estimator
		}{{"remote", r}, {"remote-grpc", viaGRPC}} {
			side, e := via.side, via.e
			b.Run(fmt.Sprintf("batch=%d/side=%s", n, side), func(b *testing.B) {
				for b.Loop() {
					if _, err := e.Predict(ctx, x, false); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkTransfer sends a 64 MiB float32 tensor to the plugin and back
// (the echoing "input" layer) next to an in-process copy of the same
// bytes; SetBytes counts both directions for the remote side.
func BenchmarkTransfer(b *testing.B) {
	model := mnistSized(b)
	ctx := context.Background()
	r := startRemote(b, model, remote.Config{})
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
	plain := startRemote(b, model, remote.Config{DisableAutoMTLS: true})
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

// digitsSized writes a random 64-feature (8x8 digits), 10-class model.
func digitsSized(b *testing.B) string {
	rng := rand.New(rand.NewPCG(3, 4))
	f := modelFile{Format: modelFormat, Version: modelVersion, Bias: make([]float64, 10)}
	for c := 0; c < 10; c++ {
		row := make([]float64, 64)
		for i := range row {
			row[i] = rng.NormFloat64() * 0.05
		}
		f.Weights = append(f.Weights, row)
	}
	data, _ := json.Marshal(f)
	path := filepath.Join(b.TempDir(), "digits.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkLossGradient measures one loss-gradient call of PGD on digits
// (64 features, float32, index labels) through the plugin boundary
// (remote) and in this process (inprocess): remote minus inprocess is
// what the boundary costs per PGD step. 64 rows are 16 KiB each way, 256
// rows 64 KiB.
func BenchmarkLossGradient(b *testing.B) {
	model := digitsSized(b)
	ctx := context.Background()
	local := loadLocal(b, model)
	r := startRemote(b, model, remote.Config{})
	viaGRPC := startRemote(b, model, remote.Config{DisableDirect: true})
	for _, n := range []int{64, 256} {
		x, y := input(n, 64), tensor.New(tensor.Int64, n)
		for i := range y.I64 {
			y.I64[i] = int64(i % 10)
		}
		l, err := tensor.NormalizeLabels(y, n, 10)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("batch=%d/side=inprocess", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := local.LossGradient(ctx, x, l); err != nil {
					b.Fatal(err)
				}
			}
		})
		for _, via := range []struct {
			side string
			e    *remote.Estimator
		}{{"remote", r}, {"remote-grpc", viaGRPC}} {
			side, e := via.side, via.e
			b.Run(fmt.Sprintf("batch=%d/side=%s", n, side), func(b *testing.B) {
				cpu := startCPU(e.PID())
				for b.Loop() {
					if _, err := e.LossGradient(ctx, x, y); err != nil {
						b.Fatal(err)
					}
				}
				cpu.report(b)
			})
		}
	}
}

// cpuMeter measures the processor time of this process and of the plugin
// process over a benchmark: on a loaded machine it varies less than the
// wall-clock time, which includes waiting for a processor.
type cpuMeter struct {
	pid         int
	self, child time.Duration
}

func startCPU(pid int) cpuMeter { return cpuMeter{pid, selfCPU(), procCPU(pid)} }

// report adds host-cpu-µs/op and plugin-cpu-µs/op (Linux only; the
// plugin's is counted in clock ticks, so use many iterations).
func (c cpuMeter) report(b *testing.B) {
	if runtime.GOOS != "linux" {
		return
	}
	b.ReportMetric(float64((selfCPU()-c.self).Microseconds())/float64(b.N), "host-cpu-µs/op")
	b.ReportMetric(float64((procCPU(c.pid)-c.child).Microseconds())/float64(b.N), "plugin-cpu-µs/op")
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU reads utime+stime of a process from /proc (0 when unavailable).
func procCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the parenthesised command name: state is field 3,
	// utime 14 and stime 15 (clock ticks, 100 per second on Linux).
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.Atoi(f[11])
	k, _ := strconv.Atoi(f[12])
	return time.Duration(u+k) * 10 * time.Millisecond
}

// BenchmarkEcho sends float32 batches of 64 features to the plugin and
// back (the echoing "input" layer): the cost of the boundary by size, from
// 256 bytes to 16 and 32 KiB inline and 64 KiB through shared memory.
func BenchmarkEcho(b *testing.B) {
	model := digitsSized(b)
	ctx := context.Background()
	r := startRemote(b, model, remote.Config{})
	for _, n := range []int{1, 16, 64, 128, 256} {
		x := input(n, 64)
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			cpu := startCPU(r.PID())
			for b.Loop() {
				if _, err := r.Activations(ctx, x, "input"); err != nil {
					b.Fatal(err)
				}
			}
			cpu.report(b)
		})
	}
}
