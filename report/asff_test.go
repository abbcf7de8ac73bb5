package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/amiaudit/amiaudit/finding"
)

// asffRequired are the top-level attributes Security Hub requires of every
// finding:
// https://docs.aws.amazon.com/securityhub/latest/userguide/asff-required-attributes.html
var asffRequired = []string{
	"AwsAccountId", "CreatedAt", "Description", "GeneratorId", "Id", "ProductArn",
	"Resources", "SchemaVersion", "Severity", "Title", "Types", "UpdatedAt",
}

// asffNamespaces are the finding type namespaces ASFF accepts.
var asffNamespaces = []string{
	"Software and Configuration Checks", "TTPs", "Effects", "Unusual Behaviors", "Sensitive Data Identifications",
}

func asffDocs(t *testing.T, r *finding.Report) []map[string]any {
	t.Helper()
	var docs []map[string]any
	if err := json.Unmarshal(render(t, FormatASFF, Options{}, r), &docs); err != nil {
		t.Fatal(err)
	}
	return docs
}

func TestASFFRequiredAttributes(t *testing.T) {
	productArn := regexp.MustCompile(`^arn:aws:securityhub:([a-z0-9-]+):([0-9]{12}):product/([0-9]{12})/default$`)
	for name, r := range sarifCases() {
		t.Run(name, func(t *testing.T) {
			docs := asffDocs(t, r)
			if len(docs) != len(r.Findings) {
				t.Fatalf("%d ASFF findings for %d findings", len(docs), len(r.Findings))
			}
			ids := map[string]bool{}
			for _, d := range docs {
				for _, attr := range asffRequired {
					v, ok := d[attr]
					if !ok || v == nil || v == "" {
						t.Errorf("%v: required attribute %s missing", d["Id"], attr)
					}
				}
				if d["SchemaVersion"] != "2018-10-08" {
					t.Errorf("SchemaVersion %v", d["SchemaVersion"])
				}
				m := productArn.FindStringSubmatch(fmt.Sprint(d["ProductArn"]))
				if m == nil || m[1] != d["Region"] || m[2] != d["AwsAccountId"] || m[3] != d["AwsAccountId"] {
					t.Errorf("ProductArn %v is not the default product of account %v in %v", d["ProductArn"], d["AwsAccountId"], d["Region"])
				}
				for _, ts := range []string{"CreatedAt", "UpdatedAt", "LastObservedAt"} {
					if _, err := time.Parse(time.RFC3339, fmt.Sprint(d[ts])); err != nil {
						t.Errorf("%s: %v", ts, err)
					}
				}
				label := d["Severity"].(map[string]any)["Label"]
				if !slices.Contains([]any{"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"}, label) {
					t.Errorf("Severity.Label %v", label)
				}
				types := d["Types"].([]any)
				for _, ty := range types {
					ns, _, _ := strings.Cut(ty.(string), "/")
					if !slices.Contains(asffNamespaces, ns) || strings.Count(ty.(string), "/") > 2 {
						t.Errorf("type %q is not namespace/category[/classifier]", ty)
					}
				}
				res := d["Resources"].([]any)
				if len(res) == 0 || res[0].(map[string]any)["Type"] == "" || res[0].(map[string]any)["Id"] == "" {
					t.Errorf("Resources %v", res)
				}
				if utf8.RuneCountInString(d["Title"].(string)) > asffMaxTitle || utf8.RuneCountInString(d["Description"].(string)) > asffMaxDescription {
					t.Errorf("Title or Description too long")
				}
				if !slices.Contains([]any{"FAILED", "WARNING"}, d["Compliance"].(map[string]any)["Status"]) {
					t.Errorf("Compliance %v", d["Compliance"])
				}
				id := d["Id"].(string)
				if ids[id] {
					t.Errorf("Id %s repeats", id)
				}
				ids[id] = true
			}
		})
	}
}

