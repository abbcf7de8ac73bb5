package docs

import (
	goast "go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/amiaudit/amiaudit/rules"
	"github.com/amiaudit/amiaudit/snapshot"
)

// root is the repository, seen from this package's directory.
const root = "../.."

func read(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// walk calls fn for every file of the repository that git would track,
// skipping hidden directories (.git), testdata and build output.
func walk(t *testing.T, fn func(rel string, d fs.DirEntry)) {
	t.Helper()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() && rel != "." && (strings.HasPrefix(d.Name(), ".") && d.Name() != ".ci" || d.Name() == "testdata" || rel == "bin") {
			return filepath.SkipDir
		}
		fn(rel, d)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// section returns the text of the Markdown section under heading, up to the
// next heading of the same or a higher level.
func section(t *testing.T, text, heading string) string {
	t.Helper()
	i := strings.Index(text, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("no section %q", heading)
	}
	rest := text[i+len(heading)+2:]
	level := strings.Repeat("#", strings.Count(strings.Fields(heading)[0], "#"))
	if j := regexp.MustCompile(`(?m)^#{1,` + strconv.Itoa(len(level)) + `} `).FindStringIndex(rest); j != nil {
		rest = rest[:j[0]]
	}
	return rest
}

// TestREADMELayoutListsEveryDirectory fails when a directory with files in it
// (outside testdata and hidden directories, but .ci) has no row of its own in
// the README's layout table, nor a pattern row that matches it and names it,
// or when the table names a directory that does not exist. A pattern row's
// path has <placeholders> for one directory each (policies/<area>); the row
// names each directory it stands for (`ami`), so the list stays true.
func TestREADMELayoutListsEveryDirectory(t *testing.T) {
	layout := section(t, read(t, "README.md"), "### Layout")
	rows := map[string]string{} // path → the rest of its row
	for _, m := range regexp.MustCompile("(?m)^\\| `([^`]+)` \\|(.*)$").FindAllStringSubmatch(layout, -1) {
		rows[m[1]] = m[2]
	}
	if len(rows) < 30 {
		t.Fatalf("found only %d rows in the layout table; the pattern is broken", len(rows))
	}
	placeholder := regexp.MustCompile(`<[a-z]+>`)
	type pattern struct {
		re  *regexp.Regexp
		row string
	}
	var patterns []pattern
	for p, row := range rows {
		if !placeholder.MatchString(p) {
			continue
		}
		literal := placeholder.Split(p, -1)
		for i := range literal {
			literal[i] = regexp.QuoteMeta(literal[i])
		}
		patterns = append(patterns, pattern{regexp.MustCompile("^" + strings.Join(literal, "[^/]+") + "$"), row})
	}
	withFiles := map[string]bool{}
	walk(t, func(rel string, d fs.DirEntry) {
		if !d.IsDir() && path.Dir(rel) != "." {
			withFiles[path.Dir(rel)] = true
		}
	})
	for dir := range withFiles {
		if _, ok := rows[dir]; ok {
			continue
		}
		covered := false
		for _, p := range patterns {
			if p.re.MatchString(dir) && strings.Contains(p.row, "`"+path.Base(dir)+"`") {
				covered = true
			}
		}
		if !covered {
			t.Errorf("README.md, ### Layout: %s has files but no row (add a row \"| `%s` | what it is |\", or name it on the row of a pattern that matches it)", dir, dir)
		}
	}
	for p := range rows {
		if placeholder.MatchString(p) {
			continue
		}
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("README.md, ### Layout: %s is listed but does not exist", p)
		}
	}
}

// jsonName is a struct field's name in the JSON document, or "" when the
// field is not encoded.
func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "-" || !f.IsExported() {
		return ""
	}
	if name == "" {
		return f.Name
	}
	return name
}

// structsOf returns every struct type of package snapshot reachable from t.
func structsOf(t reflect.Type, seen map[reflect.Type]bool) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t.PkgPath() != reflect.TypeFor[snapshot.Document]().PkgPath() || seen[t] {
		return
	}
	seen[t] = true
	for f := range t.Fields() {
		structsOf(f.Type, seen)
	}
}

