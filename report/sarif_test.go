package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/amiaudit/amiaudit/finding"
)

// sarifSchemaEnv overrides where the official SARIF schema is read from.
const sarifSchemaEnv = "AMIAUDIT_SARIF_SCHEMA"

func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	// The official OASIS schema, kept in testdata so that the test needs
	// nothing outside the repository.
	path := os.Getenv(sarifSchemaEnv)
	if path == "" {
		path = filepath.Join("testdata", "sarif-schema-2.1.0.json")
	}
	// Not a skip: without the schema the SARIF contract is unchecked.
	return compileSchema(t, path, "file:///sarif-schema-2.1.0.json", "cannot read the SARIF 2.1.0 schema (set "+sarifSchemaEnv+" to its path)")
}

// compileSchema compiles the JSON Schema in the file at path, known by url to
// its own references; a file that cannot be read fails the test with missing.
func compileSchema(t *testing.T, path, url, missing string) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%s: %v", missing, err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		t.Fatalf("compile %s: %v", path, err)
	}
	return sch
}

// sarifCases are reports that stress the writer: the fixture, nothing at all,
// and findings whose rule was never loaded or whose resource lacks an ARN.
func sarifCases() map[string]*finding.Report {
	unknown := testReport()
	unknown.Rules = nil
	unknown.Findings = append(unknown.Findings, finding.Finding{
		RuleID: "SCAN-001", Severity: finding.High,
		Message:  "Could not call ec2:DescribeImages in 444455556666/ap-south-2: AccessDenied.",
		Resource: finding.Resource{Type: "scope", ID: "444455556666/ap-south-2", Account: accountB, Region: "ap-south-2"},
	}, finding.Finding{
		RuleID: "CUSTOM-1", Severity: "unheard-of",
		Resource: finding.Resource{Type: "ami"},
		Location: &finding.Location{File: "/abs/dir with space/plan.json"},
	})
	return map[string]*finding.Report{
		"fixture":       testReport(),
		"empty":         {},
		"unknown rules": unknown,
	}
}

func TestSARIFValidatesAgainstSchema(t *testing.T) {
	validatesOnEveryCase(t, sarifSchema(t), FormatSARIF)
}

// validatesOnEveryCase renders each of sarifCases in format and validates
// the output against sch.
func validatesOnEveryCase(t *testing.T, sch *jsonschema.Schema, format string) {
	t.Helper()
	for name, r := range sarifCases() {
		t.Run(name, func(t *testing.T) {
			out := render(t, format, Options{}, r)
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(inst); err != nil {
				t.Fatalf("%s output does not validate:\n%#v\n%s", format, err, out)
			}
		})
	}
}

