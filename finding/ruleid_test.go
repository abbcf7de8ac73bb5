package finding

import (
	"strings"
	"testing"
)

func TestIsRuleID(t *testing.T) {
	for _, id := range []string{"AMI-001", "SNAP-004", "ACCT-003", "ORG-001", "A1-999"} {
		if !IsRuleID(id) {
			t.Errorf("IsRuleID(%q) = false", id)
		}
	}
	for _, id := range []string{"", "ami-001", "AMI-01", "AMI-0001", "AMI001", "1AMI-001", "public-amis", "*", "AMI-001 "} {
		if IsRuleID(id) {
			t.Errorf("IsRuleID(%q) = true", id)
		}
	}
}

func TestSeverityNamesAndParse(t *testing.T) {
	if got := strings.Join(SeverityNames(), ", "); got != "critical, high, medium, low, info" {
		t.Errorf("SeverityNames = %s, want the scale highest first", got)
	}
	for _, name := range SeverityNames() {
		if sev, err := ParseSeverity(strings.ToUpper(name)); err != nil || string(sev) != name {
			t.Errorf("ParseSeverity(%q) = %q, %v", strings.ToUpper(name), sev, err)
		}
	}
	_, err := ParseSeverity("severe")
	if err == nil || err.Error() != `unknown severity "severe": expected one of critical, high, medium, low, info` {
		t.Errorf("ParseSeverity(severe) error = %v", err)
	}
}
