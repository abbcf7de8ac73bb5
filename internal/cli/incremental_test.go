package cli

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amiaudit/amiaudit/collector"
	"github.com/amiaudit/amiaudit/evidence"
	"github.com/amiaudit/amiaudit/snapshot"
)

// TestIncrementalBaselineFromBundle: an evidence bundle given as the
// baseline of an incremental collection starts it from the bundle's snapshot,
// the file evidence.Open names; a directory that is no bundle is a usage
// error naming the manifest it lacks, before anything is read from AWS.
func TestIncrementalBaselineFromBundle(t *testing.T) {
	e := &env{stdin: strings.NewReader(""), log: slog.New(slog.NewTextHandler(io.Discard, nil)), now: time.Now}
	dir := bundle(t)
	members, err := evidence.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(members.Snapshot)
	if err != nil {
		t.Fatal(err)
	}
	f := incrementalFlags{baseline: dir, maxBaselineAge: collector.DefaultMaxBaselineAge, eventMargin: collector.DefaultEventMargin}
	var opts collector.Options
	if err := f.apply(e, &opts); err != nil {
		t.Fatalf("apply: %v", err)
	}
	if opts.Baseline == nil || opts.BaselineSHA256 != snapshot.FileDigest(data) {
		t.Errorf("baseline %v, sha256 %q; want the bundle's %s (%s)", opts.Baseline != nil, opts.BaselineSHA256, evidence.SnapshotFile, snapshot.FileDigest(data))
	}

	notBundle := t.TempDir()
	if err := os.WriteFile(filepath.Join(notBundle, evidence.SnapshotFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	f.baseline = notBundle
	err = f.apply(e, &collector.Options{})
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != exitUsage || !strings.Contains(err.Error(), evidence.ManifestFile) {
		t.Errorf("a directory with a snapshot but no manifest: %v; want a usage error naming %s", err, evidence.ManifestFile)
	}
}
