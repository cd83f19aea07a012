package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/arthost/arthost/internal/testbin"
)

// pythonPluginReady reports whether Debian's python3 has what the Python
// example plugin needs (python3-grpcio, python3-numpy, python3-cryptography).
func pythonPluginReady() bool {
	return exec.Command("/usr/bin/python3", "-c", "import grpc, numpy, cryptography").Run() == nil
}

// TestPluginsTestScripts runs the scripts of `arthost plugins test` in
// testdata/plugins_test against the linear example, the deliberately broken
// plugin of testdata/brokenplugin and, when Debian's python3 has its
// packages, the Python example. [python] guards the Python scripts; set
// ARTHOST_REQUIRE_PYTHON=1 (as CI does) to fail instead of skipping.
func TestPluginsTestScripts(t *testing.T) {
	dir := t.TempDir()
	if _, err := testbin.Build(dir, map[string]string{
		"arthost-plugin-linear": "examples/plugins/linear",
		"arthost-plugin-broken": "cmd/arthost/testdata/brokenplugin",
	}); err != nil {
		t.Fatal(err)
	}
	// The broken plugin picks its breakage from its name.
	for _, mode := range []string{"shapes", "lies", "protocol2"} {
		if err := os.Link(filepath.Join(dir, "arthost-plugin-broken"), filepath.Join(dir, "arthost-plugin-broken-"+mode)); err != nil {
			t.Fatal(err)
		}
	}
	python := pythonPluginReady()
	if !python && os.Getenv("ARTHOST_REQUIRE_PYTHON") == "1" {
		t.Fatal("ARTHOST_REQUIRE_PYTHON=1 but /usr/bin/python3 lacks grpc, numpy or cryptography (apt-get install python3-grpcio python3-numpy python3-cryptography)")
	}
	launcher, err := filepath.Abs("../../examples/plugins/python/arthost-plugin-pysoftmax")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(launcher, filepath.Join(dir, "arthost-plugin-pysoftmax")); err != nil {
		t.Fatal(err)
	}
	model, err := filepath.Abs("../../examples/plugins/linear/testdata/small.json")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/plugins_test",
		Setup: func(env *testscript.Env) error {
			env.Setenv("ARTHOST_PLUGIN_PATH", dir)
			env.Setenv("MODEL", model)
			env.Setenv("HOME", env.WorkDir)
			return nil
		},
		Condition: func(cond string) (bool, error) {
			if cond == "python" {
				return python, nil
			}
			return false, nil
		},
	})
}
