package evidence

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrNotBundle is returned by Open for a path that is not an evidence bundle.
var ErrNotBundle = errors.New("not an amiaudit evidence bundle")

// Members are where the files of an evidence bundle on disk are: the one
// place that knows the layout, so that the commands reading a bundle (report,
// diff, --baseline, --trend, scan's incremental baseline) join no file names
// themselves.
type Members struct {
	// Dir is the bundle directory, as given to Open.
	Dir string
	// Manifest is manifest.json, which makes a directory a bundle.
	Manifest string
	// Snapshot is the snapshot document that was evaluated (gzip).
	Snapshot string
	// Report is the JSON report of that evaluation.
	Report string
	// SARIF is the same report in SARIF.
	SARIF string
	// Config is the configuration as evaluated.
	Config string
}

// IsBundle reports whether dir is an evidence bundle: a directory holding a
// manifest (ManifestFile). It says nothing of whether the bundle verifies.
func IsBundle(dir string) bool {
	_, err := Open(dir)
	return err == nil
}

// Open checks that dir is an evidence bundle — a directory with a manifest,
// as Write leaves it — and returns where its files are. It reads none of them:
// Verify checks that they are whole and agree with the manifest.
func Open(dir string) (*Members, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("open evidence bundle: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s: %w: not a directory", dir, ErrNotBundle)
	}
	manifest := filepath.Join(dir, filepath.FromSlash(ManifestFile))
	if fi, err := os.Stat(manifest); err != nil {
		return nil, fmt.Errorf("%s: %w: it has no %s (%w)", dir, ErrNotBundle, ManifestFile, err)
	} else if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w: its %s is not a file", dir, ErrNotBundle, ManifestFile)
	}
	member := func(name string) string { return filepath.Join(dir, filepath.FromSlash(name)) }
	return &Members{
		Dir:      dir,
		Manifest: manifest,
		Snapshot: member(SnapshotFile),
		Report:   member(ReportFile),
		SARIF:    member(SARIFFile),
		Config:   member(ConfigFile),
	}, nil
}
