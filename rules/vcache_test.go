package rules

import (
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

func TestVirtualCacheSkipsCallsWithCompositeArguments(t *testing.T) {
	fn := ast.NewTerm(ast.MustParseRef("data.amiaudit.lib.resources.volumes"))
	obj := ast.ObjectTerm(ast.Item(ast.StringTerm("id"), ast.StringTerm("ami-1")))
	for _, c := range []struct {
		name string
		ref  ast.Ref
		want bool
	}{
		{"rule value", ast.MustParseRef("data.amiaudit.lib.trust.trusted_accounts"), false},
		{"call with a string", ast.Ref{fn, ast.StringTerm("123456789012")}, false},
		{"call with an object", ast.Ref{fn, obj}, true},
		{"call with an array", ast.Ref{fn, ast.StringTerm("x"), ast.ArrayTerm(obj)}, true},
		{"call with a set", ast.Ref{fn, ast.SetTerm(ast.StringTerm("x"))}, true},
	} {
		if got := skip(c.ref); got != c.want {
			t.Errorf("%s: skip = %v, want %v", c.name, got, c.want)
		}
	}
	// What is not skipped is cached as OPA caches it.
	vc := newVirtualCache()
	rule := ast.MustParseRef("data.amiaudit.lib.trust.trusted_accounts")
	vc.Put(rule, ast.StringTerm("v"))
	vc.Put(ast.Ref{fn, obj}, ast.StringTerm("w"))
	if v, _ := vc.Get(rule); v == nil || !v.Equal(ast.StringTerm("v")) {
		t.Errorf("rule value not cached: %v", v)
	}
	if v, _ := vc.Get(ast.Ref{fn, obj}); v != nil {
		t.Errorf("call with an object argument cached: %v", v)
	}
}
