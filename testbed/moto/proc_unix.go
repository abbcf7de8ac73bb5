//go:build unix

package moto

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup puts the server in its own process group, so that stopping
// it reaches any process moto starts and never the test binary's group.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

func terminate(cmd *exec.Cmd) { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }

func kill(cmd *exec.Cmd) { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
