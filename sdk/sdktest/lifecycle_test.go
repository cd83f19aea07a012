package sdktest

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/arthost/arthost/internal/testbin"
	"github.com/arthost/arthost/shared/estimatorv1"
)

func TestAsProtocolMismatch(t *testing.T) {
	t.Parallel()
	if AsProtocolMismatch(nil) != nil {
		t.Error("nil error became non-nil")
	}
	other := errors.New("plugin exited before we could connect")
	if AsProtocolMismatch(other) != other {
		t.Error("an unrelated error was changed")
	}
	// go-plugin v1.8.0's message, as checkProtoVersion builds it.
	gp := fmt.Errorf("incompatible API version with plugin. Plugin version: %d, Client versions: %d", 2, []int{1})
	err := AsProtocolMismatch(gp)
	var pm *ProtocolMismatchError
	if !errors.As(err, &pm) || pm.Plugin != 2 || pm.Host != 1 || !errors.Is(err, gp) {
		t.Fatalf("got %#v", err)
	}
	if want := "plugin speaks protocol version 2, this host speaks version 1"; err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
}

func TestLaunchCheckedAndKilledRealPlugin(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("unix only")
	}
	bins, err := testbin.Build(t.TempDir(), map[string]string{"linear": "examples/plugins/linear"})
	if err != nil {
		t.Fatal(err)
	}
	p, res := LaunchChecked(bins["linear"], LaunchOptions{})
	if p == nil || len(res) != 2 || !Passed(res) {
		t.Fatalf("launch: %v", res)
	}
	defer p.Kill()
	if r := CheckKilled(context.Background(), p, 10*time.Second); !r.Passed {
		t.Fatal(r)
	}
	if processExists(p.Pid) {
		t.Errorf("pid %d exists after a passed kill check", p.Pid)
	}
	if runtime.GOOS != "linux" {
		return
	}
	// The same plugin behind a launcher that leaves a helper running.
	launcher := filepath.Join(t.TempDir(), "with-helper")
	if err := writeExecutable(launcher, "#!/bin/sh\nsleep 30 &\nexec "+bins["linear"]+"\n"); err != nil {
		t.Fatal(err)
	}
	p, res = LaunchChecked(launcher, LaunchOptions{})
	if p == nil {
		t.Fatalf("launch with helper: %v", res)
	}
	defer p.Kill()
	helpers := descendants(p.Pid)
	if len(helpers) != 1 {
		t.Fatalf("descendants of the launcher: %v, want the sleep helper", helpers)
	}
	r := CheckKilled(context.Background(), p, 500*time.Millisecond)
	if r.Passed || !strings.Contains(r.Detail, fmt.Sprintf("child pid %d of plugin pid %d outlived it", helpers[0], p.Pid)) {
		t.Fatalf("got %v", r)
	}
	deadline := time.Now().Add(5 * time.Second)
	for processExists(helpers[0]) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if processExists(helpers[0]) {
		t.Errorf("helper pid %d left running after the check", helpers[0])
	}
}

func TestLaunchCheckedNotAPlugin(t *testing.T) {
	path := filepath.Join(t.TempDir(), "talker")
	script := "#!/bin/sh\necho hello\n"
	if err := writeExecutable(path, script); err != nil {
		t.Fatal(err)
	}
	p, res := LaunchChecked(path, LaunchOptions{DisableMTLS: true})
	if p != nil || len(res) != 1 || res[0].Passed || !strings.Contains(res[0].Detail, "hello") {
		t.Fatalf("got %v", res)
	}
	if strings.Contains(res[0].Detail, "\n") {
		t.Errorf("detail spans lines: %q", res[0].Detail)
	}
}

// sleeper starts a process that stands in for a plugin; the caller reaps it.
func sleeper(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Skip("no sleep command:", err)
	}
	return cmd
}

func TestCheckKilledCatchesAnswerAfterKill(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("unix only")
	}
	c, stop := Serve(liar{})
	defer stop()
	if _, err := c.Load(context.Background(), &estimatorv1.LoadRequest{}); err != nil {
		t.Fatal(err)
	}
	cmd := sleeper(t)
	defer cmd.Wait()
	r := CheckKilled(context.Background(), &Plugin{Client: c, Pid: cmd.Process.Pid}, time.Second)
	if r.Passed || !strings.Contains(r.Detail, "yet Describe answered") {
		t.Fatalf("got %v", r)
	}
}

func TestCheckKilledCatchesLeftoverProcess(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("unix only")
	}
	conn, err := grpc.NewClient("unix:///nonexistent/arthost.sock", grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Nobody reaps the killed sleeper during the check, so it stays a
	// zombie: a process that remains.
	cmd := sleeper(t)
	defer cmd.Wait()
	r := CheckKilled(context.Background(), &Plugin{Client: estimatorv1.NewEstimatorClient(conn), Pid: cmd.Process.Pid}, 300*time.Millisecond)
	if r.Passed || !strings.Contains(r.Detail, "still exists") {
		t.Fatalf("got %v", r)
	}
}
