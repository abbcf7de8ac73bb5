package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReportASFFFromJSONReport: 'amiaudit report' on a JSON report evaluated
// with the loaded policies (same policy_digest) takes the rules' metadata,
// custom.effect among it, from them, so its ASFF is evaluate's byte for byte.
// A JSON report of other policies has no rule metadata: its findings are
// configuration checks only (no effect type), as docs/report-formats.md says.
func TestReportASFFFromJSONReport(t *testing.T) {
	jsonReport := filepath.Join("testdata", "example.json.golden")
	code, out, stderr := amiaudit(t, "", "report", jsonReport, "--format", "asff", "--fail-on", "none")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	golden(t, "example.asff.golden", out)
	if !strings.Contains(out, `"Effects/Data Exposure"`) || !strings.Contains(out, `"Sensitive Data Identifications/Passwords"`) {
		t.Error("the ASFF of the example lacks the effect types")
	}

	data, err := os.ReadFile(jsonReport)
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "other.json")
	const digestKey = `"policy_digest": "sha256:`
	if !strings.Contains(string(data), digestKey) {
		t.Fatalf("%s has no policy_digest", jsonReport)
	}
	if err := os.WriteFile(other, []byte(strings.Replace(string(data), digestKey, digestKey+"0", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr = amiaudit(t, "", "report", other, "--format", "asff", "--fail-on", "none")
	if code != 0 {
		t.Fatalf("other policies: exit %d: %s", code, stderr)
	}
	if strings.Contains(out, "Effects/Data Exposure") || strings.Contains(out, "Sensitive Data Identifications") || !strings.Contains(out, "AWS Security Best Practices") {
		t.Error("a report of unknown rules got effect types")
	}
}
