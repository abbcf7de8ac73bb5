package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/amiaudit/amiaudit/report"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const (
	exampleSnapshot = "../../examples/snapshot.json"
	exampleConfig   = "../../examples/amiaudit.yaml"
	// 2026-11-25T00:00:00Z: after the example's expired waiver, before its active one.
	fixedEpoch = "1795564800"
)

// amiaudit runs the command in-process and returns its exit code, stdout and stderr.
func amiaudit(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	t.Setenv("SOURCE_DATE_EPOCH", fixedEpoch)
	var out, errOut bytes.Buffer
	code := Run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/cli -update to create it)", err)
	}
	if string(want) != got {
		wl, gl := strings.Split(string(want), "\n"), strings.Split(got, "\n")
		for i := 0; i < max(len(wl), len(gl)); i++ {
			var w, g string
			if i < len(wl) {
				w = wl[i]
			}
			if i < len(gl) {
				g = gl[i]
			}
			if w != g {
				t.Errorf("%s differs from the output at line %d (review, then go test ./internal/cli -update):\nwant: %q\ngot:  %q", path, i+1, w, g)
				return
			}
		}
	}
}

func TestEvaluateExampleGolden(t *testing.T) {
	for _, format := range []string{"table", "json", "sarif", "ocsf", "asff", "junit", "csv"} {
		t.Run(format, func(t *testing.T) {
			code, out, stderr := amiaudit(t, "", "evaluate", exampleSnapshot, "--config", exampleConfig, "--format", format)
			if code != exitFindings {
				t.Fatalf("exit %d, want 1 (the example has high findings); stderr: %s", code, stderr)
			}
			if !strings.Contains(stderr, "waiver has expired") {
				t.Errorf("stderr does not warn about the expired waiver: %q", stderr)
			}
			golden(t, "example."+format+".golden", out)
		})
	}
}

func TestEvaluateExampleSummaryGolden(t *testing.T) {
	code, out, stderr := amiaudit(t, "", "evaluate", exampleSnapshot, "--config", exampleConfig, "--summary")
	if code != exitFindings {
		t.Fatalf("exit %d, want 1; stderr: %s", code, stderr)
	}
	golden(t, "example.table-summary.golden", out)

	code, _, stderr = amiaudit(t, "", "evaluate", exampleSnapshot, "--summary", "--format", "json")
	if code != exitUsage || !strings.Contains(stderr, "--summary") {
		t.Errorf("--summary with --format json: exit %d, stderr %q; want a usage error naming --summary", code, stderr)
	}
}

// An --output name picks the format where its extension is unambiguous.
func TestOutputExtensionPicksFormat(t *testing.T) {
	dir := t.TempDir()
	for name, want := range map[string]string{
		"findings.ocsf.json": `"class_uid": 2003`,
		"findings.asff.json": `"SchemaVersion": "2018-10-08"`,
		"junit.xml":          `<testsuites name="amiaudit"`,
		"findings.csv":       "rule_id,severity,title,",
	} {
		path := filepath.Join(dir, name)
		if code, _, stderr := amiaudit(t, "", "evaluate", exampleSnapshot, "--output", path, "--fail-on", "none"); code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, stderr)
		}
		data, err := os.ReadFile(path)
		if err != nil || !strings.Contains(string(data), want) {
			t.Errorf("%s does not hold its format (%v): %.200s", name, err, data)
		}
	}
}

