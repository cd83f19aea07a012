// Package discovery finds plugin executables. A plugin named NAME is an
// executable file called arthost-plugin-NAME in one of the search
// directories, tried in order: each --plugin-dir, each entry of
// ARTHOST_PLUGIN_PATH, the folder of the running arthost binary, then
// ~/.arthost/plugins. The first found wins; later ones are reported as
// shadowed duplicates.
package discovery

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Prefix starts every plugin executable's name.
const Prefix = "arthost-plugin-"

// EnvPath is the environment variable holding extra plugin directories.
const EnvPath = "ARTHOST_PLUGIN_PATH"

// Plugin is one executable found.
type Plugin struct {
	Name string `json:"name"`
	Path string `json:"path"`
	// Shadowed lists executables of the same name later in the search
	// order, which are not used.
	Shadowed []string `json:"shadowed,omitempty"`
}

// Dirs returns the search directories in order: flagDirs, then the
// entries of ARTHOST_PLUGIN_PATH (as given by env), the directory of
// executable (when not empty), and ~/.arthost/plugins (when home is known).
func Dirs(flagDirs []string, env, executable, home string) []string {
	var dirs []string
	dirs = append(dirs, flagDirs...)
	for _, d := range filepath.SplitList(env) {
		if d != "" {
			dirs = append(dirs, d)
		}
	}
	if executable != "" {
		dirs = append(dirs, filepath.Dir(executable))
	}
	if home != "" {
		dirs = append(dirs, filepath.Join(home, ".arthost", "plugins"))
	}
	return dedupe(dirs)
}

// DefaultDirs is Dirs with the process's environment, executable and home.
func DefaultDirs(flagDirs []string) []string {
	exe, _ := os.Executable()
	if exe != "" {
		if r, err := filepath.EvalSymlinks(exe); err == nil {
			exe = r
		}
	}
	home, _ := os.UserHomeDir()
	return Dirs(flagDirs, os.Getenv(EnvPath), exe, home)
}

func dedupe(dirs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, d := range dirs {
		abs, err := filepath.Abs(d)
		if err != nil {
			abs = d
		}
		if !seen[abs] {
			seen[abs] = true
			out = append(out, abs)
		}
	}
	return out
}

// List returns every plugin in dirs, sorted by name, first found winning.
// Missing or unreadable directories are skipped.
func List(dirs []string) []Plugin {
	byName := map[string]*Plugin{}
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			name, ok := strings.CutPrefix(e.Name(), Prefix)
			if !ok || name == "" {
				continue
			}
			path := filepath.Join(dir, e.Name())
			if !isExecutable(path) {
				continue
			}
			if p, dup := byName[name]; dup {
				p.Shadowed = append(p.Shadowed, path)
				continue
			}
			byName[name] = &Plugin{Name: name, Path: path}
		}
	}
	out := make([]Plugin, 0, len(byName))
	for _, p := range byName {
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Find returns the plugin called name. A name containing a path separator
// is taken as the executable's path itself.
func Find(name string, dirs []string) (Plugin, error) {
	if strings.ContainsRune(name, filepath.Separator) {
		if !isExecutable(name) {
			return Plugin{}, fmt.Errorf("plugin %q: not an executable file", name)
		}
		abs, _ := filepath.Abs(name)
		return Plugin{Name: strings.TrimPrefix(filepath.Base(name), Prefix), Path: abs}, nil
	}
	if name == "" || strings.ContainsAny(name, " \t") {
		return Plugin{}, fmt.Errorf("plugin name %q is not valid", name)
	}
	for _, p := range List(dirs) {
		if p.Name == name {
			return p, nil
		}
	}
	return Plugin{}, &NotFoundError{Name: name, Dirs: dirs}
}

// NotFoundError says which directories were searched for a plugin.
type NotFoundError struct {
	Name string
	Dirs []string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("unknown plugin %q: no executable %s%s in %s", e.Name, Prefix, e.Name, strings.Join(e.Dirs, ", "))
}

func isExecutable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}
