package conformance

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/arthost/arthost/plugins/onnx/internal/graph"
	"github.com/arthost/arthost/plugins/onnx/internal/nd"
	"github.com/arthost/arthost/plugins/onnx/internal/onnxpb"
	"github.com/arthost/arthost/plugins/onnx/internal/ops"
	"github.com/arthost/arthost/plugins/onnx/internal/testutil"
)

// backendData is where Debian's libonnx-testdata installs the suites.
const backendData = "/usr/share/libonnx-testdata/data"

// ONNX's backend test tolerances.
const backendRtol, backendAtol = 1e-3, 1e-7

// outcome of one backend test case.
type outcome struct {
	op, status, reason string
}

// tally counts outcomes per op.
type tally map[string]*[3]int

func (t tally) add(o outcome) {
	c, ok := t[o.op]
	if !ok {
		c = &[3]int{}
		t[o.op] = c
	}
	switch o.status {
	case "pass":
		c[0]++
	case "fail":
		c[1]++
	default:
		c[2]++
	}
}

func TestONNXBackend(t *testing.T) {
	if _, err := os.Stat(backendData); err != nil {
		t.Skipf("skipping: %s absent (apt-get install libonnx-testdata)", backendData)
	}
	reg := ops.NewRegistry()
	for _, suite := range []string{"node", "pytorch-converted", "pytorch-operator"} {
		t.Run(suite, func(t *testing.T) {
			dirs, _ := filepath.Glob(filepath.Join(backendData, suite, "test_*"))
			counts := tally{}
			var failed []string
			for _, dir := range dirs {
				o := runCase(dir, reg, suite == "node")
				counts.add(o)
				name := filepath.Base(dir)
				switch o.status {
				case "fail":
					failed = append(failed, name+": "+o.reason)
				case "skip":
					t.Logf("skip %s (%s): %s", name, o.op, o.reason)
				}
			}
			report(t, suite, counts)
			for _, f := range failed {
				t.Errorf("FAIL %s", f)
			}
		})
	}
}

func report(t *testing.T, suite string, counts tally) {
	keys := make([]string, 0, len(counts))
	var tot [3]int
	for k, c := range counts {
		keys = append(keys, k)
		for i := range tot {
			tot[i] += c[i]
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "suite %s: passed %d, failed %d, skipped %d\n", suite, tot[0], tot[1], tot[2])
	fmt.Fprintf(&b, "  %-28s %6s %6s %7s\n", "op", "passed", "failed", "skipped")
	for _, k := range keys {
		c := counts[k]
		fmt.Fprintf(&b, "  %-28s %6d %6d %7d\n", k, c[0], c[1], c[2])
	}
	t.Log("\n" + b.String())
}

// runCase loads dir/model.onnx and checks every output of
// test_data_set_0. In the node suite a model using an op outside the
// runtime's scope, or a dtype other than float/int/bool, is a skip with the
// reason; everything else that goes wrong is a failure.
func runCase(dir string, reg *ops.Registry, nodeSuite bool) outcome {
	b, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
	if err != nil {
		return outcome{"?", "fail", err.Error()}
	}
	mp := &onnxpb.ModelProto{}
	if err := proto.Unmarshal(b, mp); err != nil {
		return outcome{"?", "fail", err.Error()}
	}
	op := mainOp(mp)
	if !nodeSuite {
		op = filepath.Base(dir)
		op = strings.TrimPrefix(op, "test_")
		op = strings.TrimPrefix(op, "operator_")
		if i := strings.Index(op, "_"); i > 0 {
			op = op[:i]
		}
	}
	for _, n := range mp.GetGraph().GetNode() {
		if _, ok := reg.Lookup(n.GetOpType()); !ok || (n.GetDomain() != "" && n.GetDomain() != "ai.onnx") {
			return outcome{op, "skip", fmt.Sprintf("op %s is not in the runtime's scope", n.GetOpType())}
		}
	}
	m, err := graph.FromProto(mp, reg)
	if err != nil {
		if isUnsupported(err) {
			return outcome{op, "skip", err.Error()}
		}
		return outcome{op, "fail", "load: " + err.Error()}
	}
	feeds, wants, err := readDataSet(filepath.Join(dir, "test_data_set_0"), mp)
	if err != nil {
		if isUnsupported(err) {
			return outcome{op, "skip", err.Error()}
		}
		return outcome{op, "fail", err.Error()}
	}
	env, err := m.Run(&ops.Ctx{Threads: 1}, feeds, false)
	if err != nil {
		return outcome{op, "fail", "run: " + err.Error()}
	}
	for i, o := range mp.GetGraph().GetOutput() {
		if i >= len(wants) {
			break
		}
		if err := testutil.AllClose(m.Get(env, o.GetName()), wants[i], backendRtol, backendAtol); err != nil {
			return outcome{op, "fail", fmt.Sprintf("output %q: %v", o.GetName(), err)}
		}
	}
	return outcome{op, "pass", ""}
}

// isUnsupported says whether a load error is a declared limitation (dtype
// or mode outside the float32 runtime) rather than a bug.
func isUnsupported(err error) bool {
	return strings.Contains(err.Error(), "not supported")
}

// mainOp names a node test by its first non-Constant op.
func mainOp(mp *onnxpb.ModelProto) string {
	for _, n := range mp.GetGraph().GetNode() {
		if n.GetOpType() != "Constant" {
			return n.GetOpType()
		}
	}
	return "Constant"
}

func readDataSet(dir string, mp *onnxpb.ModelProto) (map[string]*nd.Array, []*nd.Array, error) {
	g := mp.GetGraph()
	inits := map[string]bool{}
	for _, t := range g.GetInitializer() {
		inits[t.GetName()] = true
	}
	feeds := map[string]*nd.Array{}
	k := 0
	for _, vi := range g.GetInput() {
		if inits[vi.GetName()] {
			continue
		}
		a, _, err := testutil.ReadTensorPB(filepath.Join(dir, fmt.Sprintf("input_%d.pb", k)))
		if err != nil {
			return nil, nil, fmt.Errorf("input %d: %w", k, err)
		}
		feeds[vi.GetName()] = a
		k++
	}
	var wants []*nd.Array
	for i := range g.GetOutput() {
		a, _, err := testutil.ReadTensorPB(filepath.Join(dir, fmt.Sprintf("output_%d.pb", i)))
		if err != nil {
			return nil, nil, fmt.Errorf("output %d: %w", i, err)
		}
		wants = append(wants, a)
	}
	return feeds, wants, nil
}