// --baseline with ASFF: a finding of the earlier run that this run lacks is
// written archived and passed, so that the import closes it in Security Hub.
func TestASFFBaselineArchivesResolved(t *testing.T) {
	dir := t.TempDir()
	_, out, stderr := amiaudit(t, "", "evaluate", exampleSnapshot, "--config", exampleConfig, "--format", "json", "--fail-on", "none")
	var old map[string]any
	if err := json.Unmarshal([]byte(out), &old); err != nil {
		t.Fatalf("JSON report: %v (%s)", err, stderr)
	}
	// Last night there was one more public AMI, since deregistered.
	findings := old["findings"].([]any)
	extra := map[string]any{}
	b, _ := json.Marshal(findings[0])
	_ = json.Unmarshal(b, &extra)
	extra["resource"].(map[string]any)["arn"] = "arn:aws:ec2:us-east-1::image/ami-0deregistered0000"
	extra["resource"].(map[string]any)["id"] = "ami-0deregistered0000"
	old["findings"] = append(findings, extra)
	baseline := filepath.Join(dir, "last-night.json")
	b, _ = json.Marshal(old)
	writeFile(t, baseline, string(b))

	code, out, stderr := amiaudit(t, "", "evaluate", exampleSnapshot, "--config", exampleConfig, "--format", "asff", "--baseline", baseline, "--fail-on", "none")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var asff []struct {
		RecordState string
		Compliance  struct{ Status string }
		Resources   []struct{ Id string }
	}
	if err := json.Unmarshal([]byte(out), &asff); err != nil {
		t.Fatal(err)
	}
	var archived []string
	for _, a := range asff {
		if a.RecordState == "ARCHIVED" {
			archived = append(archived, a.Resources[0].Id+" "+a.Compliance.Status)
		}
	}
	if len(archived) != 1 || archived[0] != "arn:aws:ec2:us-east-1::image/ami-0deregistered0000 PASSED" || len(asff) != len(findings)+1 {
		t.Errorf("archived %v of %d ASFF findings, want the deregistered AMI alone, PASSED", archived, len(asff))
	}

	if code, _, stderr := amiaudit(t, "", "evaluate", exampleSnapshot, "--format", "csv", "--baseline", baseline); code != exitUsage || !strings.Contains(stderr, "--format html, ocsf or asff (not csv)") {
		t.Errorf("--baseline with csv: exit %d, %q", code, stderr)
	}
}

// TestBaselineTextFollowsTheReportPackage: which formats take --baseline and
// what each does with it is the report package's (report.UsesBaseline,
// BaselineUse); --baseline's help and its refusal name exactly those.
func TestBaselineTextFollowsTheReportPackage(t *testing.T) {
	named := "--format " + orList(report.BaselineFormats())
	for _, cmd := range []string{"evaluate", "scan", "report"} {
		_, help, _ := amiaudit(t, "", cmd, "--help")
		line := flagLine(t, help, "--baseline")
		if !strings.Contains(line, named) {
			t.Errorf("%s --baseline help %q does not name %q", cmd, line, named)
		}
		for _, f := range report.BaselineFormats() {
			if !strings.Contains(line, f+" "+report.BaselineUse(f)) {
				t.Errorf("%s --baseline help does not say what %s does with it: %q", cmd, f, line)
			}
		}
	}
	for _, f := range report.Formats() {
		if report.UsesBaseline(f) {
			continue
		}
		code, _, stderr := amiaudit(t, "", "evaluate", exampleSnapshot, "--format", f, "--baseline", exampleSnapshot)
		if code != exitUsage || !strings.Contains(stderr, "--baseline goes with "+named+" (not "+f+")") {
			t.Errorf("--baseline with %s: exit %d, %q", f, code, stderr)
		}
	}
}

func TestEvaluateIsByteIdentical(t *testing.T) {
	_, first, _ := amiaudit(t, "", "evaluate", exampleSnapshot, "--format", "json", "--fail-on", "none")
	_, second, _ := amiaudit(t, "", "evaluate", exampleSnapshot, "--format", "json", "--fail-on", "none")
	if first != second || first == "" {
		t.Fatal("two runs over the same snapshot differ")
	}
	var r struct {
		Findings []json.RawMessage `json:"findings"`
	}
	if err := json.Unmarshal([]byte(first), &r); err != nil || len(r.Findings) == 0 {
		t.Fatalf("report has no findings: %v", err)
	}
}

