package rules

import (
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/types"

	"github.com/amiaudit/amiaudit/secrets"
)

// DetectSecretsBuiltin is the Rego function that runs amiaudit's credential
// detectors (package secrets) over a string:
//
//	amiaudit.detect_secrets(text) → [{"detector", "description", "redacted", "offset", "line"}]
//
// Detection lives in Go so that metadata rules (AMI-007, SNAP-004) and the deep
// scan (AMI-008) share one implementation; results hold only redacted secrets.
const DetectSecretsBuiltin = "amiaudit.detect_secrets"

var emptyArray = ast.ArrayTerm()

func init() {
	hit := types.NewObject(
		[]*types.StaticProperty{
			types.NewStaticProperty("detector", types.S),
			types.NewStaticProperty("description", types.S),
			types.NewStaticProperty("redacted", types.S),
			types.NewStaticProperty("offset", types.N),
			types.NewStaticProperty("line", types.N),
		}, nil)
	rego.RegisterBuiltin1(&rego.Function{
		Name:        DetectSecretsBuiltin,
		Description: "Returns the credentials found in a string, redacted.",
		Decl:        types.NewFunction(types.Args(types.S), types.NewArray(nil, hit)),
	}, func(_ rego.BuiltinContext, text *ast.Term) (*ast.Term, error) {
		s, ok := text.Value.(ast.String)
		if !ok {
			return emptyArray, nil
		}
		hits := secrets.Detect(string(s))
		if len(hits) == 0 {
			return emptyArray, nil
		}
		terms := make([]*ast.Term, len(hits))
		for i, h := range hits {
			terms[i] = ast.ObjectTerm(
				ast.Item(ast.StringTerm("detector"), ast.StringTerm(h.Detector)),
				ast.Item(ast.StringTerm("description"), ast.StringTerm(h.Description)),
				ast.Item(ast.StringTerm("redacted"), ast.StringTerm(h.Redacted)),
				ast.Item(ast.StringTerm("offset"), ast.IntNumberTerm(h.Offset)),
				ast.Item(ast.StringTerm("line"), ast.IntNumberTerm(h.Line)),
			)
		}
		return ast.ArrayTerm(terms...), nil
	})
}
