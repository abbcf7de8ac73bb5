// Package regotest holds helpers shared by the tests of the Rego sandbox
// (package rules, the CLI and e2e). It is imported by tests only.
package regotest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

// BuiltinCall is a Rego call of the builtin name with as many arguments as it
// takes (input.arg0, input.arg1, …), so that the policy compiles as far as
// the sandbox check. A name that is no builtin of this OPA fails the test.
func BuiltinCall(t testing.TB, name string) string {
	t.Helper()
	b, ok := ast.BuiltinMap[name]
	if !ok {
		t.Fatalf("%s is not a builtin of this OPA", name)
	}
	args := make([]string, len(b.Decl.FuncArgs().Args))
	for i := range args {
		args[i] = fmt.Sprintf("input.arg%d", i)
	}
	return fmt.Sprintf("%s(%s)", name, strings.Join(args, ", "))
}
