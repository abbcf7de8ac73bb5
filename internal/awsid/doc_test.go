package awsid

import (
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestDocNamesTheImporters: the package comment says who asks here; it names
// exactly the module's packages that import awsid outside tests (and so
// says no more that the collector does, which it does not).
func TestDocNamesTheImporters(t *testing.T) {
	const module = "github.com/amiaudit/amiaudit/"
	root := filepath.Join("..", "..")
	importers := map[string]bool{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") && rel != "." || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") || path.Dir(rel) == "internal/awsid" {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			if v, _ := strconv.Unquote(imp.Path.Value); v == module+"internal/awsid" {
				importers[path.Dir(rel)] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("awsid.go")
	if err != nil {
		t.Fatal(err)
	}
	f, err := parser.ParseFile(token.NewFileSet(), "awsid.go", src, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil {
		t.Fatal(err)
	}
	doc := f.Doc.Text()
	_, users, ok := strings.Cut(doc, "Its users")
	if !ok {
		t.Fatal(`the package comment has no "Its users" sentence`)
	}
	users, _, _ = strings.Cut(users, ". ")
	named := map[string]bool{}
	for _, m := range regexp.MustCompile("`([a-z/]+)`").FindAllStringSubmatch(users, -1) {
		named[m[1]] = true
	}
	if got, want := slices.Sorted(maps.Keys(named)), slices.Sorted(maps.Keys(importers)); !slices.Equal(got, want) {
		t.Errorf("the package comment names %v as users; the importers are %v", got, want)
	}
}
