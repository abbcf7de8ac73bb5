package rules

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

// A file that declares package amiaudit.lib.trust adds its clauses to the
// built-in trust model. This one makes every account trusted: without the
// guard, AMI-002 (share with an untrusted account) goes silent.
const trustEveryone = `package amiaudit.lib.trust

account_trusted(_) if true
`

// The attack works when the modules are merged (the reason for the guard)...
func TestUserPackageAttackWithoutGuard(t *testing.T) {
	files, err := policyFiles(nil, false)
	if err != nil {
		t.Fatal(err)
	}
	count := func(files []policyFile) int {
		t.Helper()
		modules, err := parseModules(files)
		if err != nil {
			t.Fatal(err)
		}
		c := ast.NewCompiler().WithCapabilities(CurrentSandbox().Capabilities)
		if c.Compile(modules); c.Failed() {
			t.Fatal(c.Errors)
		}
		rs, err := rego.New(rego.Compiler(c), rego.Query("n := count(data.amiaudit.rules.ami.untrusted_account.findings)"),
			rego.ParsedInput(Input(loadExample(t), exampleConfig(t)))).Eval(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		n, err := strconv.Atoi(fmt.Sprint(rs[0].Bindings["n"]))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count(files)
	after := count(append(files, policyFile{name: "team/trust.rego", content: []byte(trustEveryone)}))
	if before == 0 || after != 0 {
		t.Fatalf("AMI-002 findings: %d without the extra clause, %d with it; the test no longer shows the attack", before, after)
	}
}

// ...and Load refuses it, and every other user file that declares a built-in
// package, a package below one, or one under amiaudit.lib.
func TestUserPackagesCannotExtendBuiltin(t *testing.T) {
	for _, tc := range []struct{ name, src, pkg string }{
		{"lib helper", trustEveryone, "amiaudit.lib.trust"},
		{"rule package", "package amiaudit.rules.ami.public\n\nfindings contains {} if false\n", "amiaudit.rules.ami.public"},
		{"below a rule package", "package amiaudit.rules.ami.public.extra\n\nx := 1\n", "amiaudit.rules.ami.public.extra"},
		{"new lib package", "package amiaudit.lib.mine\n\nx := 1\n", "amiaudit.lib.mine"},
		{"lib itself", "package amiaudit.lib\n\nx := 1\n", "amiaudit.lib"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "x.rego")
			if err := os.WriteFile(path, []byte(tc.src), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(context.Background(), dir)
			var pe *PolicyError
			want := filepath.ToSlash(path) + ":1:1: package " + tc.pkg + " belongs to amiaudit's built-in policies"
			if !errors.As(err, &pe) || len(pe.Errors) != 1 || !strings.HasPrefix(pe.Errors[0], want) {
				t.Fatalf("Load: %v, want %q…", err, want)
			}
		})
	}
	// A rule head that reaches into a built-in package from above.
	for _, tc := range []struct{ name, src, want string }{
		{"ref head into lib", "package amiaudit\n\nlib.trust.account_trusted(_) if true\n", ":3:1: rule lib.trust.account_trusted reaches into amiaudit's built-in policies"},
		{"ref head into a rule", "package amiaudit.rules.ami\n\npublic.findings contains {} if false\n", ":3:1: rule public.findings reaches into"},
		{"variable above a rule", "package amiaudit.rules\n\nami[x].findings contains {} if x := \"public\"\n", ":3:1: rule ami[x].findings reaches into"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "x.rego"), []byte(tc.src), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := Load(context.Background(), dir); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load: %v, want %q", err, tc.want)
			}
		})
	}
	// Packages of one's own, helpers included, and reading the built-in
	// helpers are fine.
	dir := t.TempDir()
	writeRule(t, dir, "ORG-010", "data.team.helpers.ok\n\tnot data.amiaudit.lib.trust.account_trusted(\"999999999999\")")
	if err := os.WriteFile(filepath.Join(dir, "helpers.rego"), []byte("package team.helpers\n\nok := true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(context.Background(), dir); err != nil {
		t.Fatalf("Load: %v", err)
	}
}

// A --policy directory named like the built-in one cannot replace a built-in
// file by giving its own the same name.
func TestUserFileCannotReplaceBuiltin(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.MkdirAll(filepath.Join("policies", "ami"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("policies", "ami", "public.rego"), []byte("package team.empty\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(context.Background(), "policies")
	if err == nil || !strings.HasPrefix(err.Error(), "policies/ami/public.rego: a --policy file has the name of a built-in policy file") {
		t.Fatalf("Load: %v", err)
	}
}
