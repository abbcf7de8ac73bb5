package rules

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"

	"github.com/amiaudit/amiaudit/finding"
	"github.com/amiaudit/amiaudit/internal/awsid"
	"github.com/amiaudit/amiaudit/snapshot"
)

// builtinModules parses the built-in policies (and their _test.rego files
// withTests) as Load reads them.
func builtinModules(tb testing.TB, withTests bool) map[string]*ast.Module {
	tb.Helper()
	files, err := policyFiles(nil, withTests)
	if err != nil {
		tb.Fatal(err)
	}
	modules, err := parseModules(files)
	if err != nil {
		tb.Fatal(err)
	}
	return modules
}

// TestPolicies runs every _test.rego of the built-in bundle through OPA's tester,
// so that one go test covers the Rego and the Go.
func TestPolicies(t *testing.T) {
	modules := builtinModules(t, true)
	ran := 0
	tested := map[string]bool{}
	for _, r := range runRegoTests(t, modules, "") {
		ran++
		tested[r.Package] = true
		name := strings.TrimPrefix(r.Package, "data.") + "." + r.Name
		if r.Error != nil {
			t.Errorf("%s: %v", name, r.Error)
			continue
		}
		if !r.Pass() {
			t.Errorf("%s failed (%s:%d)", name, r.Location.File, r.Location.Row)
		}
	}
	if ran == 0 {
		t.Fatal("no Rego test ran")
	}
	// Every rule package has tests beside it.
	for _, m := range modules {
		p := m.Package.Path.String()
		if strings.HasPrefix(p, "data."+RulesPackage+".") && !strings.HasSuffix(m.Package.Location.File, "_test.rego") && !tested[p] && !tested[p+"_test"] {
			t.Errorf("rule package %s (%s) has no _test.rego tests", p, m.Package.Location.File)
		}
	}
	t.Logf("%d Rego tests ran", ran)
}

// runRegoTests runs the Rego tests of modules whose names match filter (a
// regular expression; "" runs all). They are compiled in the same sandbox as
// the rules, plus the test-only amiaudit.test_input (testinput_test.go), with
// which they build their input.
func runRegoTests(t *testing.T, modules map[string]*ast.Module, filter string) []*tester.Result {
	t.Helper()
	ctx := context.Background()
	store := inmem.New()
	txn := storage.NewTransactionOrDie(ctx, store)
	defer store.Abort(ctx, txn)
	testInput := testInputBuiltin()
	caps := CurrentSandbox().Capabilities
	caps.Builtins = append(caps.Builtins, testInput.Decl)
	ch, err := tester.NewRunner().
		SetCompiler(ast.NewCompiler().WithCapabilities(caps)).
		AddCustomBuiltins([]*tester.Builtin{testInput}).
		SetStore(store).
		SetModules(modules).
		Filter(filter).
		RaiseBuiltinErrors(true).
		RunTests(ctx, txn)
	if err != nil {
		t.Fatal(err)
	}
	var results []*tester.Result
	for r := range ch {
		results = append(results, r)
	}
	return results
}

// TestRegoAWSEBSKeyAliasIsGos holds the Rego library's alias of the AWS
// managed key for EBS (policies/lib/kms.rego) equal to the Go one, which the
// gate uses for a copy's default key, so the two cannot drift.
func TestRegoAWSEBSKeyAliasIsGos(t *testing.T) {
	for _, m := range builtinModules(t, false) {
		if m.Package.Path.String() != "data."+LibPackage+".kms" {
			continue
		}
		for _, r := range m.Rules {
			if r.Head.Name.String() != "aws_ebs_key_alias" {
				continue
			}
			got, ok := r.Head.Value.Value.(ast.String)
			if !ok || string(got) != snapshot.AWSManagedEBSKeyAlias {
				t.Fatalf("%s: aws_ebs_key_alias is %v, want snapshot.AWSManagedEBSKeyAlias %q", m.Package.Location.File, r.Head.Value, snapshot.AWSManagedEBSKeyAlias)
			}
			return
		}
	}
	t.Fatalf("no aws_ebs_key_alias in package %s.kms", LibPackage)
}

// TestRegoAccountIDPatternIsGos holds the Rego definition of an account ID
// (policies/lib/ids.rego) equal to the Go one, so the two cannot drift.
func TestRegoAccountIDPatternIsGos(t *testing.T) {
	for _, m := range builtinModules(t, false) {
		if m.Package.Path.String() != "data."+LibPackage+".ids" {
			continue
		}
		for _, r := range m.Rules {
			if r.Head.Name.String() != "account_id_pattern" {
				continue
			}
			got, ok := r.Head.Value.Value.(ast.String)
			if !ok || string(got) != awsid.AccountIDPattern {
				t.Fatalf("%s: account_id_pattern is %v, want awsid.AccountIDPattern %q", m.Package.Location.File, r.Head.Value, awsid.AccountIDPattern)
			}
			return
		}
	}
	t.Fatalf("no account_id_pattern in package %s.ids", LibPackage)
}

// TestRegoResourceTypesAreGos holds the resource types the Rego helpers build
// (policies/lib/resources.rego) equal to package finding's constants, which
// the report writers and the test bed use.
func TestRegoResourceTypesAreGos(t *testing.T) {
	e, err := Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r := `{"id": "i", "arn": "a", "account": "111111111111", "region": "us-east-1"}`
	q := "x := [data.amiaudit.lib.resources.image(" + r + ").type, data.amiaudit.lib.resources.snapshot(" + r + ").type, data.amiaudit.lib.resources.key(" + r + ").type, data.amiaudit.lib.resources.account_region(" + r + ").type]"
	pq, err := rego.New(rego.Compiler(e.compiler), rego.Query(q)).PrepareForEval(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rs, err := pq.Eval(context.Background(), rego.EvalInput(map[string]any{"partition": "aws"}))
	if err != nil || len(rs) != 1 {
		t.Fatalf("%v %v", rs, err)
	}
	want := []any{finding.ResourceAMI, finding.ResourceSnapshot, finding.ResourceKey, finding.ResourceAccountRegion}
	if got := rs[0].Bindings["x"]; !reflect.DeepEqual(got, want) {
		t.Errorf("the Rego helpers build resource types %v, package finding says %v", got, want)
	}
}