func TestFailOn(t *testing.T) {
	cases := map[string]int{"none": 0, "critical": 1, "high": 1, "info": 1}
	for failOn, want := range cases {
		code, _, stderr := amiaudit(t, "", "evaluate", exampleSnapshot, "--format", "json", "--fail-on", failOn)
		if code != want {
			t.Errorf("--fail-on %s: exit %d, want %d (%s)", failOn, code, want, stderr)
		}
	}
	// A snapshot whose only findings are waived passes.
	clean := filepath.Join(t.TempDir(), "clean.json")
	writeFile(t, clean, `{"schema_version":"1","collected_at":"2026-11-20T00:00:00Z","scope":{"accounts":["123456789012"],"regions":["us-east-1"]},"organization":null,
	 "account_regions":[{"account":"123456789012","region":"us-east-1","image_block_public_access":"unblocked","snapshot_block_public_access":"block-all-sharing","allowed_images":"enabled","ebs_encryption_by_default":true}]}`)
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	writeFile(t, cfg, "waivers:\n  - {rule: ACCT-001, resource: 'arn:aws:ec2:us-east-1:123456789012:*', reason: migration, approved_by: me}\n")
	code, out, stderr := amiaudit(t, "", "evaluate", clean, "--config", cfg, "--format", "json")
	if code != 0 || !strings.Contains(out, `"waived": 1`) {
		t.Errorf("waived-only run: exit %d, out %s, stderr %s", code, out, stderr)
	}
	if code, _, _ := amiaudit(t, "", "evaluate", clean, "--format", "json"); code != 1 {
		t.Errorf("without the waiver: exit %d, want 1", code)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBadInputs: each gives exit 2 and a one-line error naming the place, and
// nothing is written in place of the report.
func TestBadInputs(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(exampleSnapshot)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.json")
	writeFile(t, truncated, string(good[:len(good)/2]))
	wrongVersion := filepath.Join(dir, "v9.json")
	writeFile(t, wrongVersion, strings.Replace(string(good), `"schema_version": "1"`, `"schema_version": "9"`, 1))
	unknownField := filepath.Join(dir, "unknown.json")
	writeFile(t, unknownField, strings.Replace(string(good), `"state": "available",`, `"state": "available", "sate": "x",`, 1))
	brokenPolicy := filepath.Join(dir, "policies")
	if err := os.MkdirAll(brokenPolicy, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(brokenPolicy, "bad.rego"), "package amiaudit.rules.x\n\nfindings contains f if {\n\tf := \n}\n")
	badConfig := filepath.Join(dir, "bad.yaml")
	writeFile(t, badConfig, "trusted_accounts:\n  - \"42\"\n")
	unreadable := filepath.Join(dir, "missing.json")

	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"truncated JSON", []string{"evaluate", truncated}, []string{"truncated.json", "truncated"}},
		{"wrong schema_version", []string{"evaluate", wrongVersion}, []string{"v9.json:2:", `schema_version "9" is not supported`}},
		{"unknown field", []string{"evaluate", unknownField}, []string{"unknown.json:", "/images/0/sate", "unknown field"}},
		{"broken user Rego", []string{"evaluate", exampleSnapshot, "--policy", brokenPolicy}, []string{"bad.rego:5:1:", "unexpected"}},
		{"invalid config", []string{"evaluate", exampleSnapshot, "--config", badConfig}, []string{"bad.yaml", "trusted_accounts[0]", "12-digit"}},
		{"unreadable file", []string{"evaluate", unreadable}, []string{"missing.json", "no such file"}},
		{"missing config file", []string{"evaluate", exampleSnapshot, "--config", filepath.Join(dir, "nope.yaml")}, []string{"nope.yaml"}},
		{"bad format", []string{"evaluate", exampleSnapshot, "--format", "xml"}, []string{"--format", "table, json, sarif"}},
		{"bad fail-on", []string{"evaluate", exampleSnapshot, "--fail-on", "severe"}, []string{"--fail-on", "critical, high"}},
		{"no snapshot", []string{"evaluate"}, []string{"expects a snapshot file"}},
		{"unknown flag", []string{"evaluate", exampleSnapshot, "--formt", "json"}, []string{"unknown flag: --formt"}},
		{"bad shard", []string{"collect", "--shard", "9/8"}, []string{`--shard "9/8"`, "expected K/N with 1 ≤ K ≤ N"}},
		{"unknown command", []string{"evalute"}, []string{"unknown command"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "report.json")
			writeFile(t, out, "previous report\n")
			code, stdout, stderr := amiaudit(t, "", append(c.args, "--output", out)...)
			if c.name == "no snapshot" || c.name == "unknown command" {
				code, stdout, stderr = amiaudit(t, "", c.args...)
			}
			if code != exitUsage {
				t.Fatalf("exit %d, want 2; stderr %q", code, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout is not empty: %q", stdout)
			}
			firstLine := strings.SplitN(strings.TrimSpace(stderr), "\n", 2)[0]
			for _, w := range c.want {
				if !strings.Contains(firstLine, w) {
					t.Errorf("error %q does not contain %q", firstLine, w)
				}
			}
			if got, _ := os.ReadFile(out); string(got) != "previous report\n" {
				t.Errorf("the previous report was overwritten: %q", got)
			}
		})
	}
}

