package tensor

import (
	"fmt"
	"os"
	"runtime/debug"
	"syscall"
)

const noFollow = syscall.O_NOFOLLOW

// fileID names a file whatever it is called now: pooled files are renamed
// on every use, and each side keeps its mapping across the renames.
type fileID struct{ dev, ino uint64 }

type mapping struct {
	data []byte
}

// mappings caches this side's MAP_SHARED mappings of spool files, so that
// a file used again costs neither a new mapping nor page faults.
type mappings struct {
	m map[fileID]*mapping
}

func idOf(info os.FileInfo) (fileID, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{uint64(st.Dev), uint64(st.Ino)}, true
}

// get returns a mapping of the first size bytes of f, the file info
// describes, which must be f's whole length.
func (c *mappings) get(f *os.File, info os.FileInfo, size int) (*mapping, error) {
	id, ok := idOf(info)
	if !ok {
		return nil, fmt.Errorf("file %s: no inode", info.Name())
	}
	if m := c.m[id]; m != nil {
		if len(m.data) == size {
			return m, nil
		}
		syscall.Munmap(m.data)
		delete(c.m, id)
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED|syscall.MAP_POPULATE)
	if err != nil {
		return nil, fmt.Errorf("map %s: %w", info.Name(), err)
	}
	if c.m == nil {
		c.m = map[fileID]*mapping{}
	}
	m := &mapping{data: data}
	c.m[id] = m
	return m, nil
}

// write sizes f (info is what it was when opened) to len(data) and copies
// data into it.
func (c *mappings) write(f *os.File, info os.FileInfo, data []byte) error {
	if info.Size() != int64(len(data)) {
		if err := f.Truncate(int64(len(data))); err != nil {
			return err
		}
	}
	m, err := c.get(f, info, len(data))
	if err != nil {
		return err
	}
	return guardedCopy(m.data, data)
}

// read returns a copy of the bytes of f (info is what it was when opened,
// and its size has been checked) in fresh memory. The copy is made by
// append, which (unlike make) does not zero the memory first; a large
// allocation is page-aligned, so the codec can view it in place.
func (c *mappings) read(f *os.File, info os.FileInfo) (out []byte, err error) {
	size := int(info.Size())
	if size == 0 {
		return []byte{}, nil
	}
	m, err := c.get(f, info, size)
	if err != nil {
		return nil, err
	}
	err = guarded(func() { out = append([]byte(nil), m.data...) })
	return out, err
}

// guardedCopy copies between a mapping and Go memory.
func guardedCopy(dst, src []byte) error {
	if len(dst) != len(src) {
		return fmt.Errorf("copy of %d bytes into %d", len(src), len(dst))
	}
	return guarded(func() { copy(dst, src) })
}

// guarded runs f, turning the SIGBUS of a mapped file the peer shrank
// meanwhile into an error instead of a crash.
func guarded(f func()) (err error) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			err = fmt.Errorf("shared-memory file changed while being copied: %v", r)
		}
	}()
	f()
	return nil
}

func (c *mappings) drop(info os.FileInfo) {
	if id, ok := idOf(info); ok {
		if m := c.m[id]; m != nil {
			syscall.Munmap(m.data)
			delete(c.m, id)
		}
	}
}

// prune unmaps every file not among live.
func (c *mappings) prune(live []os.FileInfo) {
	keep := map[fileID]bool{}
	for _, info := range live {
		if id, ok := idOf(info); ok {
			keep[id] = true
		}
	}
	for id, m := range c.m {
		if !keep[id] {
			syscall.Munmap(m.data)
			delete(c.m, id)
		}
	}
}

func (c *mappings) count() int { return len(c.m) }

func (c *mappings) clear() {
	for id, m := range c.m {
		syscall.Munmap(m.data)
		delete(c.m, id)
	}
}
