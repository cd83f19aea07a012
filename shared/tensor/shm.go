package tensor

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/arthost/arthost/shared/estimatorv1"
)

// EnvShmDir is the environment variable through which the host gives a
// plugin its private shared-memory folder.
const EnvShmDir = "ARTHOST_SHM_DIR"

// ShmThreshold is the size from which a tensor travels through shared
// memory: below it the copy through gRPC costs less than a file.
const ShmThreshold = 1 << 20

// Spool moves large tensors through files in a private folder on a
// memory-backed file system, which costs one copy each way instead of the
// several copies (marshal, HTTP/2 framing, TLS, socket, unmarshal) of a
// gRPC message. A nil *Spool sends everything inline.
type Spool struct {
	Dir string
}

// SpoolBase is where spool folders belong: /dev/shm (memory-backed) when
// it exists, else the temporary folder.
func SpoolBase() string {
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		return "/dev/shm"
	}
	return os.TempDir()
}

// NewSpoolDir creates a private (0700) spool folder inside parent.
func NewSpoolDir(parent string) (string, error) {
	dir, err := os.MkdirTemp(parent, "spool-")
	if err != nil {
		return "", err
	}
	return dir, os.Chmod(dir, 0o700)
}

// Put moves p's bytes into a file of the spool when they reach
// ShmThreshold, leaving p naming the file.
func (s *Spool) Put(p *estimatorv1.Tensor) error {
	if s == nil || p == nil || len(p.Data) < ShmThreshold {
		return nil
	}
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	name := hex.EncodeToString(b[:]) + ".tensor"
	if err := os.WriteFile(filepath.Join(s.Dir, name), p.Data, 0o600); err != nil {
		return fmt.Errorf("shared memory: %w", err)
	}
	p.ShmFile, p.Data = name, nil
	return nil
}

// Take reads back the bytes of a tensor sent through the spool and
// removes the file. A name with a path in it is refused, so a peer cannot
// make the receiver read files outside the spool.
func (s *Spool) Take(p *estimatorv1.Tensor) error {
	if p == nil || p.ShmFile == "" {
		return nil
	}
	if s == nil {
		return fmt.Errorf("tensor sent through shared memory, but no shared-memory folder is set up")
	}
	if strings.ContainsAny(p.ShmFile, `/\`) || p.ShmFile == "." || p.ShmFile == ".." {
		return fmt.Errorf("shared-memory file name %q is not a bare name", p.ShmFile)
	}
	path := filepath.Join(s.Dir, p.ShmFile)
	data, err := os.ReadFile(path)
	os.Remove(path)
	if err != nil {
		return fmt.Errorf("shared memory: %w", err)
	}
	if len(p.Data) != 0 {
		return fmt.Errorf("tensor has both inline data and a shared-memory file")
	}
	p.Data, p.ShmFile = data, ""
	return nil
}
