package deepscan

import (
	"context"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/amiaudit/amiaudit/secrets"
	"github.com/amiaudit/amiaudit/snapshot"
	"github.com/amiaudit/amiaudit/testbed/diskimage"
)

// expected is what a scan must report for files: each target file's hits, as
// the secrets package finds them in the file alone.
func expected(files map[string][]byte) []string {
	var want []string
	for p, data := range files {
		if !diskimage.IsTarget(p) {
			continue
		}
		var hits []secrets.Hit
		switch {
		case p == "/etc/shadow":
			hits = secrets.ShadowUnlocked(data)
		case strings.HasSuffix(p, "authorized_keys"):
			hits = authorizedKeys(data)
		default:
			hits = secrets.DetectBytes(data)
		}
		for _, h := range hits {
			want = append(want, p+" "+h.Detector+" "+h.Redacted)
		}
	}
	sort.Strings(want)
	return want
}

func got(fs []snapshot.DeepScanFinding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Path+" "+f.Detector+" "+f.Redacted)
	}
	sort.Strings(out)
	return out
}

func build(t testing.TB, spec diskimage.Spec) *os.File {
	t.Helper()
	p, err := diskimage.Build(t.TempDir(), spec)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func size(t testing.TB, f *os.File) int64 {
	info, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return info.Size()
}

// scanFinds builds the disk image of spec, scans it as snapshot snap-1 and
// checks that the findings are want (expected's form); it returns them.
func scanFinds(t *testing.T, spec diskimage.Spec, want []string) []snapshot.DeepScanFinding {
	t.Helper()
	f := build(t, spec)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	findings, err := ScanDisk(ctx, f, size(t, f), "snap-1", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if g := got(findings); strings.Join(g, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(g, "\n"), strings.Join(want, "\n"))
	}
	return findings
}

func TestScanDiskFindsEveryPlantedSecret(t *testing.T) {
	planted := diskimage.Planted()
	want := expected(planted)
	if len(want) < 10 {
		t.Fatalf("fixture: only %d expected hits: %v", len(want), want)
	}
	for _, tc := range []struct {
		fs, table, partition string
		sizeMiB              int64
	}{
		{diskimage.Ext4, diskimage.WholeDisk, WholeDisk, 0},
		{diskimage.Ext4, diskimage.MBR, "1", 0},
		{diskimage.Ext4, diskimage.GPT, "1", 0},
		{diskimage.XFS, diskimage.MBR, "1", 320},
		{diskimage.XFS, diskimage.GPT, "1", 320},
	} {
		t.Run(tc.fs+"/"+tc.table, func(t *testing.T) {
			findings := scanFinds(t, diskimage.Spec{FS: tc.fs, Table: tc.table, SizeMiB: tc.sizeMiB, Files: planted}, want)
			for _, f := range findings {
				if f.SnapshotID != "snap-1" || f.Partition != tc.partition || f.Line == 0 {
					t.Errorf("finding %+v: want snapshot snap-1, partition %s, a line", f, tc.partition)
				}
			}
		})
	}
}

func TestScanDiskCleanImage(t *testing.T) {
	f := build(t, diskimage.Spec{FS: diskimage.Ext4, Table: diskimage.GPT, Files: diskimage.Clean()})
	findings, err := ScanDisk(context.Background(), f, size(t, f), "snap-1", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(findings) != 0 {
		t.Errorf("clean image: %+v", findings)
	}
}
