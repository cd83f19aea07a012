package supervise_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/arthost/arthost/host/remote"
	"github.com/arthost/arthost/host/supervise"
)

// helperEnv makes the test binary play a host: it starts two supervised
// plugins from the folder in the variable, prints their pids and waits to
// be killed.
const helperEnv = "ARTHOST_SUPERVISE_HELPER_HOST"

func helperHost() {
	dir := os.Getenv(helperEnv)
	var pids []string
	for i := 0; i < 2; i++ {
		s, err := supervise.New(context.Background(), supervise.Config{Remote: remote.Config{
			Name: fmt.Sprintf("faulty%d", i), Plugin: "faulty", Path: filepath.Join(dir, "arthost-plugin-faulty"),
		}})
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		pids = append(pids, strconv.Itoa(s.Status().PID))
	}
	fmt.Println("pids", strings.Join(pids, " "))
	select {}
}

// TestHostKilledLeavesNoPlugin kills a host with SIGKILL while its plugins
// run; Pdeathsig must take the plugins down with it.
func TestHostKilledLeavesNoPlugin(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+pluginDir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "pids ") {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper host said %q (%v)", line, err)
	}
	var pids []int
	for _, f := range strings.Fields(strings.TrimPrefix(line, "pids ")) {
		pid, _ := strconv.Atoi(f)
		if syscall.Kill(pid, 0) != nil {
			t.Fatalf("plugin pid %d is not running before the host is killed", pid)
		}
		pids = append(pids, pid)
	}
	t.Cleanup(func() {
		if t.Failed() { // do not leave survivors behind
			for _, pid := range pids {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for _, pid := range pids {
		for syscall.Kill(pid, 0) == nil && !zombie(pid) {
			if time.Now().After(deadline) {
				t.Fatalf("plugin pid %d survived its host's SIGKILL", pid)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitNoPlugins(t)
	t.Logf("host SIGKILLed; plugins %v gone", pids)
}

// zombie reports whether pid has exited but is not reaped yet (its parent,
// the killed host, is gone, so init reaps it shortly).
func zombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	return strings.HasPrefix(rest, "Z")
}
