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
// package, lies below one, or lies under amiaudit.lib.
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
	var errs []string
	for name, m := range modules {
		if builtinFile[name] {
			continue
		}
		pkg := packageOf(m)
		for p := pkg; p != ""; p = parentPackage(p) {
			if reserved[p] {
				loc := m.Package.Location
				errs = append(errs, fmt.Sprintf("%s:%d:%d: package %s belongs to amiaudit's built-in policies: a --policy file cannot add to it, as that could change what built-in rules find; give your rule a package of its own, such as %s.<team>.<rule>", loc.File, loc.Row, loc.Col, pkg, RulesPackage))
				break
			}
		}
	}
	sort.Strings(errs)
	return errs
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
