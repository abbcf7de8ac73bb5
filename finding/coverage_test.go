package finding

import "testing"

// TestCoverage: a coverage finding is one whose rule is in area coverage,
// whatever its ID; only when the rule is not known does the ID prefix of the
// built-in coverage rules (SCAN-) decide.
func TestCoverage(t *testing.T) {
	for _, c := range []struct {
		name string
		id   string
		rule *Rule
		want bool
	}{
		{"built-in SCAN-001", "SCAN-001", &Rule{ID: "SCAN-001", Area: AreaCoverage}, true},
		{"user rule in area coverage", "CUST-901", &Rule{ID: "CUST-901", Area: AreaCoverage}, true},
		{"SCAN- rule outside area coverage", "SCAN-900", &Rule{ID: "SCAN-900", Area: "ami"}, false},
		{"rule of another area", "AMI-001", &Rule{ID: "AMI-001", Area: "ami"}, false},
		{"unknown rule, SCAN- prefix", "SCAN-001", nil, true},
		{"unknown rule, other prefix", "CUST-901", nil, false},
	} {
		if got := Coverage(&Finding{RuleID: c.id}, c.rule); got != c.want {
			t.Errorf("%s: Coverage = %v, want %v", c.name, got, c.want)
		}
	}
}
