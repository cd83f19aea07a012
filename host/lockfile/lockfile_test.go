package lockfile_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arthost/arthost/host/lockfile"
	"github.com/arthost/arthost/host/remote"
	"github.com/arthost/arthost/internal/testbin"
)

// TestTamperedPluginRefused locks the faulty plugin, then appends a byte
// to the executable: the launch must be refused; the original starts.
func TestTamperedPluginRefused(t *testing.T) {
	dir := t.TempDir()
	bins, err := testbin.Build(dir, map[string]string{"arthost-plugin-faulty": "examples/plugins/faulty"})
	if err != nil {
		t.Fatal(err)
	}
	path := bins["arthost-plugin-faulty"]
	lock, err := lockfile.New(map[string]string{"faulty": path})
	if err != nil {
		t.Fatal(err)
	}
	lockPath := filepath.Join(dir, lockfile.Name)
	if err := lock.Write(lockPath); err != nil {
		t.Fatal(err)
	}
	lock, err = lockfile.Read(lockPath)
	if err != nil {
		t.Fatal(err)
	}
	start := func() error {
		sc, err := lock.SecureConfig("faulty")
		if err != nil {
			t.Fatal(err)
		}
		e, err := remote.Start(context.Background(), remote.Config{Name: "f", Plugin: "faulty", Path: path, SecureConfig: sc})
		if err == nil {
			e.Close()
		}
		return err
	}
	if err := start(); err != nil {
		t.Fatalf("untampered plugin refused: %v", err)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{0})
	f.Close()
	err = start()
	if err == nil || !strings.Contains(err.Error(), "checksums did not match") {
		t.Fatalf("tampered plugin: %v, want a checksum mismatch", err)
	}
	if _, err := lock.SecureConfig("linear"); err == nil || !strings.Contains(err.Error(), "not in the lock file") {
		t.Fatalf("unlisted plugin: %v", err)
	}
}

func TestReadRejectsBadFiles(t *testing.T) {
	for name, text := range map[string]string{
		"not json":    "nope",
		"bad version": `{"version":2,"plugins":{}}`,
		"bad sum":     `{"version":1,"plugins":{"a":{"path":"/x","sha256":"zz"}}}`,
		"unknown key": `{"version":1,"plugins":{},"extra":1}`,
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "lock")
			os.WriteFile(p, []byte(text), 0o644)
			if _, err := lockfile.Read(p); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// FuzzRead: a lock file of any content is read or refused, never a panic,
// and what is read yields a SecureConfig for each plugin listed.
func FuzzRead(f *testing.F) {
	f.Add([]byte(`{"version":1,"plugins":{"a":{"path":"/x","sha256":"` + strings.Repeat("ab", 32) + `"}}}`))
	f.Add([]byte(`{"version":1,"plugins":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "lock")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		lf, err := lockfile.Read(p)
		if err != nil {
			return
		}
		for name := range lf.Plugins {
			if _, err := lf.SecureConfig(name); err != nil {
				t.Fatalf("listed plugin %q: %v", name, err)
			}
		}
	})
}
