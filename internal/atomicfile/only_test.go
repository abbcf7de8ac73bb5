package atomicfile

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// scratchWriters may call os.WriteFile and os.Create: they write scratch
// files into temporary directories, which nobody reads half written.
var scratchWriters = map[string]bool{
	"cmd/amiaudit-demo/main.go":      true, // the demo's configuration, in its temporary directory
	"testbed/moto/moto.go":           true, // the moto launcher script, in a temporary directory
	"testbed/diskimage/diskimage.go": true, // disk images built for tests
}

// TestOnlyWriter: outside tests and the scratch writers, no Go file of the
// module writes a file with os.WriteFile or os.Create: user-visible output
// goes through this package, so that it is atomic and durable everywhere.
func TestOnlyWriter(t *testing.T) {
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == "internal/atomicfile" || strings.HasPrefix(d.Name(), ".") && rel != "." || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") || scratchWriters[rel] {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "os" && (sel.Sel.Name == "WriteFile" || sel.Sel.Name == "Create") {
				t.Errorf("%s: os.%s: write output with atomicfile.WriteFile (or WriteNew, WriteDir)", fset.Position(sel.Pos()), sel.Sel.Name)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