func TestASFFMapping(t *testing.T) {
	r := testReport()
	docs := buildASFF(r, nil)
	for i, a := range docs {
		f := r.Findings[i]
		if a.GeneratorId != f.RuleID || a.AwsAccountId != f.Resource.Account || a.Region != f.Resource.Region {
			t.Errorf("%s: GeneratorId %s account %s region %s", f.RuleID, a.GeneratorId, a.AwsAccountId, a.Region)
		}
		if a.Resources[0].Id != f.Resource.ARN {
			t.Errorf("%s: resource %s", f.RuleID, a.Resources[0].Id)
		}
		if want := strings.ToUpper(string(f.Severity)); a.Severity.Label != want && !(f.Severity == finding.Info && a.Severity.Label == "INFORMATIONAL") {
			t.Errorf("%s: Severity.Label %s", f.RuleID, a.Severity.Label)
		}
		if a.Remediation == nil || a.Remediation.Recommendation.Text != f.Remediation {
			t.Errorf("%s: Remediation %+v", f.RuleID, a.Remediation)
		}
		wantWorkflow := "NEW"
		if f.Waived() {
			wantWorkflow = "SUPPRESSED"
		}
		if a.Workflow.Status != wantWorkflow {
			t.Errorf("%s: Workflow.Status %s, want %s", f.RuleID, a.Workflow.Status, wantWorkflow)
		}
		if a.CreatedAt != "2026-11-22T02:00:00.000Z" {
			t.Errorf("%s: CreatedAt %s, want the collection time", f.RuleID, a.CreatedAt)
		}
		if f.Resource.Type == "kms-key" && a.Resources[0].Type != "AwsKmsKey" {
			t.Errorf("%s: a KMS key is %s", f.RuleID, a.Resources[0].Type)
		}
	}
	// A coverage finding did not fail a check: it could not run one.
	for _, a := range buildASFF(sarifCases()["unknown rules"], nil) {
		if a.GeneratorId == "SCAN-001" && a.Compliance.Status != "WARNING" {
			t.Errorf("SCAN-001 Compliance.Status %s, want WARNING", a.Compliance.Status)
		}
	}
}

func TestASFFIdStableAcrossWording(t *testing.T) {
	r := testReport()
	before := buildASFF(r, nil)
	for i := range r.Findings {
		r.Findings[i].Message = "Reworded: " + r.Findings[i].Message
	}
	after := buildASFF(r, nil)
	for i := range before {
		if before[i].Id != after[i].Id {
			t.Errorf("%s: Id changed with the message", before[i].GeneratorId)
		}
	}
}

func TestASFFTruncatesToLimits(t *testing.T) {
	r := testReport()
	r.Findings = r.Findings[:1]
	r.Findings[0].Message = strings.Repeat("é", 3000)
	r.Findings[0].Title = strings.Repeat("t", 400)
	r.Findings[0].Remediation = strings.Repeat("r", 600)
	a := buildASFF(r, nil)[0]
	if n := utf8.RuneCountInString(a.Description); n != asffMaxDescription || !strings.HasSuffix(a.Description, "…") {
		t.Errorf("Description has %d characters", n)
	}
	if n := utf8.RuneCountInString(a.Title); n != asffMaxTitle {
		t.Errorf("Title has %d characters", n)
	}
	if n := utf8.RuneCountInString(a.Remediation.Recommendation.Text); n != asffMaxRecommendation {
		t.Errorf("Recommendation has %d characters", n)
	}
	if !utf8.ValidString(a.Description) {
		t.Error("truncation split a character")
	}
}

// TestASFFMatchesSecurityHubModel checks the findings against the AWS API
// model of BatchImportFindings, as botocore (installed with moto, which the
// test bed needs) ships it: every member name, type and required member.
func TestASFFMatchesSecurityHubModel(t *testing.T) {
	if err := exec.Command("python3", "-c", "import botocore").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("python3 with botocore is needed (make test installs moto, which brings it): %v", err)
		}
		t.Skipf("python3 with botocore is not installed (make test installs moto, which brings it): %v", err)
	}
	for name, r := range sarifCases() {
		if len(r.Findings) == 0 {
			continue // BatchImportFindings takes at least one finding
		}
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command("python3", filepath.Join("testdata", "asff_validate.py"))
			cmd.Stdin = bytes.NewReader(render(t, FormatASFF, Options{}, r))
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("not valid for BatchImportFindings: %v\n%s", err, out)
			}
		})
	}
	// And a finding the model must reject, so that the check can fail.
	cmd := exec.Command("python3", filepath.Join("testdata", "asff_validate.py"))
	cmd.Stdin = strings.NewReader(`[{"SchemaVersion":"2018-10-08","Id":"x"}]`)
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Errorf("the model accepted a finding without its required attributes: %s", out)
	}
}

