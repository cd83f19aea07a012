// Package testbin builds the project's executables for tests that need
// real processes (the arthost CLI, the plugins) into a folder of the
// test's choosing.
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Module is the import path of this repository.
const Module = "github.com/arthost/arthost"

// Build compiles each package (a path relative to the module, such as
// "examples/plugins/linear") into dir under the given binary name and
// returns the binaries' paths by name.
func Build(dir string, binaries map[string]string) (map[string]string, error) {
	out := map[string]string{}
	for name, pkg := range binaries {
		out[name] = filepath.Join(dir, name)
		cmd := exec.Command(goTool(), "build", "-o", out[name], Module+"/"+pkg)
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("build %s: %v\n%s", pkg, err, b)
		}
	}
	return out, nil
}

// goTool prefers the go command of the toolchain running the tests.
func goTool() string {
	if root := os.Getenv("GOROOT"); root != "" {
		p := filepath.Join(root, "bin", "go")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "go"
}
