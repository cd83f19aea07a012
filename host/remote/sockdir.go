package remote

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// A unix socket address holds at most 107 bytes. Inside the host folder
// go-plugin adds "/plugin-dirNNNNNNNNNN/pluginNNNNNNNNNN" (socketSuffix);
// maxSocketSuffix also counts "/arthost-UID/host-PID".
const (
	maxSocketPath   = 107
	socketSuffix    = 38
	maxSocketSuffix = socketSuffix + 40
)

// socketDir returns this host process's private folder for plugin sockets,
// base/host-PID, creating base (mode 0700, owned by us) when needed, and
// removes the folders of host processes that no longer run. go-plugin
// creates one 0700 folder per plugin instance inside it and removes that
// folder when the instance is killed.
func socketDir(base string) (string, error) {
	if base == "" {
		tmp := os.TempDir()
		if len(tmp)+maxSocketSuffix > maxSocketPath {
			tmp = "/tmp" // a long TMPDIR would not fit a socket address
		}
		base = filepath.Join(tmp, fmt.Sprintf("arthost-%d", os.Getuid()))
	}
	if err := os.MkdirAll(base, 0o700); err != nil {
		return "", fmt.Errorf("socket folder: %w", err)
	}
	fi, err := os.Lstat(base)
	if err != nil {
		return "", fmt.Errorf("socket folder: %w", err)
	}
	if !fi.IsDir() || fi.Mode().Perm()&0o077 != 0 || !ownedByUs(fi) {
		return "", fmt.Errorf("socket folder %s: must be a folder owned by this user with mode 0700 (is %v)", base, fi.Mode())
	}
	sweepSocketDirs(base)
	dir := filepath.Join(base, "host-"+strconv.Itoa(os.Getpid()))
	if len(dir)+socketSuffix > maxSocketPath {
		return "", fmt.Errorf("socket folder %s: too long for a unix socket address (%d bytes at most)", dir, maxSocketPath-socketSuffix)
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !os.IsExist(err) {
		return "", fmt.Errorf("socket folder: %w", err)
	}
	return dir, nil
}

// sweepSocketDirs removes base/host-PID folders whose process is gone (a
// host killed before it could clean up). Errors are ignored: a folder we
// cannot remove is only litter.
func sweepSocketDirs(base string) {
	entries, err := os.ReadDir(base)
	if err != nil {
		return
	}
	for _, e := range entries {
		p, ok := strings.CutPrefix(e.Name(), "host-")
		if !ok {
			continue
		}
		pid, err := strconv.Atoi(p)
		if err != nil || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		os.RemoveAll(filepath.Join(base, e.Name()))
	}
}
