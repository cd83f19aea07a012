//go:build !linux

package remote

import (
	"errors"
	"os"
	"os/exec"
)

func configureCommand(*exec.Cmd) {}

func startLocked(cmd *exec.Cmd, dying func(), exited func(error)) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() {
		err := cmd.Wait()
		dying()
		exited(err)
	}()
	return nil
}

func killGroup(pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return nil
	}
	if err := p.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	return nil
}

func setMemoryLimit(int, uint64) error {
	return errors.New("memory limits are only supported on Linux")
}

func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	return err == nil && p != nil
}
