package tensor

import (
	"fmt"
	"testing"
)

// BenchmarkSpoolCall is the shared-memory part of one call: the host puts
// the input, the plugin takes it, puts an answer of the same size, and
// the host takes that (in one process, on the memory-backed spool base).
// Next to it, inline: the copies the gRPC path makes of the same bytes at
// the least (encode view, one copy each way).
func BenchmarkSpoolCall(b *testing.B) {
	dir, err := NewSpoolDir(b.TempDir())
	if base := SpoolBase(); base == "/dev/shm" {
		dir, err = NewSpoolDir(base)
	}
	if err != nil {
		b.Fatal(err)
	}
	host, plugin := &Spool{Dir: dir}, &Spool{Dir: dir}
	b.Cleanup(func() { host.Close(); plugin.Close(); RemoveSpoolDir(dir) })
	for _, kib := range []int{16, 64, 256} {
		x := New(Float32, kib<<10/4)
		b.Run(fmt.Sprintf("kib=%d", kib), func(b *testing.B) {
			b.SetBytes(2 * int64(kib) << 10)
			for b.Loop() {
				for _, pair := range [][2]*Spool{{host, plugin}, {plugin, host}} {
					p, err := ToProto(x)
					if err != nil {
						b.Fatal(err)
					}
					if err := pair[0].put(p, 0); err != nil {
						b.Fatal(err)
					}
					if err := pair[1].Take(p); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
