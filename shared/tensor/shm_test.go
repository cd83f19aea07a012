package tensor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSpoolRoundTrip(t *testing.T) {
	s := &Spool{Dir: t.TempDir()}
	big := New(Float32, ShmThreshold/4+3)
	for i := range big.F32 {
		big.F32[i] = float32(i)
	}
	p, err := ToProto(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(p); err != nil {
		t.Fatal(err)
	}
	if p.ShmFile == "" || len(p.Data) != 0 {
		t.Fatalf("large tensor not spooled: file %q, %d inline bytes", p.ShmFile, len(p.Data))
	}
	if err := s.Take(p); err != nil {
		t.Fatal(err)
	}
	got, err := FromProto(p)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(big.F32, got.F32); diff != "" {
		t.Fatal(diff)
	}
	if left, _ := os.ReadDir(s.Dir); len(left) != 0 {
		t.Fatalf("spool not emptied: %v", left)
	}
}

func TestSpoolKeepsSmallTensorsInline(t *testing.T) {
	s := &Spool{Dir: t.TempDir()}
	p, _ := ToProto(New(Float64, 10))
	if err := s.Put(p); err != nil || p.ShmFile != "" {
		t.Fatalf("small tensor spooled (%v)", err)
	}
	var none *Spool
	big, _ := ToProto(New(Float64, ShmThreshold))
	if err := none.Put(big); err != nil || big.ShmFile != "" {
		t.Fatal("nil spool must send inline")
	}
}

func TestSpoolTakeRefuses(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(filepath.Dir(dir), "secret")
	os.WriteFile(secret, []byte("x"), 0o600)
	defer os.Remove(secret)
	s := &Spool{Dir: dir}
	for name, file := range map[string]string{
		"path traversal": "../secret",
		"absolute":       secret,
		"dot dot":        "..",
		"missing":        "nothere.tensor",
	} {
		t.Run(name, func(t *testing.T) {
			p, _ := ToProto(New(Float32, 1))
			p.Data, p.ShmFile = nil, file
			if err := s.Take(p); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	var none *Spool
	p, _ := ToProto(New(Float32, 1))
	p.ShmFile = "x.tensor"
	if err := none.Take(p); err == nil || !strings.Contains(err.Error(), "no shared-memory folder") {
		t.Fatalf("nil spool: %v", err)
	}
}
