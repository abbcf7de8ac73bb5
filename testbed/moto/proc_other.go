//go:build !unix

package moto

import "os/exec"

func ownProcessGroup(*exec.Cmd) {}

// terminate kills outright: there is no SIGTERM to send off Unix.
func terminate(cmd *exec.Cmd) { _ = cmd.Process.Kill() }

func kill(cmd *exec.Cmd) { _ = cmd.Process.Kill() }
