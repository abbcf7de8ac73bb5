package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/amiaudit/amiaudit/evidence"
)

// TestVerifyJSON: verify --format json (and --output with a .json name)
// writes the outcome as one object, through the output path every command
// uses; a bundle that does not verify still exits 1, after writing it.
func TestVerifyJSON(t *testing.T) {
	dir := bundle(t)
	type result struct {
		Bundle   string   `json:"bundle"`
		Verified bool     `json:"verified"`
		Problems []string `json:"problems"`
		Files    int      `json:"files"`
		Findings int      `json:"findings_reproduced"`
		Sign     string   `json:"signature"`
	}
	code, out, stderr := amiaudit(t, "", "verify", dir, "--format", "json")
	var r result
	if err := json.Unmarshal([]byte(out), &r); code != 0 || err != nil {
		t.Fatalf("exit %d, %v:\n%s%s", code, err, out, stderr)
	}
	if r.Bundle != dir || !r.Verified || len(r.Problems) != 0 || r.Files != 6 || r.Findings == 0 || r.Sign != "none" {
		t.Errorf("verified bundle: %+v", r)
	}

	tampered := copyDir(t, dir)
	if err := os.Remove(filepath.Join(tampered, evidence.SARIFFile)); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "verify.json")
	code, out, stderr = amiaudit(t, "", "verify", tampered, "--output", file)
	if code != exitFindings || out != "" {
		t.Fatalf("tampered: exit %d, stdout %q, stderr %s", code, out, stderr)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	r = result{}
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatalf("%v:\n%s", err, data)
	}
	if r.Verified || len(r.Problems) != 1 || !strings.Contains(r.Problems[0], "report.sarif: listed in manifest.json but cannot be read") {
		t.Errorf("tampered bundle: %+v", r)
	}

	if code, _, stderr := amiaudit(t, "", "verify", dir, "--format", "sarif"); code != exitUsage || !strings.Contains(stderr, "verify writes table or json") {
		t.Errorf("--format sarif: exit %d %s", code, stderr)
	}
}

// TestVerifyHelpNamesBundleFiles: verify's help names the bundle's files as
// the evidence package names them, so that renaming one renames it here.
func TestVerifyHelpNamesBundleFiles(t *testing.T) {
	code, out, _ := amiaudit(t, "", "verify", "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, name := range []string{evidence.ManifestFile, evidence.SignatureFile, evidence.SnapshotFile, evidence.ConfigFile, evidence.PolicyIndexFile} {
		if !strings.Contains(out, name) {
			t.Errorf("verify --help does not name %s:\n%s", name, out)
		}
	}
}
