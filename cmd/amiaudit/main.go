// Command amiaudit audits and lints the sharing posture of Amazon Machine
// Images across AWS accounts and regions.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
