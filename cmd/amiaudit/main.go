// Command amiaudit audits and lints the sharing posture of Amazon Machine
// Images across AWS accounts and regions.
package main

import (
	"os"

	"github.com/amiaudit/amiaudit/internal/cli"
	"github.com/amiaudit/amiaudit/internal/gcpolicy"
)

func main() {
	// How the garbage collector trades memory for CPU (internal/gcpolicy);
	// GOGC or GOMEMLIMIT override it.
	gcpolicy.Apply()
	os.Exit(cli.Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
