package conformance

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/arthost/arthost/plugins/onnx/internal/graph"
	"github.com/arthost/arthost/plugins/onnx/internal/nd"
	"github.com/arthost/arthost/plugins/onnx/internal/ops"
	"github.com/arthost/arthost/plugins/onnx/internal/testutil"
)

// Tolerances of ../shared/onnx-real/README.md.
const realRtol, realAtol = 1e-3, 1e-5

// sharedDir returns <repo root>/../shared, located from the go.mod above
// the working directory.
func sharedDir(t *testing.T) string {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Skipf("skipping: cannot locate the repository root: %v", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	return filepath.Join(filepath.Dir(root), "shared")
}

func TestRealExports(t *testing.T) {
	dir := filepath.Join(sharedDir(t), "onnx-real")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("skipping: %s absent (the shared real-export set)", dir)
	}
	models, _ := filepath.Glob(filepath.Join(dir, "*", "model.onnx"))
	if len(models) == 0 {
		t.Fatalf("no models under %s", dir)
	}
	reg := ops.NewRegistry()
	for _, path := range models {
		name := filepath.Base(filepath.Dir(path))
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			m, err := graph.Load(b, reg)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			x, err := testutil.ReadNPY(filepath.Join(filepath.Dir(path), "input.npy"))
			if err != nil {
				t.Fatal(err)
			}
			env, err := m.Run(&ops.Ctx{Threads: 1}, map[string]*nd.Array{m.Inputs[0].Name: x}, false)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			for k, o := range m.Outputs {
				want, err := testutil.ReadNPY(filepath.Join(filepath.Dir(path), "output_"+strconv.Itoa(k)+".npy"))
				if err != nil {
					t.Fatal(err)
				}
				if err := testutil.AllClose(m.Get(env, o.Name), want, realRtol, realAtol); err != nil {
					t.Errorf("output %d %q: %v", k, o.Name, err)
				}
			}
		})
	}
}
