package rules

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/amiaudit/amiaudit/finding"
	"github.com/amiaudit/amiaudit/snapshot"
)

func loadExample(t testing.TB) *snapshot.Document {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "examples", "snapshot.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := snapshot.Decode("snapshot.json", data)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func exampleConfig(t testing.TB) *Config {
	t.Helper()
	cfg, err := LoadConfig(filepath.Join("..", "examples", "amiaudit.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// The rules that fire on a collected snapshot: the catalogue of rules.md
// minus the deep scan (AMI-008) and the gate rules (GATE-*).
var offlineRules = []string{
	"ACCT-001", "ACCT-002", "ACCT-003", "ACCT-004",
	"AMI-001", "AMI-002", "AMI-003", "AMI-004", "AMI-005", "AMI-006", "AMI-007", "AMI-009", "AMI-010", "AMI-011",
	"KMS-001", "KMS-002", "KMS-003",
	"SCAN-001",
	"SNAP-001", "SNAP-002", "SNAP-003", "SNAP-004",
}

// builtinRules is every built-in rule: the offline ones, the deep scan's
// (AMI-008) and the gate's.
var builtinRules = []string{
	"ACCT-001", "ACCT-002", "ACCT-003", "ACCT-004",
	"AMI-001", "AMI-002", "AMI-003", "AMI-004", "AMI-005", "AMI-006", "AMI-007", "AMI-008", "AMI-009", "AMI-010", "AMI-011",
	"GATE-001", "GATE-002", "GATE-003", "GATE-004",
	"KMS-001", "KMS-002", "KMS-003",
	"SCAN-001",
	"SNAP-001", "SNAP-002", "SNAP-003", "SNAP-004",
}

func TestBuiltinRulesMetadata(t *testing.T) {
	e, err := Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range e.Rules() {
		ids = append(ids, r.ID)
		if r.Title == "" || r.Description == "" || r.Remediation == "" || len(r.References) == 0 {
			t.Errorf("%s: incomplete metadata %+v", r.ID, r)
		}
		if !strings.HasPrefix(r.Source, "policies/") {
			t.Errorf("%s: source %q", r.ID, r.Source)
		}
		// The area (SARIF's tag) is the package's, which is the directory's.
		if dir := path.Base(path.Dir(r.Source)); r.Area != dir {
			t.Errorf("%s: area %q, want %q, the directory of %s", r.ID, r.Area, dir, r.Source)
		}
	}
	if !reflect.DeepEqual(ids, builtinRules) {
		t.Errorf("loaded rules %v, want %v", ids, builtinRules)
	}
	// Default severities are the public contract of rules.md.
	want := map[string]finding.Severity{
		"AMI-001": "critical", "AMI-002": "high", "AMI-003": "high", "AMI-004": "high", "AMI-005": "high",
		"AMI-006": "medium", "AMI-007": "critical", "AMI-008": "critical", "AMI-009": "low", "AMI-010": "medium", "AMI-011": "low",
		"SNAP-001": "critical", "SNAP-002": "high", "SNAP-003": "medium", "SNAP-004": "critical",
		"KMS-001": "critical", "KMS-002": "high", "KMS-003": "medium",
		"ACCT-001": "high", "ACCT-002": "high", "ACCT-003": "low", "ACCT-004": "medium", "SCAN-001": "high",
		"GATE-001": "high", "GATE-002": "medium", "GATE-003": "high", "GATE-004": "high",
	}
	for id, sev := range want {
		if r, ok := e.Rule(id); !ok || r.Severity != sev {
			t.Errorf("%s severity = %v, want %s", id, r, sev)
		}
	}
	if !strings.HasPrefix(e.Digest(), "sha256:") || len(e.Digest()) != 71 {
		t.Errorf("digest %q", e.Digest())
	}
}

// TestExampleFindings pins which rule fires on which resource of the example
// organization, and that the clean resources stay clean.
func TestExampleFindings(t *testing.T) {
	e, err := Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	fs, err := e.Evaluate(context.Background(), loadExample(t), exampleConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fs {
		got = append(got, f.RuleID+" "+string(f.Severity)+" "+f.Resource.ID)
	}
	sort.Strings(got)
	want := []string{
		"ACCT-001 high 234567890123/us-east-1",
		"ACCT-002 high 234567890123/eu-west-1",
		"ACCT-002 medium 234567890123/us-east-1",
		"ACCT-003 info 234567890123/eu-west-1",
		"ACCT-003 low 345678901234/us-east-1",
		"ACCT-004 medium 234567890123/us-east-1",
		"AMI-001 critical ami-0a1b2c3d4e5f60002",
		"AMI-002 high ami-0a1b2c3d4e5f60003",
		"AMI-002 high ami-0a1b2c3d4e5f60021",
		"AMI-003 high ami-0a1b2c3d4e5f60004",
		"AMI-004 high ami-0a1b2c3d4e5f60004",
		"AMI-004 high ami-0a1b2c3d4e5f60005",
		"AMI-004 high ami-0a1b2c3d4e5f60021",
		"AMI-004 high ami-0a1b2c3d4e5f60023",
		"AMI-005 high ami-0a1b2c3d4e5f60006",
		"AMI-006 medium ami-0a1b2c3d4e5f60002",
		"AMI-006 medium ami-0a1b2c3d4e5f60003",
		"AMI-007 critical ami-0a1b2c3d4e5f60007",
		"AMI-009 low ami-0a1b2c3d4e5f60002",
		"AMI-009 low ami-0a1b2c3d4e5f60008",
		"AMI-010 medium ami-0a1b2c3d4e5f60003",
		"AMI-010 medium ami-0a1b2c3d4e5f60009",
		"AMI-011 low ami-0a1b2c3d4e5f60002",
		"AMI-011 low ami-0a1b2c3d4e5f60008",
		"KMS-001 critical 1a2b3c4d-0005-4000-8000-000000000005",
		"KMS-002 high 1a2b3c4d-0006-4000-8000-000000000006",
		"KMS-003 medium 1a2b3c4d-0007-4000-8000-000000000007",
		"SCAN-001 high ec2:GetSnapshotBlockPublicAccessState",
		"SCAN-001 high kms:GetKeyPolicy 1a2b3c4d-0008-4000-8000-000000000008",
		"SNAP-001 critical snap-0a1b2c3d4e5f60103",
		"SNAP-001 low snap-0a1b2c3d4e5f60105",
		"SNAP-002 high snap-0a1b2c3d4e5f60003",
		"SNAP-003 high snap-0a1b2c3d4e5f60102",
		"SNAP-003 medium snap-0a1b2c3d4e5f60101",
		"SNAP-004 critical snap-0a1b2c3d4e5f60104",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	clean := []string{"ami-0a1b2c3d4e5f60001", "ami-0a1b2c3d4e5f60010", "ami-0a1b2c3d4e5f60011", "snap-0a1b2c3d4e5f60001", "snap-0a1b2c3d4e5f60010",
		"1a2b3c4d-0001-4000-8000-000000000001", "1a2b3c4d-0002-4000-8000-000000000002", "123456789012/us-east-1", "123456789012/eu-west-1",
		// The access model: a Deny-outside-the-organization guard keeps the
		// vendor out (no KMS-002); an aws:PrincipalOrgPaths key for an OU's
		// subtree serves its nested OU (no AMI-004), whose account the OU
		// share covers (no AMI-010).
		"1a2b3c4d-0009-4000-8000-000000000009", "1a2b3c4d-0010-4000-8000-000000000010", "1a2b3c4d-0011-4000-8000-000000000011",
		"ami-0a1b2c3d4e5f60022", "snap-0a1b2c3d4e5f60022"}
	for _, f := range fs {
		for _, c := range clean {
			if f.Resource.ID == c {
				t.Errorf("clean resource %s has finding %s: %s", c, f.RuleID, f.Message)
			}
		}
	}
	for _, id := range offlineRules {
		found := false
		for _, f := range fs {
			found = found || f.RuleID == id
		}
		if !found {
			t.Errorf("rule %s does not fire on the example", id)
		}
	}
	// No finding carries the example's planted secrets.
	b, _ := json.Marshal(fs)
	for _, secret := range []string{"AKIA" + "R7Q2XW9PLM4N6TZC", "Orders2024!Prod"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("findings contain the whole secret %q", secret)
		}
	}
}

func TestEvaluationIsDeterministic(t *testing.T) {
	e, err := Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var first []byte
	for i := 0; i < 3; i++ {
		fs, err := e.Evaluate(context.Background(), loadExample(t), exampleConfig(t))
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(fs)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = b
		} else if string(b) != string(first) {
			t.Fatalf("run %d differs from run 0", i)
		}
	}
}

func TestUserPolicy(t *testing.T) {
	e, err := Load(context.Background(), filepath.Join("testdata", "policies", "good"))
	if err != nil {
		t.Fatal(err)
	}
	r, ok := e.Rule("ORG-001")
	if !ok || r.Severity != finding.Low || r.References[0] != "https://example.com/tagging-standard" || r.Source != "testdata/policies/good/tagging.rego" || r.Area != "org" {
		t.Fatalf("user rule = %+v", r)
	}
	builtin, _ := Load(context.Background())
	if builtin.Digest() == e.Digest() {
		t.Error("adding a policy does not change the digest")
	}
	fs, err := e.Evaluate(context.Background(), loadExample(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range fs {
		if f.RuleID == "ORG-001" {
			n++
			if f.Title != "Shared AMI has no owner tag" || f.Remediation != "Tag the AMI with Owner." {
				t.Errorf("metadata not attached: %+v", f)
			}
		}
	}
	if n == 0 {
		t.Error("the user rule produced no finding")
	}
}

func TestBrokenPolicies(t *testing.T) {
	cases := map[string][]string{
		"broken":  {"testdata/policies/broken/broken.rego:12:", "unexpected eof"},
		"nometa":  {"testdata/policies/nometa/nometa.rego:1:1", "no # METADATA"},
		"dupid":   {"testdata/policies/dupid/dup.rego:1:1", "AMI-001 is already used"},
		"missing": {"testdata/policies/missing", "cannot read policy directory"},
	}
	for dir, want := range cases {
		t.Run(dir, func(t *testing.T) {
			_, err := Load(context.Background(), filepath.Join("testdata", "policies", dir))
			var pe *PolicyError
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, want a *PolicyError", err)
			}
			for _, w := range want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestBadFindingShape(t *testing.T) {
	e, err := Load(context.Background(), filepath.Join("testdata", "policies", "badfinding"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Evaluate(context.Background(), loadExample(t), nil)
	if err == nil || !strings.Contains(err.Error(), "ORG-003") || !strings.Contains(err.Error(), "resource") {
		t.Fatalf("got %v", err)
	}
}

// TestRegionalSplitMatchesWholeSnapshot: evaluating the regional rules region by
// region gives exactly the findings of evaluating them over the whole snapshot.
func TestRegionalSplitMatchesWholeSnapshot(t *testing.T) {
	ctx := context.Background()
	e, err := Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if e.global != nil || e.regional == nil || len(e.regional.rules) != len(builtinRules) {
		t.Fatal("every built-in rule should be regional")
	}
	doc, cfg := loadExample(t), exampleConfig(t)
	split, err := e.Evaluate(ctx, doc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := e.regional.eval(ctx, Input(doc, cfg))
	if err != nil {
		t.Fatal(err)
	}
	finding.Sort(whole)
	a, _ := json.Marshal(split)
	b, _ := json.Marshal(whole)
	if string(a) != string(b) {
		t.Fatalf("split evaluation differs from whole-snapshot evaluation:\n%s\n%s", a, b)
	}
	if n := len(splitByRegion(doc)); n != 2 {
		t.Errorf("the example splits into %d regions, want 2", n)
	}
}

func TestAreaOfPackage(t *testing.T) {
	for pkg, want := range map[string]string{
		"amiaudit.rules.ami.public":         "ami",
		"amiaudit.rules.coverage.scope":     "coverage",
		"amiaudit.rules.org.owner_tag":      "org",
		"amiaudit.rules.team.images.nested": "team",
		"amiaudit.rules.single":             "",
		"amiaudit.rules":                    "",
		"amiaudit.rulesx.ami.public":        "",
		"amiaudit.lib.trust":                "",
	} {
		if got := areaOf(pkg); got != want {
			t.Errorf("areaOf(%q) = %q, want %q", pkg, got, want)
		}
	}
}

// TestZeroConfigIsDefaultConfig: a Config built in code with its thresholds
// left at zero evaluates like DefaultConfig and like a configuration file
// that leaves the keys out (ParseConfig), for both thresholds: the defaults
// live in Go (withDefaults), not in the Rego rules.
func TestZeroConfigIsDefaultConfig(t *testing.T) {
	e, err := Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	doc := loadExample(t)
	eval := func(cfg *Config) []string {
		t.Helper()
		fs, err := e.Evaluate(context.Background(), doc, cfg)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range fs {
			got = append(got, f.RuleID+" "+f.Resource.ID+" "+f.Message)
		}
		sort.Strings(got)
		return got
	}
	want := eval(DefaultConfig())
	count := func(fs []string, rule string) int {
		n := 0
		for _, f := range fs {
			if strings.HasPrefix(f, rule+" ") {
				n++
			}
		}
		return n
	}
	// The example snapshot has AMIs on both sides of each default threshold,
	// so a threshold that fell to 0 changes the findings.
	if count(want, "AMI-009") == 0 || count(want, "AMI-011") == 0 {
		t.Fatalf("the example snapshot gives no AMI-009 or AMI-011 with the defaults: %q", want)
	}
	empty, err := ParseConfig("empty.yaml", []byte("# no keys\n"))
	if err != nil {
		t.Fatal(err)
	}
	for name, cfg := range map[string]*Config{
		"zero Config":                 {},
		"nil Config":                  nil,
		"only the AMI-011 threshold":  {MaxUnusedSharedImageDays: DefaultMaxUnusedSharedImageDays},
		"only the AMI-009 threshold":  {MaxSharedImageAgeDays: DefaultMaxSharedImageAgeDays},
		"configuration without a key": empty,
	} {
		got := eval(cfg)
		for _, rule := range []string{"AMI-009", "AMI-011"} {
			if g, w := count(got, rule), count(want, rule); g != w {
				t.Errorf("%s: %d %s findings, want %d as with DefaultConfig", name, g, rule, w)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: findings differ from DefaultConfig's\n got %q\nwant %q", name, got, want)
		}
	}
}
