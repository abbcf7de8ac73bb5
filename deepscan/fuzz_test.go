package deepscan

import (
	"context"
	"io"
	"os"
	"testing"
	"time"

	"github.com/amiaudit/amiaudit/testbed/diskimage"
)

// FuzzScanDisk corrupts real disk images (ext4 with 4, 2 and 1 KiB blocks
// and XFS; MBR, GPT and whole disk) and scans them through ScanDisk, the guarded entry point real scans
// use: whatever the bytes, a scan returns (findings or an error) by its
// deadline, without panicking.
//
// The input is a base image and a list of patches over it, not raw image
// bytes: the parsers then get past the first check and into the partition
// entries, group descriptors, extents and directories, and inputs stay a few
// bytes long. The fuzzer minimizes every new input by removing bytes one and
// then two at a time, and with inputs of a MiB (the head of a partitioned
// disk) that held each worker for the whole -fuzzminimizetime (a minute by
// default): a run that showed 0 execs/sec.
func FuzzScanDisk(f *testing.F) {
	var bases []*os.File
	for _, spec := range []diskimage.Spec{
		{FS: diskimage.Ext4, Table: diskimage.MBR, SizeMiB: 8},
		{FS: diskimage.Ext4, Table: diskimage.GPT, SizeMiB: 8},
		{FS: diskimage.Ext4, Table: diskimage.WholeDisk, SizeMiB: 8},
		{FS: diskimage.XFS, Table: diskimage.GPT, SizeMiB: 320},
		{FS: diskimage.XFS, Table: diskimage.WholeDisk, SizeMiB: 320},
		// New bases go last: the corpus names a base by its index.
		{FS: diskimage.Ext4, Table: diskimage.WholeDisk, SizeMiB: 8, BlockSize: 1024},
		{FS: diskimage.Ext4, Table: diskimage.GPT, SizeMiB: 8, BlockSize: 2048},
	} {
		spec.Files = diskimage.Planted()
		bases = append(bases, build(f, spec))
	}
	for i := range bases {
		f.Add(uint8(i), []byte{})
	}
	// GPT entry 0's first LBA, an ext4 superblock's blocks count, and with
	// 1 KiB blocks group 0's inode table (its descriptor is in block 2).
	f.Add(uint8(1), patch(2*512+32, 0xff, 0xff, 0xff, 0xff))
	f.Add(uint8(2), patch(1024+4, 0xf0, 0xff, 0xff, 0xff))
	f.Add(uint8(5), patch(2048+8, 0xff, 0xff, 0xff, 0x0f))
	f.Fuzz(func(t *testing.T, base uint8, patches []byte) {
		file := bases[int(base)%len(bases)]
		// A short deadline and read budget, as a real scan has long ones:
		// the fuzzer spends its time on many images, not on one loop.
		const deadline = 2 * time.Second
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		defer cancel()
		start := time.Now()
		_, _ = ScanDisk(ctx, overlay{file, patches}, size(t, file), "snap-fuzz", Options{MaxFiles: 100, MaxParseBytes: 64 << 20})
		if took := time.Since(start); took > deadline+time.Second {
			t.Fatalf("scan returned after %v, past its %v deadline", took, deadline)
		}
	})
}

// patch encodes one patch of FuzzScanDisk's input: data at off.
func patch(off int, data ...byte) []byte {
	return append([]byte{byte(off), byte(off >> 8), byte(off >> 16), byte(len(data))}, data...)
}

// overlay reads base with patches applied over it. patches is a sequence of
// records: a 3-byte little-endian offset (the first 16 MiB, where the
// partition tables and the filesystems' metadata are), a length byte, and
// that many bytes; a truncated last record is cut to what is there.
type overlay struct {
	base    io.ReaderAt
	patches []byte
}

func (o overlay) ReadAt(p []byte, off int64) (int, error) {
	n, err := o.base.ReadAt(p, off)
	for rest := o.patches; len(rest) >= 4; {
		at := int64(rest[0]) | int64(rest[1])<<8 | int64(rest[2])<<16
		data := rest[4:min(len(rest), 4+int(rest[3]))]
		rest = rest[4+len(data):]
		lo, hi := max(off, at), min(off+int64(n), at+int64(len(data)))
		if lo < hi {
			copy(p[lo-off:hi-off], data[lo-at:hi-at])
		}
	}
	return n, err
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
