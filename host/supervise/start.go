package supervise

import (
	"context"

	"google.golang.org/grpc/codes"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/host/lockfile"
	"github.com/arthost/arthost/host/remote"
)

// Options are a host program's launch settings for all its plugins.
type Options struct {
	// Unsupervised starts plugins without a Supervisor: no restart after
	// a crash (for debugging a plugin).
	Unsupervised bool
	// Lock, when set, refuses any plugin it does not list with the
	// executable's current sha256.
	Lock *lockfile.File
	// MemoryLimit caps each plugin's memory (see remote.Config).
	MemoryLimit int64
	// DisableAutoMTLS turns off mutual TLS, for trusted local plugins.
	DisableAutoMTLS bool
	// Config holds the supervision settings; its Remote is ignored (zero
	// values are the documented defaults).
	Config Config
}

// Start is how a host program launches one plugin: checked against the
// lock file when there is one (a plugin missing from it or changed since
// is refused), limited and supervised as o says.
func Start(ctx context.Context, rc remote.Config, o Options) (host.Estimator, error) {
	if o.Lock != nil {
		sc, err := o.Lock.SecureConfig(rc.Plugin)
		if err != nil {
			return nil, host.Errorf(rc.Name, "start", codes.FailedPrecondition, "%v", err)
		}
		rc.SecureConfig = sc
	}
	if o.MemoryLimit > 0 {
		rc.MemoryLimit = o.MemoryLimit
	}
	rc.DisableAutoMTLS = rc.DisableAutoMTLS || o.DisableAutoMTLS
	if o.Unsupervised {
		return remote.Start(ctx, rc)
	}
	cfg := o.Config
	cfg.Remote = rc
	return New(ctx, cfg)
}

// StatusOf finds the supervisor behind e, looking through wrappers that
// expose Inner (pipelines), and returns its status.
func StatusOf(e host.Estimator) (Status, bool) {
	for e != nil {
		switch v := e.(type) {
		case *Supervisor:
			return v.Status(), true
		case interface{ Inner() host.Estimator }:
			e = v.Inner()
		default:
			return Status{}, false
		}
	}
	return Status{}, false
}
