package deepscan

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/amiaudit/amiaudit/testbed/diskimage"
)

// FuzzScanDisk feeds corrupt disk images to the partition table and
// filesystem parsers: whatever the bytes, a scan returns (findings or an
// error) without panicking or hanging. The seeds are the heads of real MBR,
// GPT and whole-disk ext4 images; beyond the seed's length the image reads
// as zeros, as an unwritten EBS block does.
func FuzzScanDisk(f *testing.F) {
	for _, table := range []string{diskimage.MBR, diskimage.GPT, diskimage.WholeDisk} {
		file := build(f, diskimage.Spec{FS: diskimage.Ext4, Table: table, SizeMiB: 8, Files: diskimage.Clean()})
		img := readAll(f, file)
		head := img[:64<<10]
		if table != diskimage.WholeDisk {
			head = img[:(1<<20)+(64<<10)]
		}
		f.Add(bytes.TrimRight(head, "\x00"))
	}
	f.Fuzz(func(t *testing.T, head []byte) {
		img := make([]byte, 8<<20)
		copy(img, head)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		// ScanDisk recovers the parsers' panics itself; a panic escaping
		// would fail the fuzz run.
		_, _ = ScanDisk(ctx, bytes.NewReader(img), int64(len(img)), "snap-fuzz", Options{MaxFiles: 100})
	})
}

// FuzzSnapshotReader checks that any read through the block reader returns
// exactly the image's bytes, whatever the offset, length, block size and
// listing page size.
func FuzzSnapshotReader(f *testing.F) {
	f.Add(int64(0), 10, uint8(0), uint8(0))
	f.Add(int64(4090), 20000, uint8(2), uint8(3))
	f.Add(int64(1<<30-5), 10, uint8(1), uint8(1))
	f.Fuzz(func(t *testing.T, off int64, n int, bs, page uint8) {
		blockSize := 512 << (bs % 4)
		img := pattern(16 * blockSize)
		clear(img[3*blockSize : 5*blockSize])
		fake := &fakeEBS{image: img, blockSize: blockSize, pageSize: int(page % 5)}
		r, err := OpenSnapshot(context.Background(), fake, "snap-fuzz", ReaderOptions{CacheBlocks: 3})
		if err != nil {
			t.Fatal(err)
		}
		if n < 0 || n > 1<<16 || off < 0 || off > r.Size() {
			return
		}
		p := make([]byte, n)
		got, err := r.ReadAt(p, off)
		want := min(int64(n), r.Size()-off)
		if int64(got) != want || (int64(n) > want) != (err != nil) {
			t.Fatalf("ReadAt(%d, %d) = %d, %v; want %d bytes", n, off, got, err, want)
		}
		for i := int64(0); i < int64(got); i++ {
			var w byte
			if off+i < int64(len(img)) {
				w = img[off+i]
			}
			if p[i] != w {
				t.Fatalf("byte %d: %d, want %d", off+i, p[i], w)
			}
		}
	})
}
