// Package supervise keeps a plugin-backed estimator answering when its
// process crashes, hangs or runs out of memory.
//
// A Supervisor implements host.Estimator around remote.Estimator. It
// detects failure by process exit, by Unavailable on a call, by a deadline
// on every call (per method) and by a periodic deep Health call that runs
// a real canary input. It then restarts the plugin with the same model and
// options after an exponential backoff with jitter, and quarantines it
// after too many crashes within a window; Reload lifts the quarantine. Its
// state (starting, ready, restarting, quarantined, closed) is in Status and
// in the log.
//
// Calls: every method but Fit is retried once on the restarted plugin. An
// input that crashes the plugin twice in a row is a poison input: the call
// fails with an error that says so (ErrPoisonInput, code InvalidArgument)
// and the input is refused from then on without being sent. Fit is never
// retried; after a successful Fit the trained model is saved (when the
// plugin can save) so a restart does not silently fall back to the
// untrained one, and when it cannot be saved a crash quarantines the
// estimator instead. A caller gets a correct answer or a clear error, never
// a partial answer.
//
// Ensembles call MemberFailure to decide whether a member's error may be
// absorbed under the degrade policy.
package supervise
