package evidence

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestOpenFindsTheFilesWriteWrote: Open names the very files Write wrote,
// and a bundle is told by its manifest, not by any other member.
func TestOpenFindsTheFilesWriteWrote(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bundle")
	m, err := Write(dir, exampleBundle(t))
	if err != nil {
		t.Fatal(err)
	}
	if !IsBundle(dir) {
		t.Fatalf("IsBundle(%s) = false for a bundle Write wrote", dir)
	}
	got, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, f := range m.Files {
		listed[filepath.Join(dir, filepath.FromSlash(f.Path))] = true
	}
	for name, path := range map[string]string{"Snapshot": got.Snapshot, "Report": got.Report, "SARIF": got.SARIF, "Config": got.Config} {
		if !listed[path] {
			t.Errorf("Open's %s is %s, which the manifest does not list", name, path)
		}
		if _, err := os.Stat(path); err != nil {
			t.Errorf("Open's %s: %v", name, err)
		}
	}
	if got.Dir != dir || got.Manifest != filepath.Join(dir, ManifestFile) {
		t.Errorf("Open = %+v", got)
	}
}

func TestOpenRefusesWhatIsNoBundle(t *testing.T) {
	base := t.TempDir()
	// A directory with a report.json but no manifest (a run's output
	// directory, say) is no bundle.
	reportOnly := filepath.Join(base, "report-only")
	if err := os.MkdirAll(reportOnly, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(reportOnly, ReportFile), []byte(`{"findings": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	// A manifest that is a directory is no manifest.
	manifestDir := filepath.Join(base, "manifest-dir")
	if err := os.MkdirAll(filepath.Join(manifestDir, ManifestFile), 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(base, "report.json")
	if err := os.WriteFile(file, []byte(`{}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, path string
		notBundle  bool
	}{
		{"no manifest", reportOnly, true},
		{"manifest is a directory", manifestDir, true},
		{"a file", file, true},
		{"missing", filepath.Join(base, "gone"), false},
	} {
		if IsBundle(c.path) {
			t.Errorf("%s: IsBundle = true", c.name)
		}
		_, err := Open(c.path)
		if err == nil {
			t.Errorf("%s: Open succeeded", c.name)
			continue
		}
		if errors.Is(err, ErrNotBundle) != c.notBundle {
			t.Errorf("%s: Open: %v; want ErrNotBundle: %v", c.name, err, c.notBundle)
		}
		if c.path == reportOnly && !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: Open: %v, want it to say the manifest does not exist", c.name, err)
		}
	}
}