// TestSnapshotFieldsDocumented walks the snapshot document's Go types: every
// field of every type must have its row in the field reference
// (docs/snapshot-fields.md, section of its type), and every top-level field
// its row in the overview (docs/snapshot.md) and a word in the policy input
// (docs/policy-input.md), which says whether rules see it.
func TestSnapshotFieldsDocumented(t *testing.T) {
	reference := read(t, "docs/snapshot-fields.md")
	seen := map[reflect.Type]bool{}
	structsOf(reflect.TypeFor[snapshot.Document](), seen)
	if len(seen) < 20 {
		t.Fatalf("found %d snapshot types; the walk is broken", len(seen))
	}
	for typ := range seen {
		sec := section(t, reference, "## "+typ.Name())
		for f := range typ.Fields() {
			if name := jsonName(f); name != "" && !strings.Contains(sec, "| `"+name+"` |") {
				t.Errorf("docs/snapshot-fields.md, ## %s: no row for %s (json %q): run 'make generate'", typ.Name(), f.Name, name)
			}
		}
		for _, row := range strings.Split(sec, "\n") {
			if strings.HasPrefix(row, "| `") && strings.HasSuffix(row, "|  |") {
				t.Errorf("docs/snapshot-fields.md, ## %s: row without a description: %s (add a doc comment to the field in package snapshot, then 'make generate')", typ.Name(), row)
			}
		}
	}

	overview := read(t, "docs/snapshot.md")
	input := read(t, "docs/policy-input.md")
	doc := reflect.TypeFor[snapshot.Document]()
	for f := range doc.Fields() {
		name := jsonName(f)
		if name == "" {
			continue
		}
		if !regexp.MustCompile("(?m)^\\|[^|\n]*`" + name + "`[^|\n]*\\|").MatchString(overview) {
			t.Errorf("docs/snapshot.md: the table of top-level fields has no row for %q", name)
		}
		if !strings.Contains(input, "`"+name+"`") {
			t.Errorf("docs/policy-input.md does not say whether rules see the snapshot's %q", name)
		}
	}
}

// TestPolicyInputDocumented builds the input the engine gives rules and fails
// when one of its keys, an index or a configuration key is not in
// docs/policy-input.md.
func TestPolicyInputDocumented(t *testing.T) {
	text := read(t, "docs/policy-input.md")
	input, ok := rules.Input(&snapshot.Document{}, nil).(ast.Object)
	if !ok {
		t.Fatal("rules.Input is not an object")
	}
	keys := func(o ast.Object) []string {
		var out []string
		for _, k := range o.Keys() {
			out = append(out, string(k.Value.(ast.String)))
		}
		return out
	}
	top := keys(input)
	if !slices.Contains(top, "index") || !slices.Contains(top, "config") {
		t.Fatalf("input keys %v: no index or config", top)
	}
	for _, k := range top {
		if !regexp.MustCompile("(?m)^\\|[^|\n]*`" + regexp.QuoteMeta(k) + "`[^|\n]*\\|").MatchString(text) {
			t.Errorf("docs/policy-input.md: no table row for input.%s", k)
		}
	}
	index := keys(input.Get(ast.StringTerm("index")).Value.(ast.Object))
	for _, k := range index {
		if !strings.Contains(text, "| `index."+k+"` |") {
			t.Errorf("docs/policy-input.md: no row for input.index.%s", k)
		}
	}
	// A row for an index the engine no longer builds misleads as much as a
	// missing one.
	for _, m := range regexp.MustCompile("(?m)^\\| `index\\.([a-z_]+)` \\|").FindAllStringSubmatch(text, -1) {
		if !slices.Contains(index, m[1]) {
			t.Errorf("docs/policy-input.md: a row for input.index.%s, which rules.Input does not build", m[1])
		}
	}
	for _, k := range keys(input.Get(ast.StringTerm("config")).Value.(ast.Object)) {
		if !strings.Contains(text, "`"+k+"`") {
			t.Errorf("docs/policy-input.md: input.config.%s is not described", k)
		}
	}
}

