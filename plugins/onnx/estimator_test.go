package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/arthost/arthost/plugins/onnx/internal/nd"
	"github.com/arthost/arthost/plugins/onnx/internal/onnxpb"
	"github.com/arthost/arthost/plugins/onnx/internal/testutil"
	"github.com/arthost/arthost/sdk"
	"github.com/arthost/arthost/sdk/sdktest"
	"github.com/arthost/arthost/shared/tensor"
)

// logitTol is the bound on max |arthost - torch| for logits and
// activations of the fixture models.
const logitTol = 1e-4

func loadFixture(t testing.TB, name string, opts map[string]string) *estimator {
	t.Helper()
	e := newEstimator()
	_, err := e.Load(context.Background(), sdk.LoadRequest{ModelPath: filepath.Join("testdata", name+".onnx"),
		Options: *sdk.NewOptions(opts)})
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return e
}

func readNPY(t testing.TB, name string) *nd.Array {
	t.Helper()
	a, err := testutil.ReadNPY(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// fixtureInput returns the 16 test digits shaped for the model.
func fixtureInput(t testing.TB, image bool) tensor.Tensor {
	x := readNPY(t, "x.npy")
	if image {
		return tensor.FromFloat32(x.F, x.Shape[0], 1, 8, 8)
	}
	return tensor.FromFloat32(x.F, x.Shape...)
}

func asND(v tensor.Tensor) *nd.Array {
	if v.DType == tensor.Float64 {
		f := make([]float32, len(v.F64))
		for i, x := range v.F64 {
			f[i] = float32(x)
		}
		return nd.FromF(f, v.Shape...)
	}
	return nd.FromF(v.F32, v.Shape...)
}

func TestPredictMatchesTorch(t *testing.T) {
	for _, tc := range []struct {
		name  string
		image bool
	}{{"mlp", false}, {"cnn", true}, {"cnn2", true}} {
		for _, threads := range []string{"1", "3"} {
			t.Run(tc.name+"/threads="+threads, func(t *testing.T) {
				e := loadFixture(t, tc.name, map[string]string{"threads": threads})
				want := readNPY(t, tc.name+"_logits.npy")
				for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
					x := fixtureInput(t, tc.image)
					if dt == tensor.Float64 {
						x64 := tensor.New(tensor.Float64, x.Shape...)
						for i, v := range x.F32 {
							x64.F64[i] = float64(v)
						}
						x = x64
					}
					got, err := e.Predict(context.Background(), x, false)
					if err != nil {
						t.Fatal(err)
					}
					if got.DType != dt {
						t.Fatalf("dtype %s, want %s", got.DType, dt)
					}
					if d := testutil.MaxAbsDiff(asND(got), want); d > logitTol || !nd.EqualShape(got.Shape, want.Shape) {
						t.Errorf("%s: max |diff| %g (shape %v, want %v)", dt, d, got.Shape, want.Shape)
					}
				}
			})
		}
	}
}

func TestActivationsMatchTorch(t *testing.T) {
	for _, tc := range []struct {
		name  string
		image bool
	}{{"mlp", false}, {"cnn", true}} {
		t.Run(tc.name, func(t *testing.T) {
			e := loadFixture(t, tc.name, nil)
			d, _ := e.Describe(context.Background())
			b, err := os.ReadFile(filepath.Join("testdata", tc.name+"_layers.txt"))
			if err != nil {
				t.Fatal(err)
			}
			modules := strings.Fields(string(b))
			if len(d.Layers) != len(modules) {
				t.Fatalf("layers %v, torch modules %v", d.Layers, modules)
			}
			for k, layer := range d.Layers {
				got, err := e.Activations(context.Background(), fixtureInput(t, tc.image), layer)
				if err != nil {
					t.Fatal(err)
				}
				want := readNPY(t, tc.name+"_act_"+strconv.Itoa(k)+".npy")
				if diff := testutil.MaxAbsDiff(asND(got), want); diff > logitTol || !nd.EqualShape(got.Shape, want.Shape) {
					t.Errorf("layer %d %q (%s): max |diff| %g, shape %v want %v", k, layer, modules[k], diff, got.Shape, want.Shape)
				}
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    map[string]string
		shape   []int
		output  sdk.OutputKind
		chFirst bool
		layers  int
	}{
		{"mlp", nil, []int{64}, sdk.OutputLogits, false, 5},
		{"cnn", nil, []int{1, 8, 8}, sdk.OutputLogits, true, 6},
		{"cnn", map[string]string{"output": "probabilities"}, []int{1, 8, 8}, sdk.OutputProbabilities, true, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := loadFixture(t, tc.name, tc.opts)
			d, err := e.Describe(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !nd.EqualShape(d.InputShape, tc.shape) || d.NbClasses != 10 || d.Output != tc.output ||
				d.ChannelsFirst != tc.chFirst || len(d.Layers) != tc.layers {
				t.Errorf("got shape %v classes %d output %v channels_first %v layers %v", d.InputShape, d.NbClasses, d.Output, d.ChannelsFirst, d.Layers)
			}
		})
	}
}

// TestProbabilities checks output=probabilities against the softmax of
// torch's logits, and that logits=true still returns the logits.
func TestProbabilities(t *testing.T) {
	e := loadFixture(t, "mlp", map[string]string{"output": "probabilities"})
	x := fixtureInput(t, false)
	p, err := e.Predict(context.Background(), x, false)
	if err != nil {
		t.Fatal(err)
	}
	logits := readNPY(t, "mlp_logits.npy")
	want := softmaxRows(logits, 16, 10)
	if d := testutil.MaxAbsDiff(asND(p), want); d > 1e-6 {
		t.Errorf("probabilities: max |diff| %g", d)
	}
	l, err := e.Predict(context.Background(), x, true)
	if err != nil {
		t.Fatal(err)
	}
	if d := testutil.MaxAbsDiff(asND(l), logits); d > logitTol {
		t.Errorf("logits: max |diff| %g", d)
	}
}

// TestLogitsOfSoftmaxModel appends a Softmax to the CNN fixture: the
// model then outputs probabilities, and logits=true must return the
// Softmax input (an intermediate value) equal to torch's logits, even
// while other predictions run concurrently and recycle buffers.
func TestLogitsOfSoftmaxModel(t *testing.T) {
	b, err := os.ReadFile("testdata/cnn.onnx")
	if err != nil {
		t.Fatal(err)
	}
	data := appendSoftmax(t, b)
	e := newEstimator()
	d, err := e.Load(context.Background(), sdk.LoadRequest{ModelBytes: data, Options: *sdk.NewOptions(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if d.Output != sdk.OutputProbabilities {
		t.Fatalf("output kind %v, want probabilities", d.Output)
	}
	x := fixtureInput(t, true)
	logits := readNPY(t, "cnn_logits.npy")
	done := make(chan error, 4)
	for w := 0; w < 4; w++ {
		go func() {
			for i := 0; i < 20; i++ {
				l, err := e.Predict(context.Background(), x, i%2 == 0)
				if err != nil {
					done <- err
					return
				}
				want := logits
				if i%2 == 1 {
					want = softmaxRows(logits, 16, 10)
				}
				if diff := testutil.MaxAbsDiff(asND(l), want); diff > logitTol {
					done <- fmt.Errorf("call %d (logits=%v): max |diff| %g", i, i%2 == 0, diff)
					return
				}
			}
			done <- nil
		}()
	}
	for w := 0; w < 4; w++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	p, err := newEstimator().Load(context.Background(), sdk.LoadRequest{ModelBytes: data,
		Options: *sdk.NewOptions(map[string]string{"output": "logits"})})
	if err != nil || p.Output != sdk.OutputLogits {
		t.Fatalf("output=logits: %v, %v", p.Output, err)
	}
}

// appendSoftmax rewrites a model so that its output goes through Softmax.
func appendSoftmax(t *testing.T, b []byte) []byte {
	t.Helper()
	mp := &onnxpb.ModelProto{}
	if err := proto.Unmarshal(b, mp); err != nil {
		t.Fatal(err)
	}
	g := mp.Graph
	out := g.Output[0].GetName()
	g.Node[len(g.Node)-1].Output[0] = "raw_logits"
	g.Node = append(g.Node, &onnxpb.NodeProto{OpType: proto.String("Softmax"), Name: proto.String("final_softmax"),
		Input: []string{"raw_logits"}, Output: []string{out},
		Attribute: []*onnxpb.AttributeProto{{Name: proto.String("axis"), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(1)}}})
	data, err := proto.Marshal(mp)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestLoadErrors(t *testing.T) {
	good, err := os.ReadFile("testdata/mlp.onnx")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		req  sdk.LoadRequest
		want string
	}{
		{"nothing", sdk.LoadRequest{}, "no model path"},
		{"missing file", sdk.LoadRequest{ModelPath: "testdata/nope.onnx"}, "no such file"},
		{"truncated", sdk.LoadRequest{ModelBytes: good[:len(good)/2]}, "parse model"},
		{"empty", sdk.LoadRequest{ModelBytes: []byte{}}, "no graph nodes"},
		{"bad threads", sdk.LoadRequest{ModelBytes: good, Options: *sdk.NewOptions(map[string]string{"threads": "0"})}, "threads"},
		{"bad output", sdk.LoadRequest{ModelBytes: good, Options: *sdk.NewOptions(map[string]string{"output": "raw"})}, "output"},
		{"unknown option", sdk.LoadRequest{ModelBytes: good, Options: *sdk.NewOptions(map[string]string{"thread": "2"})}, "thread"},
		{"bad input name", sdk.LoadRequest{ModelBytes: good, Options: *sdk.NewOptions(map[string]string{"input": "x"})}, "no such input"},
		{"bad output name", sdk.LoadRequest{ModelBytes: good, Options: *sdk.NewOptions(map[string]string{"output_name": "y"})}, "no such value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newEstimator().Load(context.Background(), tc.req)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestNoModel(t *testing.T) {
	e := newEstimator()
	if _, err := e.Predict(context.Background(), tensor.New(tensor.Float32, 1, 64), false); err == nil {
		t.Fatal("predict without a model succeeded")
	}
	if _, err := e.Describe(context.Background()); err == nil {
		t.Fatal("describe without a model succeeded")
	}
}

func TestConformance(t *testing.T) {
	for _, name := range []string{"mlp", "cnn"} {
		t.Run(name, func(t *testing.T) {
			sdktest.RunEstimator(t, newEstimator(), sdktest.Config{ModelPath: filepath.Join("testdata", name+".onnx")})
		})
	}
}
