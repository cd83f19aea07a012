package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/host/supervise"
)

// superviseFlags are the launch and supervision settings of a command
// that starts plugins.
type superviseFlags struct {
	lock         string
	memoryMiB    int
	noMTLS       bool
	unsupervised bool
}

func (f *superviseFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&f.lock, "lock", "", "lock file of plugin checksums to enforce (default: ./arthost.lock when present)")
	fl.IntVar(&f.memoryMiB, "memory-limit", 0, "memory limit of each plugin process in MiB (0: none)")
	fl.BoolVar(&f.noMTLS, "no-mtls", false, "no mutual TLS between host and plugins (trusted local plugins only)")
	fl.BoolVar(&f.unsupervised, "no-supervise", false, "do not restart a plugin that crashes (for debugging plugins)")
}

func (f *superviseFlags) options() (supervise.Options, error) {
	if f.memoryMiB < 0 {
		return supervise.Options{}, fmt.Errorf("--memory-limit %d: want MiB >= 0", f.memoryMiB)
	}
	lock, err := readLock(f.lock)
	if err != nil {
		return supervise.Options{}, err
	}
	return supervise.Options{Lock: lock, MemoryLimit: int64(f.memoryMiB) << 20, DisableAutoMTLS: f.noMTLS, Unsupervised: f.unsupervised}, nil
}

// supervisionDoc is the supervisor's state in `arthost info`.
type supervisionDoc struct {
	State     string `json:"state"`
	PID       int    `json:"pid"`
	Restarts  int    `json:"restarts"`
	Crashes   int    `json:"crashes"`
	LastCrash string `json:"last_crash,omitempty"`
}

func supervision(e host.Estimator) *supervisionDoc {
	st, ok := supervise.StatusOf(e)
	if !ok {
		return nil
	}
	return &supervisionDoc{State: st.State.String(), PID: st.PID, Restarts: st.Restarts, Crashes: st.Crashes, LastCrash: st.LastCrash}
}

// withSupervision adds the supervisor's state to info's JSON document.
func withSupervision(doc infoDoc, e host.Estimator) any {
	return struct {
		infoDoc
		Supervision *supervisionDoc `json:"supervision,omitempty"`
	}{doc, supervision(e)}
}

func printSupervision(cmd *cobra.Command, e host.Estimator) {
	s := supervision(e)
	if s == nil {
		return
	}
	fmt.Fprintf(cmd.OutOrStdout(), "supervision:  %s (pid %d, restarts %d, crashes %d)\n", s.State, s.PID, s.Restarts, s.Crashes)
	if s.LastCrash != "" {
		fmt.Fprintf(cmd.OutOrStdout(), "last crash:   %s\n", s.LastCrash)
	}
}
