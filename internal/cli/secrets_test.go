package cli

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/amiaudit/amiaudit/report"
	"github.com/amiaudit/amiaudit/secrets/secretstest"
	"github.com/amiaudit/amiaudit/snapshot"
)

// rawSecretsSnapshot writes the example organization with every sample
// credential in clear in its AMI and snapshot metadata, as a snapshot written
// before the collector masked them would hold it.
func rawSecretsSnapshot(t *testing.T, path string) []secretstest.Sample {
	t.Helper()
	doc := readExample(t)
	samples := secretstest.Samples(11)
	for i, s := range samples {
		img := &doc.Images[i%len(doc.Images)]
		snap := &doc.Snapshots[i%len(doc.Snapshots)]
		key := s.TagKey
		if key == "" {
			key = fmt.Sprintf("note%d", i)
		}
		img.Tags = append(img.Tags, snapshot.Tag{Key: key, Value: s.Text})
		if s.TagKey != "" {
			snap.Tags = append(snap.Tags, snapshot.Tag{Key: key, Value: s.Text})
		} else {
			snap.Description += s.Text + "\n"
		}
	}
	writeDoc(t, path, doc)
	return samples
}

// readAll returns a file's bytes, gunzipped when it is gzip.
func readAll(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if data, err = io.ReadAll(zr); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	return data
}

func assertNoLeak(t *testing.T, what string, data []byte, samples []secretstest.Sample) {
	t.Helper()
	for _, s := range samples {
		if leak := secretstest.Leak(data, s.Secret); leak != "" {
			t.Errorf("%s holds %q of the %s secret", what, leak, s.Detector)
		}
	}
}

// TestEvaluateSnapshotWithSecretsInClear: an older snapshot that still holds
// credentials is evaluated as before (AMI-007 and SNAP-004 for each), with a
// warning that names where they are without showing them, and no report
// format, log line or evidence bundle file holds any of them.
func TestEvaluateSnapshotWithSecretsInClear(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "old.json")
	samples := rawSecretsSnapshot(t, snap)

	for _, format := range report.Formats() {
		t.Run(format, func(t *testing.T) {
			args := []string{"evaluate", snap, "--config", exampleConfig, "--format", format, "--fail-on", "none"}
			var bundleDir string
			if format == "json" {
				bundleDir = filepath.Join(t.TempDir(), "evidence")
				args = append(args, "--evidence", bundleDir, "--verbose")
			}
			code, stdout, stderr := amiaudit(t, "", args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			assertNoLeak(t, format+" report", []byte(stdout), samples)
			assertNoLeak(t, "stderr", []byte(stderr), samples)
			if !strings.Contains(stderr, "holds credentials in clear") || !strings.Contains(stderr, "/images/") {
				t.Errorf("no warning that the file holds secrets, or not where: %s", stderr)
			}
			if format != "json" {
				return
			}
			for _, id := range []string{"AMI-007", "SNAP-004"} {
				if n := strings.Count(stdout, `"rule_id": "`+id+`"`); n < len(samples) {
					t.Errorf("%d %s findings, want one per credential (%d)", n, id, len(samples))
				}
			}
			err := filepath.WalkDir(bundleDir, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				assertNoLeak(t, "evidence file "+filepath.Base(p), readAll(t, p), samples)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
