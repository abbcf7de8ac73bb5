package rules

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/tester"
	"github.com/open-policy-agent/opa/v1/types"
	"go.yaml.in/yaml/v3"

	"github.com/amiaudit/amiaudit/snapshot"
)

// testInputName names the Rego function with which the built-in policies'
// tests (_test.rego) build their input:
//
//	amiaudit.test_input(doc, config) → the input the engine evaluates
//
// doc is a snapshot-shaped object and config an object with the configuration
// file's keys. doc is decoded as a snapshot file is (snapshot.Decode: strict,
// validated, normalised; schema_version may be left out), config as a
// configuration file is (ParseConfig), and the input is what Input builds from
// them. So a test sees exactly the fields and indexes a real evaluation sees,
// built by the same code: there is no second definition of the input to keep
// in step, and a fixture with a field the snapshot does not define, or a value
// it would refuse, fails its test instead of testing a shape that never occurs.
//
// The function exists only in the test runner (TestPolicies): it is not
// registered with rego.RegisterBuiltin, so the sandbox, the policy digest and
// `amiaudit rules --builtins` do not know it, and a policy loaded by amiaudit
// cannot call it.
const testInputName = "amiaudit.test_input"

// testInputBuiltin declares testInputName for a tester.Runner.
func testInputBuiltin() *tester.Builtin {
	decl := types.NewFunction(
		types.Args(
			types.Named("doc", types.NewObject(nil, types.NewDynamicProperty(types.S, types.A))).Description("snapshot-shaped document"),
			types.Named("config", types.NewObject(nil, types.NewDynamicProperty(types.S, types.A))).Description("configuration file keys"),
		),
		types.Named("input", types.A).Description("the engine's input, as rules.Input builds it"),
	)
	return &tester.Builtin{
		Decl: &ast.Builtin{Name: testInputName, Decl: decl},
		Func: rego.Function2(&rego.Function{Name: testInputName, Decl: decl}, func(_ rego.BuiltinContext, doc, cfg *ast.Term) (*ast.Term, error) {
			v, err := testInput(doc.Value, cfg.Value)
			if err != nil {
				return nil, err
			}
			return ast.NewTerm(v), nil
		}),
	}
}

// testInput builds the engine's input from a snapshot-shaped value and a
// configuration value, through the decoders a snapshot file and a
// configuration file go through.
func testInput(docValue, cfgValue ast.Value) (ast.Value, error) {
	obj, ok := docValue.(ast.Object)
	if !ok {
		return nil, fmt.Errorf("expected a snapshot-shaped object, found %s", ast.ValueName(docValue))
	}
	if obj.Get(ast.StringTerm("schema_version")) == nil {
		obj = obj.Copy()
		obj.Insert(ast.StringTerm("schema_version"), ast.StringTerm(snapshot.SchemaVersion))
	}
	raw, err := jsonOf(obj)
	if err != nil {
		return nil, fmt.Errorf("encode the test snapshot: %w", err)
	}
	doc, err := snapshot.Decode("test snapshot", raw)
	if err != nil {
		return nil, err
	}
	rawCfg, err := jsonOf(cfgValue)
	if err != nil {
		return nil, fmt.Errorf("encode the test configuration: %w", err)
	}
	cfg, err := ParseConfig("test configuration", rawCfg)
	if err != nil {
		return nil, err
	}
	return Input(doc, cfg), nil
}

// jsonOf is the JSON text of a Rego value.
func jsonOf(v ast.Value) ([]byte, error) {
	x, err := ast.JSON(v)
	if err != nil {
		return nil, err
	}
	return json.Marshal(x)
}

