package atomicfile

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// scratchWriters may write files without this package, each for its reason:
// they write scratch files into temporary directories, which nobody reads
// half written.
var scratchWriters = map[string]string{
	"cmd/amiaudit-demo/main.go":      "the demo's configuration, in its temporary directory",
	"testbed/moto/moto.go":           "the moto launcher script, in a temporary directory",
	"testbed/diskimage/diskimage.go": "disk images built for tests, in the test's temporary directory",
}

// writeCalls are the functions of package os (and io/ioutil) that create,
// replace or write a file by name.
var writeCalls = map[string][]string{
	"os":     {"WriteFile", "Create", "CreateTemp", "Rename"},
	"ioutil": {"WriteFile", "TempFile"},
}

// writeFlags are the os.OpenFile flags that open a file for writing.
var writeFlags = []string{"O_CREATE", "O_WRONLY", "O_RDWR", "O_APPEND", "O_TRUNC"}

// fileWrites lists the calls of f that write a file by name: os.WriteFile,
// os.Create, os.CreateTemp, os.Rename, ioutil's equivalents, and os.OpenFile
// with a flag that writes (a flag held in a variable counts as writing:
// nothing tells).
func fileWrites(fset *token.FileSet, f *ast.File) []string {
	var found []string
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		pkg, ok := sel.X.(*ast.Ident)
		if !ok {
			return true
		}
		name := pkg.Name + "." + sel.Sel.Name
		switch {
		case slices.Contains(writeCalls[pkg.Name], sel.Sel.Name):
			found = append(found, fset.Position(call.Pos()).String()+": "+name)
		case name == "os.OpenFile" && len(call.Args) >= 2 && opensForWriting(call.Args[1]):
			found = append(found, fset.Position(call.Pos()).String()+": "+name+" for writing")
		}
		return true
	})
	return found
}

// opensForWriting tells whether an os.OpenFile flag expression may write.
func opensForWriting(flag ast.Expr) bool {
	writes, known := false, true
	ast.Inspect(flag, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			if pkg, ok := n.X.(*ast.Ident); ok && pkg.Name == "os" {
				writes = writes || slices.Contains(writeFlags, n.Sel.Name)
			} else {
				known = false
			}
			return false
		case *ast.Ident:
			known = false
		}
		return true
	})
	return writes || !known
}

func TestFileWrites(t *testing.T) {
	src := `package p
import ("os"; "io/ioutil")
func f(flag int) {
	os.WriteFile("a", nil, 0)
	os.Create("b")
	os.CreateTemp("", "c")
	os.Rename("d", "e")
	ioutil.WriteFile("f", nil, 0)
	os.OpenFile("g", os.O_WRONLY|os.O_CREATE, 0)
	os.OpenFile("h", os.O_RDWR, 0)
	os.OpenFile("i", flag, 0)
	os.OpenFile("j", os.O_RDONLY, 0)
	os.Open("k")
	os.ReadFile("l")
	os.MkdirTemp("", "m")
}`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := fileWrites(fset, f)
	want := []string{
		"p.go:4:2: os.WriteFile", "p.go:5:2: os.Create", "p.go:6:2: os.CreateTemp", "p.go:7:2: os.Rename",
		"p.go:8:2: ioutil.WriteFile", "p.go:9:2: os.OpenFile for writing", "p.go:10:2: os.OpenFile for writing",
		"p.go:11:2: os.OpenFile for writing",
	}
	if !slices.Equal(got, want) {
		t.Errorf("fileWrites:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestOnlyWriter: outside tests, this package and the scratch writers, no Go
// file of the module writes a file by name (fileWrites): user-visible output
// goes through this package, so that it is atomic and durable everywhere.
func TestOnlyWriter(t *testing.T) {
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	scanned := 0
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
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		scanned++
		writes := fileWrites(fset, f)
		if _, ok := scratchWriters[rel]; ok {
			if len(writes) == 0 {
				t.Errorf("%s is a scratch writer but writes no file: take it off the list", rel)
			}
			return nil
		}
		for _, w := range writes {
			t.Errorf("%s: write output with atomicfile.WriteFile (or WriteNew, WriteDir), or add the file to scratchWriters with its reason", w)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if scanned < 50 {
		t.Fatalf("scanned only %d files", scanned)
	}
}
