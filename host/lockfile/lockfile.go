// Package lockfile reads and writes arthost.lock, the sha256 of each
// plugin executable, and turns an entry into the go-plugin SecureConfig
// that remote checks just before every launch: a plugin whose executable
// changed since the lock was written is refused.
package lockfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/hashicorp/go-plugin"
)

// Name is the lock file's conventional name.
const Name = "arthost.lock"

// version is the format version written and accepted.
const version = 1

// Entry locks one plugin.
type Entry struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// File is a parsed lock file: entries by plugin name.
type File struct {
	Version int              `json:"version"`
	Plugins map[string]Entry `json:"plugins"`
}

// New hashes each executable (plugin name -> path).
func New(paths map[string]string) (*File, error) {
	f := &File{Version: version, Plugins: map[string]Entry{}}
	for name, path := range paths {
		sum, err := Sum(path)
		if err != nil {
			return nil, err
		}
		f.Plugins[name] = Entry{Path: path, SHA256: sum}
	}
	return f, nil
}

// Sum returns the hex sha256 of the file at path.
func Sum(path string) (string, error) {
	r, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("lock: %w", err)
	}
	defer r.Close()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", fmt.Errorf("lock: read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Read parses the lock file at path.
func Read(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("lock file: %w", err)
	}
	var f File
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("lock file %s: %w", path, err)
	}
	if f.Version != version {
		return nil, fmt.Errorf("lock file %s: version %d, this arthost reads version %d", path, f.Version, version)
	}
	for name, e := range f.Plugins {
		if b, err := hex.DecodeString(e.SHA256); err != nil || len(b) != sha256.Size {
			return nil, fmt.Errorf("lock file %s: plugins.%s.sha256 %q is not a hex sha256", path, name, e.SHA256)
		}
	}
	return &f, nil
}

// Write stores f at path (JSON, plugins sorted by name).
func (f *File) Write(path string) error {
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// SecureConfig returns the check for plugin name; a plugin missing from
// the lock is an error, so a lock file admits only what it lists.
func (f *File) SecureConfig(name string) (*plugin.SecureConfig, error) {
	e, ok := f.Plugins[name]
	if !ok {
		return nil, fmt.Errorf("plugin %q is not in the lock file; run `arthost plugins lock` to add it", name)
	}
	sum, err := hex.DecodeString(e.SHA256)
	if err != nil {
		return nil, fmt.Errorf("lock file: plugins.%s.sha256: %w", name, err)
	}
	return &plugin.SecureConfig{Checksum: sum, Hash: sha256.New()}, nil
}
