package tensor

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/arthost/arthost/shared/estimatorv1"
)

// sides returns two spools on one folder with its pool, as the host and a
// plugin see it.
func sides(t *testing.T) (*Spool, *Spool) {
	dir, err := NewSpoolDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	a, b := &Spool{Dir: dir}, &Spool{Dir: dir}
	t.Cleanup(func() { a.Close(); b.Close(); RemoveSpoolDir(dir) })
	return a, b
}

func bigTensor(seed float32, n int) Tensor {
	x := New(Float32, n)
	for i := range x.F32 {
		x.F32[i] = seed + float32(i)
	}
	return x
}

// send puts x on from and takes it on to, checking the values arrive and
// the spool folder is empty afterwards.
func send(t *testing.T, from, to *Spool, x Tensor) Tensor {
	t.Helper()
	p, err := ToProto(x)
	if err != nil {
		t.Fatal(err)
	}
	if err := from.Put(p); err != nil {
		t.Fatal(err)
	}
	if p.ShmFile == "" {
		t.Fatal("not spooled")
	}
	if err := to.Take(p); err != nil {
		t.Fatal(err)
	}
	got, err := FromProto(p)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(x.F32, got.F32) {
		t.Fatal("values changed on the way")
	}
	if left, _ := os.ReadDir(from.Dir); len(left) != 0 {
		t.Fatalf("spool folder not emptied: %v", left)
	}
	return got
}

func TestSpoolPoolReusesFilesAndKeepsResultsStable(t *testing.T) {
	host, plugin := sides(t)
	n := ShmThreshold/4 + 5
	first := send(t, host, plugin, bigTensor(1, n))
	parked, _ := os.ReadDir(host.Dir + PoolSuffix)
	if len(parked) != 1 {
		t.Fatalf("pool holds %d files after a transfer, want 1", len(parked))
	}
	// The answer reuses the parked file, and overwriting it must not
	// change the tensor the receiver already has.
	keep := append([]float32(nil), first.F32...)
	send(t, plugin, host, bigTensor(1000, n))
	if !slices.Equal(keep, first.F32) {
		t.Fatal("an earlier result changed when its file was reused")
	}
	// A different size reuses the file too (resized), both ways.
	send(t, host, plugin, bigTensor(7, 2*n))
	send(t, plugin, host, bigTensor(9, n+1))
	if parked, _ := os.ReadDir(host.Dir + PoolSuffix); len(parked) != 1 {
		t.Fatalf("pool holds %d files after four transfers one at a time, want 1", len(parked))
	}
}

func TestSpoolPoolIsBounded(t *testing.T) {
	host, plugin := sides(t)
	var ps []*estimatorv1.Tensor
	for i := 0; i < maxPooled+3; i++ {
		p, _ := ToProto(bigTensor(float32(i), ShmThreshold/4))
		if err := host.Put(p); err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	for _, p := range ps {
		if err := plugin.Take(p); err != nil {
			t.Fatal(err)
		}
	}
	if parked, _ := os.ReadDir(host.Dir + PoolSuffix); len(parked) != maxPooled {
		t.Fatalf("pool holds %d files, want the bound %d", len(parked), maxPooled)
	}
	if left, _ := os.ReadDir(host.Dir); len(left) != 0 {
		t.Fatalf("spool folder not emptied: %v", left)
	}
}

func TestSpoolConcurrent(t *testing.T) {
	host, plugin := sides(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < 5; r++ {
				x := bigTensor(float32(g*100+r), ShmThreshold/4+g)
				p, _ := ToProto(x)
				from, to := host, plugin
				if r%2 == 1 {
					from, to = plugin, host
				}
				if err := from.Put(p); err != nil {
					errs <- err
					return
				}
				if err := to.Take(p); err != nil {
					errs <- err
					return
				}
				got, err := FromProto(p)
				if err != nil {
					errs <- err
					return
				}
				if !slices.Equal(got.F32, x.F32) {
					errs <- fmt.Errorf("goroutine %d round %d: values changed", g, r)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestSpoolTakeRefusesWrongSizeAndLinks(t *testing.T) {
	host, plugin := sides(t)
	p, _ := ToProto(bigTensor(1, ShmThreshold/4))
	if err := host.Put(p); err != nil {
		t.Fatal(err)
	}
	p.Shape[0]++ // the file no longer matches the declared shape
	if err := plugin.Take(p); err == nil {
		t.Fatal("a file of the wrong size was accepted")
	}
	if left, _ := os.ReadDir(host.Dir); len(left) != 0 {
		t.Fatalf("refused file left in the spool: %v", left)
	}

	outside := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(outside, make([]byte, 16), 0o600)
	if err := os.Symlink(outside, filepath.Join(host.Dir, "link.tensor")); err != nil {
		t.Fatal(err)
	}
	q, _ := ToProto(New(Float32, 4))
	q.Data, q.ShmFile = nil, "link.tensor"
	if err := plugin.Take(q); err == nil {
		t.Fatal("a symbolic link out of the spool was followed")
	}
}

func TestSpoolDiscard(t *testing.T) {
	host, _ := sides(t)
	p, _ := ToProto(bigTensor(1, ShmThreshold/4))
	if err := host.Put(p); err != nil {
		t.Fatal(err)
	}
	host.Discard(p)
	host.Discard(&estimatorv1.Tensor{ShmFile: "../x"})
	if left, _ := os.ReadDir(host.Dir); len(left) != 0 {
		t.Fatalf("discarded file left in the spool: %v", left)
	}
}
