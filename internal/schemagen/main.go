// Command schemagen writes schema/snapshot.schema.json, the JSON Schema of the
// snapshot document, and docs/snapshot-fields.md, its field reference, from
// the Go types and their comments in package snapshot. Run it through go
// generate (see snapshot/generate.go); tests fail when either committed file
// is out of date.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/amiaudit/amiaudit/internal/atomicfile"
	"github.com/amiaudit/amiaudit/snapshot/schemagen"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: schemagen SNAPSHOT_PACKAGE_DIR SCHEMA_OUTPUT REFERENCE_OUTPUT")
		os.Exit(2)
	}
	for _, out := range []struct {
		path string
		gen  func(string) ([]byte, error)
	}{
		{os.Args[2], schemagen.Generate},
		{os.Args[3], schemagen.Reference},
	} {
		b, err := out.gen(os.Args[1])
		if err == nil {
			err = atomicfile.WriteFile(out.path, func(w io.Writer) error { _, err := w.Write(b); return err })
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "schemagen: %s: %v\n", out.path, err)
			os.Exit(1)
		}
	}
}
