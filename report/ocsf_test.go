package report

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/amiaudit/amiaudit/finding"
)

// ocsfSchema compiles the JSON Schema derived from the OCSF 1.5.0 definitions
// of Compliance Finding (see its $comment and docs/report-formats.md).
func ocsfSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	path := filepath.Join("testdata", "ocsf", "compliance_finding-"+OCSFVersion+".schema.json")
	return compileSchema(t, path, "file:///ocsf/compliance_finding.schema.json", "the OCSF "+OCSFVersion+" schema is missing")
}

func TestOCSFValidatesAgainstSchema(t *testing.T) {
	validatesOnEveryCase(t, ocsfSchema(t), FormatOCSF)
}

// The schema must be able to fail: events with a required attribute missing,
// a misspelt attribute or a value outside an enum are rejected.
func TestOCSFSchemaRejectsBadEvents(t *testing.T) {
	sch := ocsfSchema(t)
	good := render(t, FormatOCSF, Options{}, testReport())
	for name, mutate := range map[string]func(e map[string]any){
		"no finding_info.uid":   func(e map[string]any) { delete(e["finding_info"].(map[string]any), "uid") },
		"no metadata.version":   func(e map[string]any) { delete(e["metadata"].(map[string]any), "version") },
		"other OCSF version":    func(e map[string]any) { e["metadata"].(map[string]any)["version"] = "1.1.0" },
		"no compliance":         func(e map[string]any) { delete(e, "compliance") },
		"wrong class_uid":       func(e map[string]any) { e["class_uid"] = 2001 },
		"severity_id off scale": func(e map[string]any) { e["severity_id"] = 7 },
		"misspelt attribute":    func(e map[string]any) { e["severty"] = "High" },
		"time as a string":      func(e map[string]any) { e["time"] = "2026-11-22T02:00:00Z" },
		"no cloud.provider":     func(e map[string]any) { delete(e["cloud"].(map[string]any), "provider") },
	} {
		t.Run(name, func(t *testing.T) {
			var events []map[string]any
			if err := json.Unmarshal(good, &events); err != nil {
				t.Fatal(err)
			}
			mutate(events[0])
			b, _ := json.Marshal(events)
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(inst); err == nil {
				t.Error("the schema accepted a bad event")
			}
		})
	}
}

func ocsfEvents(t *testing.T, r *finding.Report) []ocsfEvent {
	t.Helper()
	var events []ocsfEvent
	if err := json.Unmarshal(render(t, FormatOCSF, Options{}, r), &events); err != nil {
		t.Fatal(err)
	}
	return events
}

func TestOCSFMapping(t *testing.T) {
	r := testReport()
	events := ocsfEvents(t, r)
	if len(events) != len(r.Findings) {
		t.Fatalf("%d events for %d findings", len(events), len(r.Findings))
	}
	wantSeverity := map[finding.Severity][2]any{
		finding.Critical: {5, "Critical"}, finding.High: {4, "High"}, finding.Medium: {3, "Medium"},
		finding.Low: {2, "Low"}, finding.Info: {1, "Informational"},
	}
	ids := map[string]bool{}
	for i, e := range events {
		f := r.Findings[i]
		if e.ClassUID != 2003 || e.CategoryUID != 2 || e.TypeUID != 200301 || e.ActivityID != 1 {
			t.Errorf("%s: class %d category %d type %d activity %d", f.RuleID, e.ClassUID, e.CategoryUID, e.TypeUID, e.ActivityID)
		}
		if e.Metadata.Version != OCSFVersion || e.Metadata.Product.Name != "amiaudit" || e.Metadata.Product.Version != "0.4.0" {
			t.Errorf("%s: metadata %+v", f.RuleID, e.Metadata)
		}
		if want := wantSeverity[f.Severity]; e.SeverityID != want[0] || e.Severity != want[1] {
			t.Errorf("%s: severity %d %q, want %v", f.RuleID, e.SeverityID, e.Severity, want)
		}
		if len(e.Resources) != 1 || e.Resources[0].UID != f.Resource.ARN || e.Resources[0].Region != f.Resource.Region {
			t.Errorf("%s: resources %+v", f.RuleID, e.Resources)
		}
		if e.Cloud.Account == nil || e.Cloud.Account.UID != f.Resource.Account || e.Cloud.Region != f.Resource.Region || e.Cloud.Provider != "AWS" {
			t.Errorf("%s: cloud %+v", f.RuleID, e.Cloud)
		}
		if e.Compliance.Control != f.RuleID || e.Compliance.StatusID != 3 || e.Compliance.Status != "Fail" {
			t.Errorf("%s: compliance %+v", f.RuleID, e.Compliance)
		}
		if e.Remediation == nil || e.Remediation.Desc != f.Remediation {
			t.Errorf("%s: remediation %+v", f.RuleID, e.Remediation)
		}
		if e.Time != collectedAt.UnixMilli() || e.Metadata.ProcessedTime != generatedAt.UnixMilli() {
			t.Errorf("%s: time %d processed %d", f.RuleID, e.Time, e.Metadata.ProcessedTime)
		}
		if e.Message != f.Message || e.Unmapped.RuleID != f.RuleID {
			t.Errorf("%s: message or unmapped rule differ", f.RuleID)
		}
		want, _ := json.Marshal(f.Evidence)
		got, _ := json.Marshal(e.Unmapped.Evidence)
		if !bytes.Equal(want, got) {
			t.Errorf("%s: unmapped evidence %s, want %s", f.RuleID, got, want)
		}
		if ids[e.FindingInfo.UID] {
			t.Errorf("%s: finding_info.uid %s repeats", f.RuleID, e.FindingInfo.UID)
		}
		ids[e.FindingInfo.UID] = true
		switch {
		case f.Waived():
			if e.StatusID != 3 || e.Status != "Suppressed" || !strings.Contains(e.StatusDetail, "Vendor build account") {
				t.Errorf("%s: waived finding has status %d %q %q", f.RuleID, e.StatusID, e.Status, e.StatusDetail)
			}
		case f.Waiver != nil:
			if e.StatusID != 1 || !strings.HasPrefix(e.StatusDetail, "Waiver expired: ") {
				t.Errorf("%s: expired waiver gives status %d %q", f.RuleID, e.StatusID, e.StatusDetail)
			}
		default:
			if e.StatusID != 1 || e.Status != "New" || e.StatusDetail != "" {
				t.Errorf("%s: status %d %q %q", f.RuleID, e.StatusID, e.Status, e.StatusDetail)
			}
		}
	}
}