// With a baseline, what the earlier run found and this one does not is
// written archived and passed, so that an import closes it; a finding only
// reworded since is not resolved.
func TestASFFBaselineArchivesResolved(t *testing.T) {
	old := testReport()
	gone := old.Findings[0]
	r := testReport()
	r.Findings = r.Findings[1:]
	for i := range r.Findings {
		r.Findings[i].Message = "Reworded tonight: " + r.Findings[i].Message
	}
	baseline := &Baseline{Name: "last-night.json", Findings: append(old.Findings, gone)} // listed twice
	out := buildASFF(r, baseline)
	if len(out) != len(r.Findings)+1 {
		t.Fatalf("%d ASFF findings, want %d current and 1 resolved", len(out), len(r.Findings))
	}
	for _, a := range out[:len(r.Findings)] {
		if a.RecordState != "ACTIVE" || a.Compliance.Status == "PASSED" {
			t.Errorf("current %s is %s/%s", a.GeneratorId, a.RecordState, a.Compliance.Status)
		}
	}
	last := out[len(out)-1]
	if last.Id != "amiaudit/"+gone.RuleID+"/"+findingID(&gone) || last.RecordState != "ARCHIVED" ||
		last.Compliance.Status != "PASSED" || last.ProductFields["amiaudit/Resolved"] != "true" {
		t.Errorf("resolved finding: %+v", last)
	}
	if last.UpdatedAt != asffTime(collectedAt) {
		t.Errorf("resolved finding UpdatedAt %s, want this run's time", last.UpdatedAt)
	}

	// Through the writer, as --baseline hands it over.
	var docs []map[string]any
	if err := json.Unmarshal(render(t, FormatASFF, Options{Baseline: baseline}, r), &docs); err != nil || len(docs) != len(out) {
		t.Fatalf("writer with a baseline: %v, %d findings", err, len(docs))
	}
	// Nothing resolved: the output is the same as without a baseline.
	same := buildASFF(testReport(), &Baseline{Findings: testReport().Findings})
	if len(same) != len(testReport().Findings) {
		t.Errorf("an unchanged run archives %d findings", len(same)-len(testReport().Findings))
	}
}

// TestASFFTypesFromRuleEffect: a finding's Types add the finding type of its
// rule's effect (METADATA custom.effect), in both places ASFF holds types; a
// rule with no effect, or a finding whose rule is not known, is a
// configuration check only.
func TestASFFTypesFromRuleEffect(t *testing.T) {
	r := testReport()
	r.Findings = r.Findings[:0]
	for _, c := range []struct{ rule, effect string }{
		{"CUST-001", finding.EffectDataExposure},
		{"CUST-002", finding.EffectCredentials},
		{"CUST-003", ""},
	} {
		r.Rules = append(r.Rules, finding.Rule{ID: c.rule, Title: "T", Severity: finding.High, Effect: c.effect})
	}
	for _, id := range []string{"CUST-001", "CUST-002", "CUST-003", "CUST-004"} {
		r.Findings = append(r.Findings, finding.Finding{
			RuleID: id, Severity: finding.High, Title: "T", Message: "m",
			Resource: finding.Resource{Type: "ami", ID: "ami-1", ARN: "arn:aws:ec2:us-east-1::image/ami-1", Account: accountA, Region: region1},
		})
	}
	want := map[string][]string{
		"CUST-001": {asffTypeBestPractices, "Effects/Data Exposure"},
		"CUST-002": {asffTypeBestPractices, "Sensitive Data Identifications/Passwords"},
		"CUST-003": {asffTypeBestPractices},
		"CUST-004": {asffTypeBestPractices}, // no such rule in the report
	}
	for _, a := range buildASFF(r, nil) {
		if !reflect.DeepEqual(a.Types, want[a.GeneratorId]) || !reflect.DeepEqual(a.FindingProviderFields.Types, want[a.GeneratorId]) {
			t.Errorf("%s: Types %v, FindingProviderFields.Types %v, want %v", a.GeneratorId, a.Types, a.FindingProviderFields.Types, want[a.GeneratorId])
		}
	}
}