var (
	// mdLink is a Markdown link or image: [text](target) or ![alt](target).
	mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	// repoPath is a file of this repository named in prose: under docs/,
	// testbed/ or scripts/, with an extension. (policies/… and scenarios/…
	// also name files inside evidence bundles and test directories.)
	repoPath = regexp.MustCompile(`(?:^|[\s(` + "`" + `'"])((?:\.\./)*(?:docs|testbed|scripts|schema)/[A-Za-z0-9_./-]*[A-Za-z0-9_-]\.(?:md|json|yaml|yml|py|go|rego|png))`)
	// heading is a Markdown heading line.
	heading = regexp.MustCompile(`(?m)^#{1,6} (.+)$`)
)

// anchor is the fragment GitHub gives a heading: lower case, punctuation
// dropped, spaces as hyphens.
func anchor(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 0x7f && r != '…' && r != '→':
			b.WriteRune(r)
		}
	}
	return b.String()
}

func anchors(text string) map[string]bool {
	out := map[string]bool{}
	for _, m := range heading.FindAllStringSubmatch(text, -1) {
		out[anchor(m[1])] = true
	}
	return out
}

// TestMarkdownLinksResolve fails when a relative link of a Markdown file
// leads to a file that does not exist, or to a heading that the file does
// not have.
func TestMarkdownLinksResolve(t *testing.T) {
	checked := 0
	walk(t, func(rel string, d fs.DirEntry) {
		if d.IsDir() || !strings.HasSuffix(rel, ".md") {
			return
		}
		text := read(t, rel)
		for _, m := range mdLink.FindAllStringSubmatch(text, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			file, frag, _ := strings.Cut(target, "#")
			dest := rel
			if file != "" {
				dest = path.Join(path.Dir(rel), file)
				if _, err := os.Stat(filepath.Join(root, dest)); err != nil {
					t.Errorf("%s: link %s: %s does not exist", rel, target, dest)
					continue
				}
			}
			checked++
			if frag != "" && strings.HasSuffix(dest, ".md") && !anchors(read(t, dest))[frag] {
				t.Errorf("%s: link %s: %s has no heading #%s", rel, target, dest, frag)
			}
		}
	})
	if checked < 30 {
		t.Fatalf("checked only %d links; the parser is broken", checked)
	}
}

// TestREADMELinksEveryDoc fails when a page under docs/ is not linked from
// the README, where a newcomer looks for it.
func TestREADMELinksEveryDoc(t *testing.T) {
	readme := read(t, "README.md")
	linked := map[string]bool{}
	for _, m := range mdLink.FindAllStringSubmatch(readme, -1) {
		file, _, _ := strings.Cut(m[1], "#")
		linked[path.Clean(file)] = true
	}
	walk(t, func(rel string, d fs.DirEntry) {
		if !d.IsDir() && strings.HasPrefix(rel, "docs/") && strings.HasSuffix(rel, ".md") && !linked[rel] {
			t.Errorf("README.md links nowhere to %s", rel)
		}
	})
}