func TestOCSFCoverageAndUnknownSeverity(t *testing.T) {
	r := sarifCases()["unknown rules"]
	events := ocsfEvents(t, r)
	var scan, custom *ocsfEvent
	for i := range events {
		switch events[i].Compliance.Control {
		case "SCAN-001":
			scan = &events[i]
		case "CUSTOM-1":
			custom = &events[i]
		}
	}
	if scan == nil || scan.Compliance.StatusID != 2 || scan.Compliance.Status != "Warning" {
		t.Errorf("a coverage finding is not a compliance Warning: %+v", scan)
	}
	if custom == nil || custom.SeverityID != 99 || custom.Severity != "unheard-of" || custom.Cloud.Account != nil {
		t.Errorf("unknown severity or missing account mapped wrong: %+v", custom)
	}
	if empty := render(t, FormatOCSF, Options{}, &finding.Report{}); string(empty) != "[]\n" {
		t.Errorf("no findings gives %q, want an empty array", empty)
	}
}

func TestFindingIDIgnoresWordingButNotGrantee(t *testing.T) {
	var base finding.Finding
	for _, f := range testReport().Findings {
		if f.RuleID == "AMI-004" { // its evidence names the grantee
			base = f
		}
	}
	reworded := base
	reworded.Message = "Another wording, with other counts: 3 snapshots."
	reworded.Evidence = map[string]any{}
	for k, v := range base.Evidence {
		reworded.Evidence[k] = v
	}
	reworded.Evidence["missing_actions"] = []any{"kms:Decrypt"}
	if findingID(&base) != findingID(&reworded) {
		t.Error("the ID changed with the message or a non-distinguishing evidence value")
	}
	other := reworded
	other.Evidence = map[string]any{"grantee": "777788889999"}
	for k, v := range reworded.Evidence {
		if k != "grantee" {
			other.Evidence[k] = v
		}
	}
	// The engine builds a finding's key from its rule's fingerprint fields.
	other.Key = finding.KeyOf(finding.DefaultFingerprint, other.Evidence)
	if findingID(&base) == findingID(&other) {
		t.Error("two grantees of one AMI share an ID")
	}
	otherRule := base
	otherRule.RuleID = "AMI-002"
	if findingID(&base) == findingID(&otherRule) {
		t.Error("two rules on one resource share an ID")
	}
	// Map order must not matter.
	a := base
	a.Evidence = map[string]any{"grantee": map[string]any{"user_id": "1", "kind": "account"}}
	b := base
	b.Evidence = map[string]any{"grantee": map[string]any{"kind": "account", "user_id": "1"}}
	if findingID(&a) != findingID(&b) {
		t.Error("the ID depends on map order")
	}
	if len(findingID(&a)) != 64 {
		t.Errorf("ID %q is not a hex SHA-256", findingID(&a))
	}
}

// With a baseline, a finding the earlier run had and this one lacks becomes a
// Close event: status Resolved, compliance Pass; the whole still validates.
func TestOCSFBaselineClosesResolved(t *testing.T) {
	old := testReport()
	r := testReport()
	gone := r.Findings[0]
	r.Findings = r.Findings[1:]
	out := render(t, FormatOCSF, Options{Baseline: &Baseline{Findings: old.Findings}}, r)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if err := ocsfSchema(t).Validate(inst); err != nil {
		t.Fatalf("OCSF with resolved findings does not validate: %v", err)
	}
	var events []ocsfEvent
	if err := json.Unmarshal(out, &events); err != nil || len(events) != len(old.Findings) {
		t.Fatalf("%d events, want %d (%v)", len(events), len(old.Findings), err)
	}
	last := events[len(events)-1]
	if last.ActivityID != 3 || last.TypeUID != 200303 || last.StatusID != 4 || last.Compliance.StatusID != 1 ||
		last.FindingInfo.UID != findingID(&gone) {
		t.Errorf("resolved event: activity %d type %d status %d compliance %d uid %s",
			last.ActivityID, last.TypeUID, last.StatusID, last.Compliance.StatusID, last.FindingInfo.UID)
	}
	for _, e := range events[:len(events)-1] {
		if e.ActivityID != 1 || e.StatusID == 4 {
			t.Errorf("current finding %s closed", e.Compliance.Control)
		}
	}
}
