//go:build !linux

package tensor

import (
	"io"
	"os"
	"unsafe"
)

const noFollow = 0

// mappings is the portable fallback: plain reads and writes of the file.
type mappings struct{}

func (mappings) write(f *os.File, _ os.FileInfo, data []byte) error {
	if err := f.Truncate(int64(len(data))); err != nil {
		return err
	}
	_, err := f.WriteAt(data, 0)
	return err
}

func (mappings) read(f *os.File, info os.FileInfo) ([]byte, error) {
	size := int(info.Size())
	// Allocate as 8-byte words so the codec can view the bytes in place.
	words := make([]uint64, (size+7)/8)
	dst := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(words))), len(words)*8)[:size]
	_, err := io.ReadFull(io.NewSectionReader(f, 0, int64(size)), dst)
	return dst, err
}

func (mappings) drop(os.FileInfo)    {}
func (mappings) prune([]os.FileInfo) {}
func (mappings) clear()              {}
func (mappings) count() int          { return 0 }