// TestRepositoryPathsInCommentsExist fails when a Go comment, or the prose of
// a Markdown file, names a file of the repository (docs/…, testbed/…,
// policies/…) that does not exist.
func TestRepositoryPathsInCommentsExist(t *testing.T) {
	checked := 0
	check := func(where, text, base string) {
		for _, m := range repoPath.FindAllStringSubmatch(text, -1) {
			p := m[1]
			dest := path.Clean(strings.TrimLeft(p, "./"))
			if strings.HasPrefix(p, "../") {
				dest = path.Join(base, p)
			}
			if _, err := os.Stat(filepath.Join(root, dest)); err != nil {
				// A path relative to the file's own directory also counts.
				if _, err2 := os.Stat(filepath.Join(root, base, p)); err2 != nil {
					t.Errorf("%s names %s, which does not exist", where, p)
				}
			}
			checked++
		}
	}
	walk(t, func(rel string, d fs.DirEntry) {
		switch {
		case d.IsDir():
		case strings.HasSuffix(rel, ".go"):
			f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(root, rel), nil, parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range f.Comments {
				check(rel, c.Text(), path.Dir(rel))
			}
		case strings.HasSuffix(rel, ".md"):
			check(rel, read(t, rel), path.Dir(rel))
		}
	})
	if checked < 20 {
		t.Fatalf("checked only %d paths; the pattern is broken", checked)
	}
}

// TestGoNamesInCommentsExist fails when a Go comment, a Markdown file or a
// Rego comment names a Go identifier of this module that no longer exists:
// pkg.Name where pkg is one of the module's packages and Name is exported
// (a function renamed or unexported since), or a Test/Benchmark/Fuzz
// function (a trailing * stands for any suffix). A dotted path such as
// amiaudit.rules.AREA is Rego's, not Go's.
func TestGoNamesInCommentsExist(t *testing.T) {
	declared := map[string]map[string]bool{} // package name → names
	all := map[string]bool{}
	type text struct{ where, body string }
	var texts []text
	walk(t, func(rel string, d fs.DirEntry) {
		switch {
		case d.IsDir():
		case strings.HasSuffix(rel, ".go"):
			f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(root, rel), nil, parser.ParseComments|parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			pkg := strings.TrimSuffix(f.Name.Name, "_test")
			if declared[pkg] == nil {
				declared[pkg] = map[string]bool{}
			}
			goast.Inspect(f, func(n goast.Node) bool {
				var names []*goast.Ident
				switch n := n.(type) {
				case *goast.FuncDecl:
					names = []*goast.Ident{n.Name}
				case *goast.TypeSpec:
					names = []*goast.Ident{n.Name}
				case *goast.ValueSpec:
					names = n.Names
				case *goast.Field:
					names = n.Names
				}
				for _, id := range names {
					declared[pkg][id.Name] = true
					all[id.Name] = true
				}
				return true
			})
			for _, c := range f.Comments {
				texts = append(texts, text{rel, c.Text()})
			}
		case strings.HasSuffix(rel, ".md"):
			texts = append(texts, text{rel, read(t, rel)})
		case strings.HasSuffix(rel, ".rego"):
			for _, line := range strings.Split(read(t, rel), "\n") {
				if _, comment, ok := strings.Cut(line, "#"); ok {
					texts = append(texts, text{rel, comment})
				}
			}
		}
	})
	qualified := regexp.MustCompile(`(?:^|[^.\w/])([a-z][a-z0-9]*)\.([A-Z][A-Za-z0-9_]*)(\*?)`)
	testFunc := regexp.MustCompile(`\b((?:Test|Benchmark|Fuzz)[A-Z][A-Za-z0-9_]*)(\*?)`)
	exists := func(names map[string]bool, name, star string) bool {
		if star == "" {
			return names[name]
		}
		for n := range names {
			if strings.HasPrefix(n, name) {
				return true
			}
		}
		return false
	}
	checked := 0
	for _, x := range texts {
		for _, m := range qualified.FindAllStringSubmatch(x.body, -1) {
			if names, ok := declared[m[1]]; ok {
				checked++
				if !exists(names, m[2], m[3]) {
					t.Errorf("%s names %s.%s, which package %s does not declare", x.where, m[1], m[2], m[1])
				}
			}
		}
		for _, m := range testFunc.FindAllStringSubmatch(x.body, -1) {
			checked++
			if !exists(all, m[1], m[2]) {
				t.Errorf("%s names %s, which no test file declares", x.where, m[1])
			}
		}
	}
	if checked < 50 {
		t.Fatalf("checked only %d names; the patterns are broken", checked)
	}
}
