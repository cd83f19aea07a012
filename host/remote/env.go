package remote

import (
	"strings"
)

// DefaultEnvAllow lists the host environment variables a plugin inherits;
// everything else (tokens, cloud credentials, the host's own settings) is
// withheld. A name ending in "*" matches a prefix. Secrets reach a plugin
// through Load options, never through its environment.
var DefaultEnvAllow = []string{
	"PATH", "HOME", "USER", "LOGNAME", "TMPDIR", "TZ", "LANG", "LC_*",
	"LD_LIBRARY_PATH", "PYTHONPATH", "SSL_CERT_FILE", "SSL_CERT_DIR",
	"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
	"GOMAXPROCS", "GOMEMLIMIT", "GODEBUG", "GOTRACEBACK",
	"OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
}

// pluginEnv returns the entries of environ whose names allow matches,
// followed by extra (KEY=VALUE entries the host sets explicitly).
func pluginEnv(environ, allow, extra []string) []string {
	var out []string
	for _, kv := range environ {
		name, _, ok := strings.Cut(kv, "=")
		if ok && allowed(name, allow) {
			out = append(out, kv)
		}
	}
	return append(out, extra...)
}

func allowed(name string, allow []string) bool {
	for _, a := range allow {
		if p, ok := strings.CutSuffix(a, "*"); ok {
			if strings.HasPrefix(name, p) {
				return true
			}
		} else if name == a {
			return true
		}
	}
	return false
}
