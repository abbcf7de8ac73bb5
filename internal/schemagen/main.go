// Command schemagen writes schema/snapshot.schema.json, the JSON Schema of the
// snapshot document, from the Go types and their comments in package snapshot.
// Run it through go generate (see snapshot/generate.go); a test fails when the
// committed schema is out of date.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/amiaudit/amiaudit/internal/atomicfile"
	"github.com/amiaudit/amiaudit/snapshot/schemagen"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: schemagen SNAPSHOT_PACKAGE_DIR OUTPUT")
		os.Exit(2)
	}
	b, err := schemagen.Generate(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "schemagen:", err)
		os.Exit(1)
	}
	if err := atomicfile.WriteFile(os.Args[2], func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
		fmt.Fprintln(os.Stderr, "schemagen:", err)
		os.Exit(1)
	}
}
