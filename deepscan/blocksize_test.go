package deepscan

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/amiaudit/amiaudit/testbed/diskimage"
)

// TestScanDiskBlockSizes: every planted secret is found, at its path, on
// ext4 with 1, 2 and 4 KiB blocks (and 128-byte inodes), and on XFS with 1
// and 2 KiB blocks (v5, whose minimum is 1 KiB), exactly as on the default
// 4 KiB. Issue 10: ext4 with 1 KiB blocks, mkfs's default below
// 512 MiB, failed with "failed to read inode: EOF".
func TestScanDiskBlockSizes(t *testing.T) {
	planted := diskimage.Planted()
	want := expected(planted)
	for _, tc := range []struct {
		fs, table string
		blockSize int
		sizeMiB   int64
		mkfs      []string
	}{
		{diskimage.Ext4, diskimage.WholeDisk, 1024, 0, nil},
		{diskimage.Ext4, diskimage.GPT, 1024, 0, nil},
		{diskimage.Ext4, diskimage.MBR, 1024, 0, []string{"-I", "128"}},
		{diskimage.Ext4, diskimage.MBR, 2048, 0, nil},
		{diskimage.Ext4, diskimage.GPT, 4096, 0, nil},
		{diskimage.XFS, diskimage.GPT, 1024, 320, nil},
		{diskimage.XFS, diskimage.WholeDisk, 2048, 320, nil},
	} {
		t.Run(fmt.Sprintf("%s/%s/%d%s", tc.fs, tc.table, tc.blockSize, strings.Join(tc.mkfs, "")), func(t *testing.T) {
			scanFinds(t, diskimage.Spec{FS: tc.fs, Table: tc.table, SizeMiB: tc.sizeMiB, BlockSize: tc.blockSize, MkfsArgs: tc.mkfs, Files: planted}, want)
		})
	}
}

// XFS v4, the only format with blocks under 1 KiB (mkfs.xfs -m crc=0), is
// not read by go-xfs-filesystem: the scan says so, whatever the block size,
// rather than failing on a magic number or reporting a clean disk.
func TestScanDiskXFSv4IsRefused(t *testing.T) {
	for _, bs := range []int{512, 4096} {
		t.Run(fmt.Sprint(bs), func(t *testing.T) {
			f := build(t, diskimage.Spec{FS: diskimage.XFS, Table: diskimage.GPT, SizeMiB: 320, BlockSize: bs, MkfsArgs: []string{"-m", "crc=0"}, Files: diskimage.Planted()})
			findings, err := ScanDisk(context.Background(), f, size(t, f), "snap-1", Options{})
			if err == nil || !strings.Contains(err.Error(), "XFS v4") {
				t.Errorf("err %v, want XFS v4 refused", err)
			}
			if len(findings) != 0 {
				t.Errorf("findings %v", findings)
			}
		})
	}
}

// The guards hold on the ext4 reader as on the third-party parsers: it reads
// through the guarded device, so the parser read budget and the deadline
// end its scan.
func TestScanDiskExt4Guards(t *testing.T) {
	f := build(t, diskimage.Spec{FS: diskimage.Ext4, Table: diskimage.GPT, BlockSize: 1024, Files: diskimage.Planted()})
	if _, err := ScanDisk(context.Background(), f, size(t, f), "snap-1", Options{MaxParseBytes: 32 << 10}); !errors.Is(err, ErrReadBudget) {
		t.Errorf("32 KiB parser budget: %v, want ErrReadBudget", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ScanDisk(ctx, f, size(t, f), "snap-1", Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("ended context: %v, want context.Canceled", err)
	}
}
