// Package depcheck enforces the dependency direction of DESIGN.md: plugins
// and sdk import shared, host imports shared, cmd imports host; nothing
// imports cmd or a plugin; a plugin never imports host or another plugin;
// shared imports neither sdk nor host.
package depcheck

import (
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/arthost/arthost/"

func TestImportDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps=false", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", mod+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], mod)
		for _, imp := range fields[1:] {
			if !strings.HasPrefix(imp, mod) {
				continue
			}
			dep := strings.TrimPrefix(imp, mod)
			if why := forbidden(pkg, dep); why != "" {
				t.Errorf("%s imports %s: %s", pkg, dep, why)
			}
		}
	}
}

func top(p string) string { return strings.SplitN(p, "/", 2)[0] }

// pluginOf returns "plugins/NAME" for a package inside a plugin.
func pluginOf(p string) string {
	parts := strings.Split(p, "/")
	if len(parts) >= 2 && parts[0] == "plugins" {
		return parts[0] + "/" + parts[1]
	}
	return ""
}

func forbidden(pkg, dep string) string {
	switch {
	case top(dep) == "cmd":
		return "nothing imports cmd"
	case pluginOf(dep) != "" && pluginOf(dep) != pluginOf(pkg):
		return "nothing imports a plugin but the plugin itself"
	case pluginOf(pkg) != "" && top(dep) == "host":
		return "a plugin never imports host"
	case top(pkg) == "shared" && (top(dep) == "sdk" || top(dep) == "host"):
		return "shared imports neither sdk nor host"
	case top(pkg) == "sdk" && top(dep) == "host":
		return "the sdk never imports host"
	case top(pkg) == "host" && top(dep) == "sdk":
		return "the host never imports the sdk"
	}
	return ""
}

func TestForbiddenRules(t *testing.T) {
	for _, c := range []struct {
		pkg, dep string
		bad      bool
	}{
		{"plugins/onnx", "shared/tensor", false},
		{"plugins/onnx", "host", true},
		{"plugins/onnx/internal/ops", "plugins/onnx/internal/graph", false},
		{"plugins/gp", "plugins/sklearn/internal/model", true},
		{"host/remote", "plugins/onnx", true},
		{"shared/tensor", "sdk", true},
		{"cmd/arthost", "host/remote", false},
		{"host/remote", "cmd/arthost", true},
	} {
		if got := forbidden(c.pkg, c.dep) != ""; got != c.bad {
			t.Errorf("%s -> %s: forbidden %v, want %v", c.pkg, c.dep, got, c.bad)
		}
	}
}
