package report

import (
	"testing"

	"github.com/amiaudit/amiaudit/finding"
)

// TestCoverageFollowsTheRulesArea: ASFF and OCSF report a finding as a check
// that could not run (WARNING) when its rule is in area coverage
// (finding.Coverage), a user rule as much as SCAN-001, and not when a known
// rule of another area happens to have a SCAN- ID. With the rules unknown (a
// JSON report under other policies), the SCAN- prefix stands in: see
// TestASFFMapping and TestOCSFCoverageAndUnknownSeverity.
func TestCoverageFollowsTheRulesArea(t *testing.T) {
	r := testReport()
	res := finding.Resource{Type: "ami", ID: "ami-0123456789abcdef0", ARN: "arn:aws:ec2:us-east-1::image/ami-0123456789abcdef0", Account: accountA, Region: "us-east-1"}
	r.Findings = []finding.Finding{
		{RuleID: "CUST-901", Severity: finding.Low, Title: "t", Message: "cannot verify", Resource: res, Remediation: "r"},
		{RuleID: "SCAN-900", Severity: finding.Low, Title: "t", Message: "checked", Resource: res, Remediation: "r"},
	}
	r.Summary = finding.Summarize(r.Findings)
	r.Rules = append(r.Rules,
		finding.Rule{ID: "CUST-901", Title: "t", Severity: finding.Low, Area: finding.AreaCoverage, Package: "amiaudit.rules.coverage.unverifiable"},
		finding.Rule{ID: "SCAN-900", Title: "t", Severity: finding.Low, Area: "ami", Package: "amiaudit.rules.ami.scan"},
	)
	want := map[string]bool{"CUST-901": true, "SCAN-900": false}
	for _, a := range buildASFF(r, nil) {
		if got := a.Compliance.Status == "WARNING"; got != want[a.GeneratorId] {
			t.Errorf("ASFF %s: Compliance.Status %s, want WARNING: %v", a.GeneratorId, a.Compliance.Status, want[a.GeneratorId])
		}
	}
	for _, e := range ocsfEvents(t, r) {
		if got := e.Compliance.Status == "Warning"; got != want[e.Compliance.Control] {
			t.Errorf("OCSF %s: compliance %s, want Warning: %v", e.Compliance.Control, e.Compliance.Status, want[e.Compliance.Control])
		}
	}
}
