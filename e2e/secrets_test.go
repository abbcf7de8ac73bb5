package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/amiaudit/amiaudit/internal/cli"
	reports "github.com/amiaudit/amiaudit/report"
	"github.com/amiaudit/amiaudit/secrets/secretstest"
	"github.com/amiaudit/amiaudit/testbed/scenario"
)

// secretsScenario writes a scenario whose AMI and snapshot metadata hold one
// credential of every kind the detectors know: in an AMI name, AMI and
// snapshot descriptions, tag values (one read through its key, DB_PASSWORD)
// and a tag key. It returns the scenario file and the samples.
func secretsScenario(t *testing.T) (string, []secretstest.Sample) {
	t.Helper()
	samples := secretstest.Samples(20261201)
	imgTags := []map[string]string{{}, {}}
	snapTags := []map[string]string{{}, {}}
	var name, imgDesc, snapDesc string
	for i, s := range samples {
		switch {
		case s.TagKey != "":
			imgTags[0][s.TagKey] = s.Text
			snapTags[0][s.TagKey] = s.Text
		case s.Detector == "aws-access-key-id":
			name = s.Text // AMI names allow "golden image (…)"
			imgTags[1][fmt.Sprintf("note%d", i)] = s.Text
			snapTags[1][fmt.Sprintf("note%d", i)] = s.Text
		case s.Detector == "private-key":
			imgDesc = s.Text
			snapDesc = s.Text
		case s.Detector == "github-token":
			imgTags[1][s.Text] = "key holds it" // a tag key holding a credential
			snapTags[1][s.Text] = "key holds it"
		default:
			imgTags[i%2][fmt.Sprintf("note%d", i)] = s.Text
			snapTags[i%2][fmt.Sprintf("note%d", i)] = s.Text
		}
	}
	doc := map[string]any{
		"name":     "secrets-in-metadata",
		"regions":  []string{"us-east-1"},
		"accounts": []map[string]any{{"name": "builder"}},
		"images": []map[string]any{
			{"name": "leaky", "ami_name": name, "account": "builder", "region": "us-east-1", "description": imgDesc,
				"tags": imgTags[0], "volumes": []map[string]any{{"size": 8}}},
			{"name": "leaky-tags", "account": "builder", "region": "us-east-1", "description": "tags only",
				"tags": imgTags[1], "volumes": []map[string]any{{"size": 8}}},
		},
		"snapshots": []map[string]any{
			{"name": "dump", "account": "builder", "region": "us-east-1", "description": snapDesc, "size": 8, "tags": snapTags[0]},
			{"name": "dump-tags", "account": "builder", "region": "us-east-1", "description": "tags only", "size": 8, "tags": snapTags[1]},
		},
		"settings": []map[string]any{{"image_block_public_access": "block-new-sharing", "snapshot_block_public_access": "block-all-sharing", "allowed_images": "enabled"}},
	}
	data, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "secrets.yaml")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, samples
}

// gunzipped returns data, decompressed when it is gzip.
func gunzipped(t *testing.T, name string, data []byte) []byte {
	t.Helper()
	if !bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
		return data
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return out
}

// TestNoSecretAtRest seeds every detector's kind of credential into moto
// metadata and proves that no byte sequence of any of them (the whole
// secret, or any 8 bytes of it past the 4 a redacted form shows) appears in
// the snapshot (collect --output, scan --snapshot-out), the report in every
// format, the logs (--verbose), or any file of the evidence bundle, gzip
// decompressed; and that AMI-007 and SNAP-004 still report each credential.
func TestNoSecretAtRest(t *testing.T) {
	path, samples := secretsScenario(t)
	env := scenario.Run(t, path)
	for _, kv := range env.Environ(t) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("CI", "true")
	dir := t.TempDir()
	var artefacts []string // files written, checked at the end
	run := func(args ...string) (string, string) {
		t.Helper()
		var out, errOut bytes.Buffer
		code := cli.Run(append(args, "--verbose"), strings.NewReader(""), &out, &errOut)
		if code != 0 {
			t.Fatalf("amiaudit %s: exit %d: %s", strings.Join(args, " "), code, errOut.String())
		}
		return out.String(), errOut.String()
	}
	check := func(what string, data []byte) {
		t.Helper()
		for _, s := range samples {
			if leak := secretstest.Leak(data, s.Secret); leak != "" {
				t.Errorf("%s holds %q of the %s credential", what, leak, s.Detector)
			}
		}
	}

	collected := filepath.Join(dir, "collected.json")
	_, stderr := run("collect", "--regions", "us-east-1", "--output", collected)
	check("collect's log", []byte(stderr))
	if !strings.Contains(stderr, "masked") {
		t.Errorf("collect does not say that it masked credentials: %s", stderr)
	}
	artefacts = append(artefacts, collected)

	evidenceDir := filepath.Join(dir, "evidence")
	kept := filepath.Join(dir, "kept.json.gz")
	stdout, stderr := run("scan", "--regions", "us-east-1", "--format", "json", "--fail-on", "none",
		"--snapshot-out", kept, "--evidence", evidenceDir)
	check("scan's log", []byte(stderr))
	check("json report", []byte(stdout))
	artefacts = append(artefacts, kept)

	var r struct {
		Findings []struct {
			RuleID   string         `json:"rule_id"`
			Evidence map[string]any `json:"evidence"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatal(err)
	}
	found := map[string]map[string]bool{"AMI-007": {}, "SNAP-004": {}}
	for _, f := range r.Findings {
		if found[f.RuleID] != nil {
			found[f.RuleID][fmt.Sprint(f.Evidence["detector"])] = true
		}
	}
	for _, s := range samples {
		for rule, detectors := range found {
			if !detectors[s.Detector] {
				t.Errorf("no %s finding for the %s credential", rule, s.Detector)
			}
		}
	}

	for _, format := range reports.Formats() {
		if format == reports.FormatJSON {
			continue
		}
		stdout, stderr := run("scan", "--regions", "us-east-1", "--format", format, "--fail-on", "none")
		check(format+" report", []byte(stdout))
		check("scan's log ("+format+")", []byte(stderr))
		if !strings.Contains(stdout, "sha256:") {
			t.Errorf("the %s report shows no redacted credential", format)
		}
	}

	err := filepath.WalkDir(evidenceDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			artefacts = append(artefacts, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(artefacts) < 6 {
		t.Fatalf("only %d files to check: %v", len(artefacts), artefacts)
	}
	for _, p := range artefacts {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		check(filepath.Base(p), gunzipped(t, p, data))
	}
}
