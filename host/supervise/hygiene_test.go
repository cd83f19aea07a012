package supervise_test

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/arthost/arthost/host/remote"
	"github.com/arthost/arthost/host/supervise"
)

// TestProcessHygiene checks a running plugin from the outside: its
// environment is the allowlist, its socket folder is private and removed
// when it stops, and its memory limit is set.
func TestProcessHygiene(t *testing.T) {
	t.Setenv("ARTHOST_TEST_SECRET_TOKEN", "hunter2")
	s, _ := startFaulty(t, nil, supervise.Config{Remote: remote.Config{MemoryLimit: 300 << 20}})
	pid := s.Status().PID
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		t.Fatal(err)
	}
	env := strings.Split(string(raw), "\x00")
	sockets := ""
	for _, kv := range env {
		if strings.Contains(kv, "hunter2") {
			t.Fatalf("the plugin inherited %s", kv)
		}
		if v, ok := strings.CutPrefix(kv, "PLUGIN_UNIX_SOCKET_DIR="); ok {
			sockets = v
		}
	}
	fi, err := os.Stat(sockets)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("socket folder %q: mode %v, %v", sockets, fi.Mode(), err)
	}
	limits, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(fmt.Sprintf(`Max data size +%d +%d `, 300<<20, 300<<20)).Match(limits) {
		t.Fatalf("no data limit:\n%s", limits)
	}
	s.Close()
	if _, err := os.Stat(sockets); !os.IsNotExist(err) {
		t.Fatalf("socket folder %s still there after Close: %v", sockets, err)
	}
}
