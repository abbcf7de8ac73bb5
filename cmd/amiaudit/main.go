// Command amiaudit audits and lints the sharing posture of Amazon Machine
// Images across AWS accounts and regions.
package main

import (
	"os"
	"runtime/debug"

	"github.com/amiaudit/amiaudit/internal/cli"
)

// gcPercent trades a little CPU for memory: evaluating a large organization
// allocates heavily, and at Go's default (100) the heap of 100,000 AMIs peaks
// above 2 GiB; at 50 it stays under. GOGC still overrides it.
const gcPercent = 50

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	os.Exit(cli.Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
