package deepscan

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"sync/atomic"

	disktypes "github.com/masahiro331/go-disk/types"
)

// ErrReadBudget ends a scan whose parsers read more through the device than
// Options.MaxParseBytes allows. The third-party parsers trust the counts of
// a superblock; on a corrupt one they can loop over the same cached blocks
// for ever, and this is what stops them.
var ErrReadBudget = errors.New("deep scan parser read budget exhausted")

// device is the io.ReaderAt the partition and filesystem parsers get. It
// fails reads past the device's size whatever the underlying reader holds
// there (a file image longer than the volume, the padding of a last block),
// reads after the scan's deadline (the parsers take no context, and an
// in-memory or cached reader never looks at one), and reads once the parsers
// have read MaxParseBytes, cached or not.
type device struct {
	ctx  context.Context
	r    io.ReaderAt
	size int64
	left atomic.Int64
}

func newDevice(ctx context.Context, r io.ReaderAt, size, budget int64) *device {
	d := &device{ctx: ctx, r: r, size: size}
	d.left.Store(budget)
	return d
}

func (d *device) ReadAt(p []byte, off int64) (int, error) {
	if err := d.ctx.Err(); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, fmt.Errorf("read at %d: negative offset", off)
	}
	if off >= d.size {
		return 0, io.EOF
	}
	want := p
	if rest := d.size - off; int64(len(p)) > rest {
		want = p[:rest]
	}
	if d.left.Add(-int64(len(want))) < 0 {
		return 0, ErrReadBudget
	}
	n, err := d.r.ReadAt(want, off)
	if err == nil && n < len(p) {
		err = io.EOF
	}
	return n, err
}

// checkPartition refuses a partition that does not lie within the disk:
// go-disk hands out a section reader for whatever the table says, and the
// filesystem parser would then read zeros, or the next partition, as its own.
func checkPartition(p disktypes.Partition, diskSize int64) error {
	const sector = 512
	start, n := p.GetStartSector(), p.GetSize()
	if _, ok := p.(interface{ Index() int }); !ok {
		// A whole-disk filesystem: its size is in bytes and is the disk's.
		return nil
	}
	end, carry := bits.Add64(start, n, 0)
	if carry != 0 || start > uint64(diskSize)/sector || end > uint64(diskSize)/sector {
		return fmt.Errorf("sectors %d+%d lie beyond the disk's %d", start, n, diskSize/sector)
	}
	return nil
}

// checkXFS validates the superblock fields go-xfs-filesystem loops and
// allocates by: it parses sb_agcount allocation groups sb_agblocks blocks
// apart, so a zero or huge count re-reads the first group billions of times.
func checkXFS(r io.ReaderAt, size int64) error {
	var sb [512]byte
	if _, err := r.ReadAt(sb[:], 0); err != nil {
		return fmt.Errorf("read superblock: %w", err)
	}
	be := binary.BigEndian
	// go-xfs-filesystem reads the v5 (CRC) format only: v4's allocation
	// group free list, inodes and directory blocks have no v5 headers, and
	// it fails on the first with "agfl magic". v4 is what mkfs.xfs -m crc=0
	// and xfsprogs before 3.2.3 make, and the only format that takes blocks
	// under 1 KiB. The version is sb_versionnum's low four bits
	// (XFS_SB_VERSION_NUMBITS in the kernel's fs/xfs/libxfs/xfs_format.h).
	if v := be.Uint16(sb[100:]) & 0xf; v != 5 {
		return fmt.Errorf("XFS v%d (no metadata CRCs: mkfs.xfs -m crc=0, or xfsprogs before 3.2.3): not supported, only v5 is read", v)
	}
	bs := uint64(be.Uint32(sb[4:]))
	if bs < 512 || bs > 64<<10 || bs&(bs-1) != 0 {
		return fmt.Errorf("block size %d", bs)
	}
	blocks := be.Uint64(sb[8:])
	if blocks == 0 || blocks > uint64(size)/bs {
		return fmt.Errorf("%d blocks of %d bytes do not fit in the partition's %d bytes", blocks, bs, size)
	}
	agBlocks, agCount := uint64(be.Uint32(sb[84:])), uint64(be.Uint32(sb[88:]))
	// Every group but the last is agblocks long.
	if agBlocks == 0 || agCount == 0 || (agCount-1)*agBlocks >= blocks || agCount*agBlocks < blocks {
		return fmt.Errorf("%d allocation groups of %d blocks for %d blocks", agCount, agBlocks, blocks)
	}
	if ss := uint64(be.Uint16(sb[102:])); ss < 512 || ss > bs || ss&(ss-1) != 0 {
		return fmt.Errorf("sector size %d", ss)
	}
	if is := uint64(be.Uint16(sb[104:])); is < 256 || is > 2048 || is&(is-1) != 0 {
		return fmt.Errorf("inode size %d", is)
	}
	return nil
}
