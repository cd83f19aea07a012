package remote

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestSocketDirSweepsDeadHosts(t *testing.T) {
	base := filepath.Join(t.TempDir(), "s")
	if err := os.Mkdir(base, 0o700); err != nil {
		t.Fatal(err)
	}
	dead := filepath.Join(base, "host-999999999") // above any pid_max
	os.MkdirAll(filepath.Join(dead, "plugin-dir1"), 0o700)
	alive := filepath.Join(base, "host-1") // init never exits
	os.Mkdir(alive, 0o700)
	other := filepath.Join(base, "unrelated")
	os.Mkdir(other, 0o700)
	dir, err := socketDir(base)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(base, "host-"+strconv.Itoa(os.Getpid())); dir != want {
		t.Fatalf("dir %s, want %s", dir, want)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("host folder: %v %v", fi.Mode(), err)
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Fatalf("dead host's folder not swept: %v", err)
	}
	for _, keep := range []string{alive, other} {
		if _, err := os.Stat(keep); err != nil {
			t.Fatalf("%s removed: %v", keep, err)
		}
	}
}

func TestSocketDirRefusesOpenBase(t *testing.T) {
	base := filepath.Join(t.TempDir(), "open")
	os.Mkdir(base, 0o777)
	os.Chmod(base, 0o777)
	if _, err := socketDir(base); err == nil || !strings.Contains(err.Error(), "0700") {
		t.Fatalf("group/world-writable base accepted: %v", err)
	}
}
