//go:build !linux

package remote

import "os/exec"

func configureCommand(*exec.Cmd) {}
