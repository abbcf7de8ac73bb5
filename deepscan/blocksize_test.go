package deepscan

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/amiaudit/amiaudit/testbed/diskimage"
)

// TestScanDiskBlockSizes: every planted secret is found, at its path, on
// ext4 with 1, 2 and 4 KiB blocks and on XFS with 1, 2 and 4 KiB blocks,
// exactly as on the default 4 KiB.
func TestScanDiskBlockSizes(t *testing.T) {
	planted := diskimage.Planted()
	want := expected(planted)
	for _, tc := range []struct {
		fs, table string
		blockSize int
		sizeMiB   int64
	}{
		{diskimage.Ext4, diskimage.WholeDisk, 1024, 0},
		{diskimage.Ext4, diskimage.GPT, 1024, 0},
		{diskimage.Ext4, diskimage.MBR, 2048, 0},
		{diskimage.Ext4, diskimage.GPT, 4096, 0},
		{diskimage.XFS, diskimage.GPT, 1024, 320},
		{diskimage.XFS, diskimage.WholeDisk, 2048, 320},
	} {
		t.Run(fmt.Sprintf("%s/%s/%d", tc.fs, tc.table, tc.blockSize), func(t *testing.T) {
			f := build(t, diskimage.Spec{FS: tc.fs, Table: tc.table, SizeMiB: tc.sizeMiB, BlockSize: tc.blockSize, Files: planted})
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			findings, err := ScanDisk(ctx, f, size(t, f), "snap-1", Options{})
			if err != nil {
				t.Fatal(err)
			}
			if g := got(findings); strings.Join(g, "\n") != strings.Join(want, "\n") {
				t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(g, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}
