package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/amiaudit/amiaudit/internal/synth"
	"github.com/amiaudit/amiaudit/testbed/scenario"
)

// TestSyntheticScenarioSeedsAndScans: a generated organization seeds into
// moto and a scan reads all of it.
func TestSyntheticScenarioSeedsAndScans(t *testing.T) {
	text := synth.Scenario(synth.Spec{Accounts: 3, Regions: 2, Images: 60, Keys: 6, Seed: 2})
	path := filepath.Join(t.TempDir(), "synthetic.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	env := scenario.Run(t, path)
	code, r, _, stderr := scan(t, env, regionsFlag(env))
	if code != 0 {
		t.Fatalf("scan exit %d: %s", code, stderr)
	}
	rules := map[string]int{}
	for _, f := range r.Findings {
		rules[f.RuleID]++
	}
	// Each kind of resource the generator wrote must show in the findings.
	for marker, rule := range map[string]string{"{account: outsider}": "AMI-002", "deregistered: true": "SNAP-003", "{group: all}": "AMI-001"} {
		if strings.Contains(text, marker) && rules[rule] == 0 {
			t.Errorf("the scenario has %s but the scan reports no %s: %v", marker, rule, rules)
		}
	}
	if rules["SCAN-001"] != 0 {
		t.Errorf("parts of the synthetic organization were not read: %v", rules)
	}
}