// TestTestInputIsInput: amiaudit.test_input gives the Rego tests the input an
// evaluation gets: the example snapshot (without its schema_version, as
// fixtures leave it out) and configuration, handed over as Rego values,
// become exactly what Input builds from the decoded files.
func TestTestInputIsInput(t *testing.T) {
	doc := exampleFile(t, "snapshot.json")
	delete(doc, "schema_version")
	docValue := ast.MustInterfaceToValue(doc)
	cfgValue := ast.MustInterfaceToValue(exampleFile(t, "amiaudit.yaml"))
	got, err := testInput(docValue, cfgValue)
	if err != nil {
		t.Fatal(err)
	}
	want := Input(loadExample(t), exampleConfig(t)).(ast.Object)
	if got.Compare(want) == 0 {
		return
	}
	keys := ast.NewSet(got.(ast.Object).Keys()...).Union(ast.NewSet(want.Keys()...))
	keys.Foreach(func(k *ast.Term) {
		if g, w := got.(ast.Object).Get(k), want.Get(k); g == nil || w == nil || !g.Equal(w) {
			t.Errorf("input.%s differs between amiaudit.test_input and rules.Input:\n got %v\nwant %v", string(k.Value.(ast.String)), g, w)
		}
	})
}

// exampleFile reads a file of examples/, JSON or YAML, as a map.
func exampleFile(t *testing.T, name string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

// TestTestInputRefusesWhatAFileWouldNot: a fixture is held to what a snapshot
// file and a configuration file may say, and the error names the field.
func TestTestInputRefusesWhatAFileWouldNot(t *testing.T) {
	image := `{"id": "ami-0a", "account": "111111111111", "region": "us-east-1"}`
	tests := []struct {
		name, doc, config, want string
	}{
		{"unknown image field", `{"collected_at": "2026-06-01T00:00:00Z", "images": [{"id": "ami-0a", "account": "111111111111", "region": "us-east-1", "publik": true}]}`, `{}`, `/images/0/publik: unknown field "publik"`},
		{"bad account", `{"collected_at": "2026-06-01T00:00:00Z", "images": [{"id": "ami-0a", "account": "1111", "region": "us-east-1"}]}`, `{}`, `/images/0/account: expected a 12-digit account ID`},
		{"no collection time", `{"images": [` + image + `]}`, `{}`, `/collected_at`},
		{"unknown config key", `{"collected_at": "2026-06-01T00:00:00Z"}`, `{"trusted_acounts": []}`, `trusted_acounts: unknown key`},
		{"not an object", `[]`, `{}`, `expected a snapshot-shaped object, found array`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := testInput(ast.MustParseTerm(tt.doc).Value, ast.MustParseTerm(tt.config).Value)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestTestInputIsNotForPolicies: amiaudit.test_input is the test runner's
// alone: the sandbox does not list it and a policy that calls it is refused at
// load, as docs/writing-rules.md#testing says.
func TestTestInputIsNotForPolicies(t *testing.T) {
	if slices.Contains(CurrentSandbox().Allowed, testInputName) {
		t.Errorf("the sandbox allows %s", testInputName)
	}
	dir := t.TempDir()
	writeRule(t, dir, "ORG-001", `amiaudit.test_input({}, {})`)
	if _, err := Load(context.Background(), dir); err == nil || !strings.Contains(err.Error(), "undefined function "+testInputName) {
		t.Errorf("Load of a policy calling %s: %v, want an undefined function error", testInputName, err)
	}
}

// TestTestingDocExample: the test shown in docs/writing-rules.md#testing runs
// and passes beside the built-in tests.
func TestTestingDocExample(t *testing.T) {
	section := writingRulesSection(t, "Testing")
	open := strings.Index(section, "```rego\n")
	if open < 0 {
		t.Fatal("docs/writing-rules.md#testing has no rego example")
	}
	example := section[open+len("```rego\n"):]
	example = example[:strings.Index(example, "```")]
	m, err := ast.ParseModuleWithOpts("docs/writing-rules.md#testing", example, ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		t.Fatal(err)
	}
	modules := builtinModules(t, false)
	modules["policies/lib/testing_test.rego"] = builtinModules(t, true)["policies/lib/testing_test.rego"]
	modules[m.Package.Location.File] = m
	results := runRegoTests(t, modules, "")
	if len(results) == 0 {
		t.Fatal("the example has no test")
	}
	for _, r := range results {
		if r.Error != nil || !r.Pass() {
			t.Errorf("%s: failed (%v)", r.Name, r.Error)
		}
	}
}
