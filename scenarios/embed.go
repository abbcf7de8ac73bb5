// Package scenarios embeds the test bed's scenario files, so that the live
// demo (cmd/amiaudit-demo) seeds the example organization from its binary.
package scenarios

import "embed"

// FS holds every scenario (*.yaml); see testbed/README.md for the format.
//
//go:embed *.yaml
var FS embed.FS