func TestOutputFileFormatFromExtension(t *testing.T) {
	dir := t.TempDir()
	sarifPath := filepath.Join(dir, "amiaudit.sarif")
	code, stdout, stderr := amiaudit(t, "", "evaluate", exampleSnapshot, "--output", sarifPath, "--fail-on", "none")
	if code != 0 || stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	b, err := os.ReadFile(sarifPath)
	if err != nil || !strings.Contains(string(b), `"version": "2.1.0"`) {
		t.Fatalf("%s is not SARIF: %v", sarifPath, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestStdinSnapshot(t *testing.T) {
	good, _ := os.ReadFile(exampleSnapshot)
	code, out, stderr := amiaudit(t, string(good), "evaluate", "-", "--format", "json", "--fail-on", "none")
	if code != 0 || !strings.Contains(out, `"rule_id": "AMI-001"`) {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
}

func TestDemo(t *testing.T) {
	code, out, stderr := amiaudit(t, "", "demo")
	if code != 0 {
		t.Fatalf("demo exit %d: %s", code, stderr)
	}
	for _, want := range []string{"AMI-001", "SNAP-003", "KMS-002", "SCAN-001", "35 findings"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if code, _, _ := amiaudit(t, "", "demo", "--fail-on", "high"); code != 1 {
		t.Errorf("demo --fail-on high: exit %d, want 1", code)
	}
}

func TestRulesCommand(t *testing.T) {
	code, out, _ := amiaudit(t, "", "rules", "--format", "json")
	if code != 0 {
		t.Fatal(code)
	}
	golden(t, "rules.json.golden", out)
	var rules []struct{ ID, Severity, Title, Source, Area string }
	if err := json.Unmarshal([]byte(out), &rules); err != nil {
		t.Fatal(err)
	}
	if len(rules) != 27 || rules[0].ID != "ACCT-001" || rules[0].Title == "" {
		t.Errorf("rules = %+v", rules)
	}
	// Every built-in rule names the embedded file it lives in, and that file
	// is the one in the source tree; its area is the directory under policies/.
	for _, r := range rules {
		if !strings.HasPrefix(r.Source, "policies/") || !strings.HasSuffix(r.Source, ".rego") {
			t.Errorf("%s: source %q is not a policies/…/*.rego file", r.ID, r.Source)
			continue
		}
		if want := strings.Split(r.Source, "/")[1]; r.Area != want {
			t.Errorf("%s: area %q, want %q (the directory of %s)", r.ID, r.Area, want, r.Source)
		}
		if _, err := os.Stat(filepath.Join("../..", r.Source)); err != nil {
			t.Errorf("%s: source %s: %v", r.ID, r.Source, err)
		}
	}
	code, out, _ = amiaudit(t, "", "rules")
	if code != 0 || !strings.Contains(out, "AMI-004") || !strings.Contains(out, "SEVERITY") {
		t.Errorf("rules table: exit %d\n%s", code, out)
	}
	golden(t, "rules.table.golden", out)
}

// TestRulesSourceOfUserPolicies: a rule of a --policy directory is listed
// with its path under the argument as given, in the table and in JSON.
func TestRulesSourceOfUserPolicies(t *testing.T) {
	const dir = "../../rules/testdata/policies/good"
	const want = dir + "/tagging.rego"
	code, out, stderr := amiaudit(t, "", "rules", "--policy", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var row string
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "ORG-001") {
			row = line
		}
	}
	if !strings.Contains(row, want) {
		t.Errorf("the ORG-001 row does not name %s: %q", want, row)
	}
	code, out, _ = amiaudit(t, "", "rules", "--policy", want, "--format", "json")
	if code != 0 {
		t.Fatal(code)
	}
	var rules []struct{ ID, Source string }
	if err := json.Unmarshal([]byte(out), &rules); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range rules {
		if r.ID == "ORG-001" {
			found = true
			if r.Source != want {
				t.Errorf("ORG-001 source %q, want %q", r.Source, want)
			}
		}
	}
	if !found {
		t.Error("ORG-001 not listed")
	}
}

func TestHelpAndVersion(t *testing.T) {
	code, out, _ := amiaudit(t, "", "--help")
	if code != 0 || !strings.Contains(out, "evaluate") || !strings.Contains(out, "Examples:") {
		t.Errorf("--help: exit %d\n%s", code, out)
	}
	code, out, _ = amiaudit(t, "", "--version")
	if code != 0 || !strings.HasPrefix(out, "amiaudit ") {
		t.Errorf("--version: exit %d %q", code, out)
	}
	code, out, _ = amiaudit(t, "", "evaluate", "--help")
	if code != 0 || !strings.Contains(out, "Exit codes") || !strings.Contains(out, "--fail-on") {
		t.Errorf("evaluate --help: exit %d\n%s", code, out)
	}
}

func TestGateOfflineExamplePlan(t *testing.T) {
	code, out, stderr := amiaudit(t, "", "gate", "--snapshot", exampleSnapshot, "--plan", "../../examples/terraform-plan.json",
		"--region", "us-east-1", "--config", exampleConfig, "--format", "sarif")
	if code != exitFindings {
		t.Fatalf("exit %d, want 1: %s", code, stderr)
	}
	for _, want := range []string{`"ruleId": "AMI-002"`, `"uri": "../../examples/terraform-plan.json"`, "aws_ami_launch_permission.vendor"} {
		if !strings.Contains(out, want) {
			t.Errorf("SARIF lacks %s", want)
		}
	}
	if strings.Contains(out, `"ruleId": "ACCT-`) {
		t.Error("the gate reports account settings, which are the nightly scan's")
	}
	// The copy leaves encrypted at the provider's default: AWS keeps the copy
	// of the encrypted golden image encrypted, and nothing asked otherwise.
	if strings.Contains(out, `"ruleId": "GATE-001"`) {
		t.Error("GATE-001 on a copy whose configuration does not ask for an unencrypted copy")
	}
	code, out, stderr = amiaudit(t, "", "gate", "--snapshot", exampleSnapshot, "--plan", "../../examples/terraform-plan.json",
		"--region", "us-east-1", "--config", exampleConfig, "--format", "json")
	if code != exitFindings {
		t.Fatalf("exit %d, want 1: %s", code, stderr)
	}
	golden(t, "example-plan.gate.json.golden", out)
}

func TestGateUsageErrors(t *testing.T) {
	cases := map[string][]string{
		"nothing to gate":      {"gate", "--region", "us-east-1", "--snapshot", exampleSnapshot},
		"grantee without AMI":  {"gate", "--share-with", "111122223333", "--snapshot", exampleSnapshot},
		"bad AMI":              {"gate", "--image", "image-1", "--public", "--snapshot", exampleSnapshot},
		"kms key without copy": {"gate", "--image", "ami-0a1b2c3d4e5f60001", "--public", "--kms-key", "arn:aws:kms:us-east-1:1:key/k", "--snapshot", exampleSnapshot},
		"missing plan":         {"gate", "--plan", "nope.json", "--snapshot", exampleSnapshot},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			if code, _, stderr := amiaudit(t, "", args...); code != exitUsage || stderr == "" {
				t.Errorf("exit %d, want 2 with a message; stderr %q", code, stderr)
			}
		})
	}
}

// TestUsageHintOnlyForUsageErrors: "Run 'amiaudit --help' for usage." follows
// a command line that does not parse (a flag, the arguments, the command),
// never an error of a command that ran, such as a custom policy failing at
// evaluation time; both exit 2.
func TestUsageHintOnlyForUsageErrors(t *testing.T) {
	conflict := t.TempDir()
	if err := os.WriteFile(filepath.Join(conflict, "conflict.rego"), []byte(`# METADATA
# title: Conflicts at evaluation time
# custom:
#   id: ORG-004
#   severity: low
package amiaudit.rules.org.conflict

limit := 1 if count(input.images) > 0

limit := 2 if count(input.images) > 0

findings contains f if {
	limit == 3
	f := {}
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	const snap = "../../examples/snapshot.json"
	cases := []struct {
		name string
		args []string
		want string // in stderr
		hint bool
	}{
		{"policy conflict at evaluation", []string{"evaluate", snap, "--policy", conflict}, "eval_conflict_error", false},
		{"finding without a resource", []string{"evaluate", snap, "--policy", "../../rules/testdata/policies/badfinding"}, "finding needs a resource", false},
		{"missing snapshot file", []string{"evaluate", filepath.Join(conflict, "none.json")}, "read snapshot", false},
		{"unknown flag", []string{"evaluate", snap, "--bogus"}, "unknown flag: --bogus", true},
		{"flag value that does not parse", []string{"scan", "--concurrency", "many"}, "invalid argument", true},
		{"no argument", []string{"evaluate"}, "expects a snapshot file", true},
		{"argument to a command that takes none", []string{"rules", "extra"}, "unknown command", true},
		{"unknown command", []string{"frob"}, `unknown command "frob"`, true},
		{"keygen without --output", []string{"keygen"}, "keygen needs --output", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := amiaudit(t, "", c.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if !strings.Contains(stderr, c.want) {
				t.Errorf("stderr does not say %q:\n%s", c.want, stderr)
			}
			if got := strings.Contains(stderr, usageHint); got != c.hint {
				t.Errorf("usage hint shown: %v, want %v:\n%s", got, c.hint, stderr)
			}
		})
	}
}
