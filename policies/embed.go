// Package policies holds amiaudit's built-in Rego: one rule per file under a
// folder per area, its _test.rego beside it, and the shared helpers in lib/.
// The files are embedded in the binary.
package policies

import "embed"

// FS holds every .rego file of the built-in policy bundle, tests included.
//
//go:embed */*.rego
var FS embed.FS
