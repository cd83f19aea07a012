package discovery

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func touch(t *testing.T, dir, name string, mode os.FileMode) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDirsOrder(t *testing.T) {
	got := Dirs([]string{"/flag1", "/flag2"}, "/env1"+string(os.PathListSeparator)+"/env2", "/opt/arthost/bin/arthost", "/home/u")
	want := []string{"/flag1", "/flag2", "/env1", "/env2", "/opt/arthost/bin", "/home/u/.arthost/plugins"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatal(diff)
	}
}

func TestFirstFoundWinsAndDuplicatesReported(t *testing.T) {
	root := t.TempDir()
	a, b := filepath.Join(root, "a"), filepath.Join(root, "b")
	first := touch(t, a, "arthost-plugin-onnx", 0o755)
	second := touch(t, b, "arthost-plugin-onnx", 0o755)
	gp := touch(t, b, "arthost-plugin-gp", 0o755)
	touch(t, b, "arthost-plugin-notexec", 0o644)
	touch(t, b, "unrelated", 0o755)
	got := List([]string{a, b, filepath.Join(root, "missing")})
	want := []Plugin{{Name: "gp", Path: gp}, {Name: "onnx", Path: first, Shadowed: []string{second}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatal(diff)
	}
	p, err := Find("onnx", []string{a, b})
	if err != nil || p.Path != first {
		t.Fatalf("find: %v %v", p, err)
	}
	var nf *NotFoundError
	if _, err := Find("sklearn", []string{a, b}); !errors.As(err, &nf) {
		t.Fatalf("unknown plugin: %v", err)
	}
	if p, err := Find(second, nil); err != nil || p.Name != "onnx" {
		t.Fatalf("by path: %v %v", p, err)
	}
}