// The parts of SARIF that GitHub code scanning reads.
type sarifDoc struct {
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name    string `json:"name"`
				Version string `json:"version"`
				Rules   []struct {
					ID                   string `json:"id"`
					Name                 string `json:"name"`
					HelpURI              string `json:"helpUri"`
					DefaultConfiguration struct {
						Level string `json:"level"`
					} `json:"defaultConfiguration"`
					Help struct {
						Text     string `json:"text"`
						Markdown string `json:"markdown"`
					} `json:"help"`
					Properties struct {
						SecuritySeverity any      `json:"security-severity"`
						Tags             []string `json:"tags"`
					} `json:"properties"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Results []struct {
			RuleID    string `json:"ruleId"`
			RuleIndex *int   `json:"ruleIndex"`
			Level     string `json:"level"`
			Message   struct {
				Text string `json:"text"`
			} `json:"message"`
			Locations []struct {
				PhysicalLocation *struct {
					ArtifactLocation struct {
						URI string `json:"uri"`
					} `json:"artifactLocation"`
					Region struct {
						StartLine int `json:"startLine"`
					} `json:"region"`
				} `json:"physicalLocation"`
				LogicalLocations []struct {
					Name               string `json:"name"`
					FullyQualifiedName string `json:"fullyQualifiedName"`
					Kind               string `json:"kind"`
				} `json:"logicalLocations"`
			} `json:"locations"`
			PartialFingerprints map[string]string `json:"partialFingerprints"`
			Suppressions        []struct {
				Kind          string `json:"kind"`
				Status        string `json:"status"`
				Justification string `json:"justification"`
			} `json:"suppressions"`
			Properties map[string]any `json:"properties"`
		} `json:"results"`
	} `json:"runs"`
}

func decodeSARIF(t *testing.T, r *finding.Report) sarifDoc {
	t.Helper()
	var doc sarifDoc
	if err := json.Unmarshal(render(t, FormatSARIF, Options{}, r), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != "2.1.0" || len(doc.Runs) != 1 {
		t.Fatalf("version %q with %d runs, want 2.1.0 with one run", doc.Version, len(doc.Runs))
	}
	return doc
}

func TestSARIFCodeScanningExpectations(t *testing.T) {
	for name, r := range sarifCases() {
		t.Run(name, func(t *testing.T) {
			run := decodeSARIF(t, r).Runs[0]
			if run.Tool.Driver.Name != "amiaudit" {
				t.Errorf("driver name %q", run.Tool.Driver.Name)
			}
			ids := map[string]int{}
			for i, rule := range run.Tool.Driver.Rules {
				if _, dup := ids[rule.ID]; dup {
					t.Errorf("rule %s listed twice", rule.ID)
				}
				ids[rule.ID] = i
				s, ok := rule.Properties.SecuritySeverity.(string)
				if !ok {
					t.Errorf("rule %s: security-severity %#v is not a string", rule.ID, rule.Properties.SecuritySeverity)
					continue
				}
				if v, err := strconv.ParseFloat(s, 64); err != nil || v < 0 || v > 10 {
					t.Errorf("rule %s: security-severity %q is not a number in [0, 10]", rule.ID, s)
				}
				if !slices.Contains(rule.Properties.Tags, "security") {
					t.Errorf("rule %s: tags %v lack security", rule.ID, rule.Properties.Tags)
				}
			}
			for i, res := range run.Results {
				idx, ok := ids[res.RuleID]
				if !ok {
					t.Errorf("result %d: ruleId %q is not in driver.rules", i, res.RuleID)
				}
				if res.RuleIndex == nil || *res.RuleIndex != idx {
					t.Errorf("result %d: ruleIndex %v, want %d", i, res.RuleIndex, idx)
				}
				if len(res.Locations) == 0 {
					t.Errorf("result %d (%s) has no location", i, res.RuleID)
				}
				if res.Message.Text == "" {
					t.Errorf("result %d (%s) has no message text", i, res.RuleID)
				}
				if res.PartialFingerprints[fingerprintKey] == "" {
					t.Errorf("result %d (%s) has no %s fingerprint", i, res.RuleID, fingerprintKey)
				}
			}
		})
	}
}

func TestSARIFRules(t *testing.T) {
	r := testReport()
	driver := decodeSARIF(t, r).Runs[0].Tool.Driver
	if driver.Version != "0.4.0" {
		t.Errorf("driver version %q", driver.Version)
	}
	// Every loaded rule, in the loaded order, fired or not.
	var got, want []string
	for _, rule := range driver.Rules {
		got = append(got, rule.ID)
	}
	for _, rule := range r.Rules {
		want = append(want, rule.ID)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("rules %v, want %v", got, want)
	}
	byID := map[string]int{}
	for i, rule := range driver.Rules {
		byID[rule.ID] = i
	}
	ami001 := driver.Rules[byID["AMI-001"]]
	if ami001.Name != "AMIIsPublic" {
		t.Errorf("name %q, want AMIIsPublic", ami001.Name)
	}
	if ami001.HelpURI != r.Rules[1].References[0] {
		t.Errorf("helpUri %q, want the first reference", ami001.HelpURI)
	}
	if ami001.Help.Text == "" || ami001.Help.Markdown == "" {
		t.Error("help must have text and markdown")
	}
	if got := driver.Rules[byID["AMI-002"]].HelpURI; got != "" {
		t.Errorf("helpUri %q for a rule without references", got)
	}
	for id, tags := range map[string][]string{
		"AMI-001":  {"security", "ami", "critical"},
		"SNAP-002": {"security", "snapshot", "high"},
		"KMS-003":  {"security", "kms", "medium"},
		"ACCT-003": {"security", "account", "low"},
		"GATE-001": {"security", "gate", "high"},
	} {
		if got := driver.Rules[byID[id]].Properties.Tags; !slices.Equal(got, tags) {
			t.Errorf("%s tags %v, want %v", id, got, tags)
		}
	}
	if got := driver.Rules[byID["SNAP-001"]].Properties.SecuritySeverity; got != "9.5" {
		t.Errorf("SNAP-001 security-severity %v, want 9.5", got)
	}
}

func TestSARIFLevels(t *testing.T) {
	want := map[finding.Severity]string{
		finding.Critical: "error", finding.High: "error", finding.Medium: "warning",
		finding.Low: "note", finding.Info: "note",
	}
	r := testReport()
	run := decodeSARIF(t, r).Runs[0]
	for i, res := range run.Results {
		if sev := r.Findings[i].Severity; res.Level != want[sev] {
			t.Errorf("%s (%s): level %q, want %q", res.RuleID, sev, res.Level, want[sev])
		}
		if res.Properties["severity"] != string(r.Findings[i].Severity) {
			t.Errorf("%s: properties.severity %v", res.RuleID, res.Properties["severity"])
		}
	}
	for _, rule := range run.Tool.Driver.Rules {
		for _, loaded := range r.Rules {
			if loaded.ID == rule.ID && rule.DefaultConfiguration.Level != want[loaded.Severity] {
				t.Errorf("%s: default level %q, want %q", rule.ID, rule.DefaultConfiguration.Level, want[loaded.Severity])
			}
		}
	}
}

func TestSARIFWaivers(t *testing.T) {
	r := testReport()
	run := decodeSARIF(t, r).Runs[0]
	var waived, expired int
	for i, res := range run.Results {
		f := r.Findings[i]
		switch {
		case f.Waived():
			waived++
			want := "Vendor build account under contract VND-123 (approved by secops@example.com, expires 2027-03-31)"
			if len(res.Suppressions) != 1 || res.Suppressions[0].Kind != "external" ||
				res.Suppressions[0].Status != "accepted" || res.Suppressions[0].Justification != want {
				t.Errorf("%s: suppressions %+v", res.RuleID, res.Suppressions)
			}
		case f.Waiver != nil:
			expired++
			if len(res.Suppressions) != 0 {
				t.Errorf("%s: an expired waiver must not suppress: %+v", res.RuleID, res.Suppressions)
			}
			if res.Properties["waiver"] == nil {
				t.Errorf("%s: the expired waiver should be kept in properties", res.RuleID)
			}
		default:
			if len(res.Suppressions) != 0 {
				t.Errorf("%s: unexpected suppressions", res.RuleID)
			}
		}
	}
	if waived != 1 || expired != 1 {
		t.Fatalf("fixture has %d waived and %d expired findings, want 1 and 1", waived, expired)
	}
}

func TestSARIFLocations(t *testing.T) {
	r := testReport()
	run := decodeSARIF(t, r).Runs[0]
	for i, res := range run.Results {
		f := r.Findings[i]
		loc := res.Locations[0]
		if len(loc.LogicalLocations) == 0 {
			t.Fatalf("%s: no logical location", res.RuleID)
		}
		if ll := loc.LogicalLocations[0]; ll.FullyQualifiedName != f.Resource.ARN || ll.Name != f.Resource.ID || ll.Kind != f.Resource.Type {
			t.Errorf("%s: logical location %+v, want the resource", res.RuleID, ll)
		}
		if f.Location == nil {
			// Code scanning needs a file location: a resource gets its pseudo-path.
			want := "aws/" + f.Resource.Account + "/" + f.Resource.Region + "/" + f.Resource.Type + "/" + url.PathEscape(f.Resource.ID)
			if loc.PhysicalLocation == nil || loc.PhysicalLocation.ArtifactLocation.URI != want || loc.PhysicalLocation.Region.StartLine != 1 {
				t.Errorf("%s: physical location %+v, want %s line 1", res.RuleID, loc.PhysicalLocation, want)
			}
			continue
		}
		if loc.PhysicalLocation == nil || loc.PhysicalLocation.ArtifactLocation.URI != f.Location.File ||
			loc.PhysicalLocation.Region.StartLine != 1 {
			t.Errorf("%s: physical location %+v, want %s", res.RuleID, loc.PhysicalLocation, f.Location.File)
		}
		if len(loc.LogicalLocations) != 2 || loc.LogicalLocations[1].FullyQualifiedName != f.Location.Address {
			t.Errorf("%s: logical locations %+v, want the plan address too", res.RuleID, loc.LogicalLocations)
		}
	}
}

func TestFileURI(t *testing.T) {
	tests := map[string]string{
		"plan.json":                  "plan.json",
		"plans/share ami.json":       "plans/share%20ami.json",
		"/abs/dir with space/p.json": "file:///abs/dir%20with%20space/p.json",
		"c:odd.json":                 "./c:odd.json",
	}
	for in, want := range tests {
		if got := fileURI(in); got != want {
			t.Errorf("fileURI(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSARIFFingerprints(t *testing.T) {
	fp := func(r *finding.Report) map[string]string {
		out := map[string]string{}
		for _, res := range decodeSARIF(t, r).Runs[0].Results {
			key := res.RuleID + " " + res.Message.Text
			if _, dup := out[key]; dup {
				t.Fatalf("duplicate result %s", key)
			}
			out[key] = res.PartialFingerprints[fingerprintKey]
		}
		return out
	}
	first := fp(testReport())

	// Another run: later, another tool version, findings in another order.
	later := testReport()
	later.GeneratedAt = later.GeneratedAt.Add(24 * 3600e9)
	later.Tool.Version = "0.5.0"
	slices.Reverse(later.Findings)
	if second := fp(later); !mapsEqual(first, second) {
		t.Errorf("fingerprints changed between runs:\n%v\n%v", first, second)
	}

	// Pinned: changing the formula must change fingerprintKey too.
	f := testReport().Findings[0]
	sum := sha256.Sum256([]byte(f.RuleID + "\x00" + f.Resource.ARN + "\x00" + f.Key))
	if got := first[f.RuleID+" "+f.Message]; got != hex.EncodeToString(sum[:]) {
		t.Errorf("fingerprint %s, want sha256(rule \\0 arn \\0 key)", got)
	}
}

// TestSARIFFingerprintIgnoresWording: the night a second AMI starts using a
// pending-deletion key, the KMS-003 message and evidence change their counts
// but the alert keeps its fingerprint, so code scanning keeps its triage.
func TestSARIFFingerprintIgnoresWording(t *testing.T) {
	kms003 := func(images ...any) finding.Finding {
		ev := map[string]any{"key_state": "PendingDeletion", "used_by": map[string]any{"images": images, "snapshots": []any{}}}
		return finding.Finding{
			RuleID: "KMS-003", Severity: finding.Medium, Title: "Key backing AMIs is unusable",
			Message:  fmt.Sprintf("KMS key k1 in us-east-1 is PendingDeletion, and %d AMI(s) and 0 snapshot(s) encrypted with it cannot be used.", len(images)),
			Resource: finding.Resource{Type: "kms-key", ID: "k1", ARN: "arn:aws:kms:us-east-1:111122223333:key/k1", Account: "111122223333", Region: "us-east-1"},
			Key:      finding.KeyOf(finding.DefaultFingerprint, ev),
			Evidence: ev,
		}
	}
	one, two := kms003("ami-1"), kms003("ami-1", "ami-2")
	if one.Message == two.Message {
		t.Fatal("the test needs two wordings")
	}
	if a, b := fingerprint(&one), fingerprint(&two); a != b {
		t.Errorf("fingerprint changed with the count in the message: %s → %s", a, b)
	}
}

// TestSARIFFingerprintsTellGranteesApart: two findings of one rule on one
// resource for different grantees keep distinct fingerprints, whatever their
// messages say.
func TestSARIFFingerprintsTellGranteesApart(t *testing.T) {
	shared := func(grantee string) finding.Finding {
		ev := map[string]any{"grantee": grantee, "organization_known": true}
		return finding.Finding{
			RuleID: "AMI-002", Severity: finding.High, Message: "AMI ami-1 is shared with an untrusted account.",
			Resource: amiResource("ami-1", accountA, region1),
			Key:      finding.KeyOf([]string{"grantee"}, ev),
			Evidence: ev,
		}
	}
	a, b := shared("999988887777"), shared("777788889999")
	if fingerprint(&a) == fingerprint(&b) {
		t.Error("two grantees of one AMI share a fingerprint")
	}
	r := testReport()
	r.Findings = []finding.Finding{a, b}
	seen := map[string]bool{}
	for _, res := range decodeSARIF(t, r).Runs[0].Results {
		fp := res.PartialFingerprints[fingerprintKey]
		if seen[fp] {
			t.Errorf("fingerprint %s used twice in the SARIF", fp)
		}
		seen[fp] = true
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestSARIFRuleForUnloadedRule(t *testing.T) {
	r := sarifCases()["unknown rules"]
	driver := decodeSARIF(t, r).Runs[0].Tool.Driver
	var ids []string
	for _, rule := range driver.Rules {
		ids = append(ids, rule.ID)
	}
	// In order of first appearance, once each.
	want := []string{}
	seen := map[string]bool{}
	for _, f := range r.Findings {
		if !seen[f.RuleID] {
			seen[f.RuleID] = true
			want = append(want, f.RuleID)
		}
	}
	if !slices.Equal(ids, want) {
		t.Errorf("rules %v, want %v", ids, want)
	}
	if fmt.Sprint(driver.Rules[len(driver.Rules)-1].Properties.SecuritySeverity) != "0.0" {
		t.Error("an unknown severity should score 0.0")
	}
}

func TestRuleName(t *testing.T) {
	tests := []struct{ id, title, want string }{
		{"AMI-001", "AMI is public", "AMIIsPublic"},
		{"KMS-001", "Key policy allows Principal \"*\"", "KeyPolicyAllowsPrincipal"},
		{"SCAN-001", "", "SCAN001"},
		{"X-1", "über-wide scan", "ÜberWideScan"},
	}
	for _, tt := range tests {
		if got := ruleName(finding.Rule{ID: tt.id, Title: tt.title}); got != tt.want {
			t.Errorf("ruleName(%q) = %q, want %q", tt.title, got, tt.want)
		}
	}
}

// Guards the guard: the schema must reject what go-sarif writes on its own for
// a bare suppression (null location and guid), which is why the writer
// encodes suppressions itself, and must check formats.
func TestSARIFSchemaRejectsInvalid(t *testing.T) {
	sch := sarifSchema(t)
	for name, doc := range map[string]string{
		"null suppression fields": `{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [
			{"message": {"text": "m"}, "suppressions": [{"kind": "external", "status": null, "location": null, "guid": null, "justification": null}]}]}]}`,
		"bad uri":   `{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x", "informationUri": "not a uri"}}, "results": []}]}`,
		"bad level": `{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "level": "critical"}]}]}`,
	} {
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(doc)))
		if err != nil {
			t.Fatal(err)
		}
		if sch.Validate(inst) == nil {
			t.Errorf("%s: the schema accepted an invalid document", name)
		}
	}
}
