package remote

import "context"

// Done is closed when the plugin process has ended, for whatever reason.
func (e *Estimator) Done() <-chan struct{} { return e.proc.done }

// ExitErr says how the process ended once Done is closed ("exit status 3",
// "signal: segmentation fault"); nil while it runs or after a clean exit.
func (e *Estimator) ExitErr() error { return e.proc.ExitErr() }

// StderrTail returns the last lines the plugin wrote to stderr, for error
// messages about a plugin that died.
func (e *Estimator) StderrTail() []string {
	if e.proc.stderr == nil {
		return nil
	}
	return e.proc.stderr.Tail()
}

// Kill stops the plugin at once (SIGKILL to its process group) and frees
// its resources (as Close does), without the graceful shutdown Close tries
// first: for a plugin that hangs or misbehaves.
func (e *Estimator) Kill() {
	e.proc.Kill(context.Background())
	e.Close()
}
