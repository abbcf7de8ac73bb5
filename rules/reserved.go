package rules

import (
	"fmt"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// A --policy file adds rules; it never changes the built-in ones. Rego merges
// every module of one package, so a user file declaring a built-in package
// (package amiaudit.lib.trust, package amiaudit.rules.ami.public) could add a
// clause to a helper that a built-in rule consults and silently turn its
// findings off, which waivers exist to do in the open. And a user file named
// like a built-in file would replace it outright.

// LibPackage is the package of the helpers built-in rules share. Only
// amiaudit's own files declare it or a package below it.
const LibPackage = "amiaudit.lib"

// checkUserFileNames refuses a user file that has the name of a built-in file
// (a --policy directory called policies holding ami/public.rego).
func checkUserFileNames(files []policyFile) []string {
	builtin := map[string]bool{}
	for _, f := range files {
		if f.builtin {
			builtin[f.name] = true
		}
	}
	var errs []string
	for _, f := range files {
		if !f.builtin && builtin[f.name] {
			errs = append(errs, fmt.Sprintf("%s: a --policy file has the name of a built-in policy file and would replace it; load your rules from a directory with another name", f.name))
		}
	}
	return errs
}

// checkUserPackages refuses a user module whose package is a built-in
// package, lies below one, or lies under amiaudit.lib; and a user rule whose
// head reaches into one from another package (package amiaudit with the rule
// lib.trust.account_trusted(_) if true), or could, through a variable in its
// head, reach a built-in package below it.
func checkUserPackages(files []policyFile, modules map[string]*ast.Module) []string {
	builtinFile := map[string]bool{}
	for _, f := range files {
		builtinFile[f.name] = f.builtin
	}
	reserved := map[string]bool{LibPackage: true}
	for name, m := range modules {
		if builtinFile[name] {
			reserved[packageOf(m)] = true
		}
	}
	within := func(path string) bool {
		for p := path; p != ""; p = parentPackage(p) {
			if reserved[p] {
				return true
			}
		}
		return false
	}
	above := func(path string) bool {
		for p := range reserved {
			if strings.HasPrefix(p, path+".") {
				return true
			}
		}
		return false
	}
	type hit struct {
		loc *ast.Location
		msg string
	}
	var hits []hit
	for name, m := range modules {
		if builtinFile[name] {
			continue
		}
		pkg := packageOf(m)
		if within(pkg) {
			hits = append(hits, hit{m.Package.Location, fmt.Sprintf("package %s belongs to amiaudit's built-in policies: a --policy file cannot add to it, as that could change what built-in rules find; give your rule a package of its own, such as %s.<team>.<rule>", pkg, RulesPackage)})
			continue
		}
		for _, r := range m.Rules {
			path, dynamic := rulePath(pkg, r.Head.Ref())
			if within(path) || (dynamic && above(path)) {
				hits = append(hits, hit{r.Location, fmt.Sprintf("rule %s reaches into amiaudit's built-in policies: a --policy file cannot add to them, as that could change what built-in rules find; define your rules in a package of their own", strings.TrimPrefix(r.Head.Ref().String(), "data."))})
			}
		}
	}
	sort.Slice(hits, func(i, j int) bool {
		a, b := hits[i].loc, hits[j].loc
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Row < b.Row || (a.Row == b.Row && a.Col < b.Col)
	})
	errs := make([]string, len(hits))
	for i, h := range hits {
		errs[i] = fmt.Sprintf("%s:%d:%d: %s", h.loc.File, h.loc.Row, h.loc.Col, h.msg)
	}
	return errs
}

// rulePath is the document a rule head defines, as far as its head is
// constant, and whether a variable follows.
func rulePath(pkg string, ref ast.Ref) (string, bool) {
	path := pkg
	for i, t := range ref {
		switch v := t.Value.(type) {
		case ast.Var:
			if i > 0 {
				return path, true
			}
			path += "." + string(v)
		case ast.String:
			path += "." + string(v)
		default:
			return path, true
		}
	}
	return path, false
}

func packageOf(m *ast.Module) string {
	return strings.TrimPrefix(m.Package.Path.String(), "data.")
}

func parentPackage(p string) string {
	i := strings.LastIndex(p, ".")
	if i < 0 {
		return ""
	}
	return p[:i]
}
