// Package hosttest starts real plugin processes for the host's tests.
package hosttest

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/arthost/arthost/host/remote"
	"github.com/arthost/arthost/internal/testbin"
)

// BuildPlugins compiles the linear example plugin into a temporary folder
// and returns the folder; call it from TestMain and remove the folder after.
func BuildPlugins() (string, error) {
	dir, err := os.MkdirTemp("", "arthost-host-test-")
	if err != nil {
		return "", err
	}
	_, err = testbin.Build(dir, map[string]string{"arthost-plugin-linear": "examples/plugins/linear"})
	return dir, err
}

// Main builds the plugins, points *dir at them, runs the tests and
// removes them: the TestMain of every host package whose tests start real
// plugin processes.
func Main(m *testing.M, dir *string) {
	d, err := BuildPlugins()
	if err != nil {
		panic(err)
	}
	*dir = d
	code := m.Run()
	os.RemoveAll(d)
	os.Exit(code)
}

// RepoFile returns the path of a file given relative to the repository root.
func RepoFile(rel string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", rel)
}

// StartLinear starts the linear plugin from dir with the small test model.
func StartLinear(t testing.TB, dir string, cfg remote.Config) *remote.Estimator {
	t.Helper()
	cfg.Plugin = "linear"
	cfg.Path = filepath.Join(dir, "arthost-plugin-linear")
	if cfg.ModelPath == "" {
		cfg.ModelPath = RepoFile("examples/plugins/linear/testdata/small.json")
	}
	if cfg.Name == "" {
		cfg.Name = "lin"
	}
	e, err := remote.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}
