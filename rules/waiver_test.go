package rules

import (
	"reflect"
	"testing"
	"time"

	"github.com/amiaudit/amiaudit/finding"
)

// TestWaiverWarnings: an expired waiver that still matches findings is
// always worth a warning (they count again); a waiver that matches nothing
// only when the findings are all of the state's, not a gate's touched few.
func TestWaiverWarnings(t *testing.T) {
	cfg, err := ParseConfig("c.yaml", []byte(`
waivers:
  - {rule: AMI-009, resource: "arn:aws:ec2:us-east-1::image/ami-0old", reason: old, approved_by: a, expires: 2026-01-01}
  - {rule: AMI-001, resource: "arn:aws:ec2:us-east-1::image/ami-0pub", reason: kept, approved_by: b}
  - {rule: AMI-002, resource: "arn:aws:ec2:us-east-1::image/ami-0none", reason: unused, approved_by: c}
  - {rule: AMI-009, resource: "arn:aws:ec2:us-east-1::image/ami-0gone", reason: gone, approved_by: d, expires: 2026-01-01}
`))
	if err != nil {
		t.Fatal(err)
	}
	fs := []finding.Finding{
		{RuleID: "AMI-009", Severity: finding.Low, Resource: finding.Resource{ARN: "arn:aws:ec2:us-east-1::image/ami-0old"}},
		{RuleID: "AMI-001", Severity: finding.Critical, Resource: finding.Resource{ARN: "arn:aws:ec2:us-east-1::image/ami-0pub"}},
	}
	uses := ApplyWaivers(fs, cfg.Waivers, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))

	expired := WaiverWarning{"waiver has expired and no longer applies",
		[]any{"waiver", 0, "rule", "AMI-009", "resource", "arn:aws:ec2:us-east-1::image/ami-0old", "expires", cfg.Waivers[0].Expires, "findings", 1}}
	unused := WaiverWarning{"waiver matches no finding",
		[]any{"waiver", 2, "rule", "AMI-002", "resource", "arn:aws:ec2:us-east-1::image/ami-0none"}}
	expiredUnused := WaiverWarning{"waiver matches no finding",
		[]any{"waiver", 3, "rule", "AMI-009", "resource", "arn:aws:ec2:us-east-1::image/ami-0gone"}}

	if got, want := WaiverWarnings(uses, AllFindings), []WaiverWarning{expired, unused, expiredUnused}; !reflect.DeepEqual(got, want) {
		t.Errorf("all findings:\n got %v\nwant %v", got, want)
	}
	if got, want := WaiverWarnings(uses, TouchedFindings), []WaiverWarning{expired}; !reflect.DeepEqual(got, want) {
		t.Errorf("touched findings:\n got %v\nwant %v", got, want)
	}
	if got := WaiverWarnings(nil, AllFindings); len(got) != 0 {
		t.Errorf("no waivers: %v", got)
	}
}
