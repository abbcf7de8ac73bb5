// Package deepscan looks for credentials inside the volumes of an AMI without
// launching it: it reads the EBS snapshots behind the AMI through the EBS
// direct APIs (a lazy, cached io.ReaderAt that fetches only the blocks a read
// touches), finds the partitions (MBR, GPT, or a filesystem on the whole disk)
// and the ext4 and XFS filesystems in them, and reads the few well-known
// places where credentials are left behind (see Targets), handing each file
// to the secrets package, the one place that decides what a credential is.
//
// ext2/3/4 is read by our own reader (deepscan/internal/ext4: go-ext4-filesystem
// could not read 1 KiB blocks nor 128-byte inodes, see docs/deep-scan.md);
// partition tables and XFS by masahiro331's go-disk and go-xfs-filesystem.
//
// A disk image is untrusted input: the partition and XFS parsers are
// third-party code that can panic or loop on a corrupt image, and any parser
// can have a bug a corrupt image finds. Each scan runs
// under a deadline, every read honours it, panics are recovered, and the walk
// is bounded, so a corrupt image ends its own scan with an error and nothing
// else.
package deepscan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"time"

	diskfs "github.com/masahiro331/go-disk/fs"
	"github.com/masahiro331/go-disk/gpt"
	"github.com/masahiro331/go-disk/mbr"
	disktypes "github.com/masahiro331/go-disk/types"
	"github.com/masahiro331/go-xfs-filesystem/xfs"

	"github.com/amiaudit/amiaudit/deepscan/internal/ext4"
	"github.com/amiaudit/amiaudit/snapshot"
)

// Options bound a scan.
type Options struct {
	// MaxFileBytes is how much of one file is read (default 1 MiB): the
	// credential files are small, and a history file's secrets are as likely
	// at its start as anywhere.
	MaxFileBytes int64
	// MaxFiles bounds the files read per filesystem (default 2000), so that a
	// directory of millions of entries cannot turn the targeted walk into a
	// full one.
	MaxFiles int
	// MaxBytes caps the bytes fetched from the EBS direct APIs for one AMI,
	// all its snapshots together (0: no cap).
	MaxBytes int64
	// Concurrency bounds the GetSnapshotBlock calls in flight per snapshot.
	Concurrency int
	// Timeout bounds the scan of one AMI (default 10 minutes): a corrupt
	// image must not hold the whole run.
	Timeout time.Duration
	// MaxParseBytes bounds what the parsers read through one disk, cached
	// blocks included (default 4 GiB, twice what MaxFiles files of
	// MaxFileBytes need with the defaults): MaxBytes only counts fetches, and
	// a parser looping over cached metadata fetches nothing.
	MaxParseBytes int64
}

func (o *Options) defaults() {
	if o.MaxFileBytes <= 0 {
		o.MaxFileBytes = 1 << 20
	}
	if o.MaxFiles <= 0 {
		o.MaxFiles = 2000
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Minute
	}
	if o.MaxParseBytes <= 0 {
		o.MaxParseBytes = 4 << 30
	}
}

// Result is what a scan of one AMI's snapshots read and found.
type Result struct {
	Findings       []snapshot.DeepScanFinding
	BytesRead      int64
	BlocksFetched  int64
	AllocatedBytes int64
}

// SnapshotError is a scan that failed on one snapshot.
type SnapshotError struct {
	SnapshotID string
	Err        error
}

func (e *SnapshotError) Error() string { return e.Err.Error() }
func (e *SnapshotError) Unwrap() error { return e.Err }

// ScanSnapshots scans the snapshots of one AMI in order and stops at the
// first error, a *SnapshotError; the result holds what was found and read
// until then.
func ScanSnapshots(ctx context.Context, api BlockAPI, snapshotIDs []string, opts Options) (Result, error) {
	opts.defaults()
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	budget := NewBudget(opts.MaxBytes)
	var res Result
	for _, id := range snapshotIDs {
		r, err := OpenSnapshot(ctx, api, id, ReaderOptions{Budget: budget, Concurrency: opts.Concurrency})
		if err != nil {
			return res, &SnapshotError{id, err}
		}
		res.AllocatedBytes += r.AllocatedBytes()
		findings, err := ScanDisk(ctx, r, r.Size(), id, opts)
		res.Findings = append(res.Findings, findings...)
		res.BytesRead += r.BytesFetched()
		res.BlocksFetched += r.BlocksFetched()
		if err != nil {
			return res, &SnapshotError{id, err}
		}
	}
	return res, nil
}

// WholeDisk names the "partition" of a filesystem written on the whole disk.
const WholeDisk = "whole-disk"

// ScanDisk finds the filesystems of the disk image r (size bytes) and returns
// the credentials found in them, attributed to snapshotID. Partitions that
// hold no ext4 or XFS filesystem (swap, EFI, BIOS boot) are skipped. An image
// with no readable partition table and no filesystem is an error, as is any
// failure of a parser: a scan that could not look must not read as clean.
//
// It is the one guarded entry point to the parsers, for real scans and tests
// alike: they read through a device that fails past the end, after ctx ends
// and beyond MaxParseBytes; their panics are recovered; and they run in their
// own goroutine, so that even one spinning without reading cannot hold the
// caller past ctx (its next read then fails and it ends).
func ScanDisk(ctx context.Context, r io.ReaderAt, size int64, snapshotID string, opts Options) ([]snapshot.DeepScanFinding, error) {
	opts.defaults()
	type outcome struct {
		findings []snapshot.DeepScanFinding
		err      error
	}
	done := make(chan outcome, 1)
	go func() {
		f, err := scanDisk(ctx, newDevice(ctx, r, size, opts.MaxParseBytes), size, snapshotID, opts)
		done <- outcome{f, err}
	}()
	select {
	case o := <-done:
		return o.findings, o.err
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: %w", snapshotID, ctx.Err())
	}
}

func scanDisk(ctx context.Context, r io.ReaderAt, size int64, snapshotID string, opts Options) (findings []snapshot.DeepScanFinding, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s: disk parser failed on a corrupt image: %v", snapshotID, p)
		}
	}()
	driver, err := newDriver(io.NewSectionReader(r, 0, size))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", snapshotID, err)
	}
	scanned := 0
	for n := 0; ; n++ {
		if err := ctx.Err(); err != nil {
			return findings, err
		}
		// Four MBR slots or 128 GPT entries: more is a corrupt table.
		if n > 256 {
			return findings, fmt.Errorf("%s: more than 256 partitions", snapshotID)
		}
		p, err := driver.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return findings, fmt.Errorf("%s: partition table: %w", snapshotID, err)
		}
		// MBR reports its four slots whether used or not.
		if p.GetSize() == 0 {
			continue
		}
		name := partitionName(p)
		if err := checkPartition(p, size); err != nil {
			return findings, fmt.Errorf("%s partition %s: %w", snapshotID, name, err)
		}
		sr := p.GetSectionReader()
		fsys, err := openFS(&sr)
		if err != nil {
			return findings, fmt.Errorf("%s partition %s: %w", snapshotID, name, err)
		}
		if fsys == nil {
			continue
		}
		scanned++
		w := walker{ctx: ctx, fsys: fsys, opts: opts, snapshotID: snapshotID, partition: name}
		if err := w.walk(); err != nil {
			return append(findings, w.findings...), fmt.Errorf("%s partition %s: %w", snapshotID, name, err)
		}
		findings = append(findings, w.findings...)
	}
	if scanned == 0 {
		return findings, fmt.Errorf("%s: no ext4 or XFS filesystem found", snapshotID)
	}
	return findings, nil
}

// newDriver picks the partition table: GPT behind a protective MBR, else the
// MBR, else a filesystem on the whole disk. go-disk's own NewDriver decides
// between MBR and GPT from the first four bytes of the boot code, which are
// zero on a disk without a boot loader, and so refuses such MBR disks.
func newDriver(sr *io.SectionReader) (disktypes.Driver, error) {
	m, err := mbr.NewMasterBootRecord(sr)
	if errors.Is(err, mbr.InvalidSignature) {
		ok, err := diskfs.CheckFileSystems(sr, []diskfs.CheckFsFunc{ext4.Check, xfs.Check})
		if err != nil {
			return nil, fmt.Errorf("probe whole-disk filesystem: %w", err)
		}
		if !ok {
			return nil, errors.New("no partition table and no ext4 or XFS filesystem on the whole disk")
		}
		return diskfs.NewDirectFileSystem(sr)
	}
	if err != nil {
		return nil, fmt.Errorf("MBR: %w", err)
	}
	for _, p := range m.Partitions {
		if p.Type == gptProtective {
			g, err := gpt.NewGUIDPartitionTable(sr)
			if err != nil {
				return nil, fmt.Errorf("GPT: %w", err)
			}
			return g, nil
		}
	}
	return m, nil
}

// gptProtective is the MBR partition type that covers a GPT disk.
const gptProtective = 0xEE

// partitionName is the partition's number as Linux counts it (xvda1 is 1),
// or WholeDisk.
func partitionName(p disktypes.Partition) string {
	if ix, ok := p.(interface{ Index() int }); ok {
		return strconv.Itoa(ix.Index() + 1)
	}
	return WholeDisk
}

// openFS opens the ext4 or XFS filesystem of a partition; nil without error
// when the partition holds neither.
func openFS(sr *io.SectionReader) (fs.FS, error) {
	probe := func(check func(io.Reader) bool) bool {
		return check(io.NewSectionReader(sr, 0, sr.Size()))
	}
	switch {
	case probe(ext4.Check):
		f, err := ext4.NewFS(sr, sr.Size())
		if err != nil {
			return nil, fmt.Errorf("ext4: %w", err)
		}
		return f, nil
	case probe(xfs.Check):
		if err := checkXFS(sr, sr.Size()); err != nil {
			return nil, fmt.Errorf("XFS superblock: %w", err)
		}
		f, err := xfs.NewFS(*io.NewSectionReader(sr, 0, sr.Size()), nil)
		if err != nil {
			return nil, fmt.Errorf("xfs: %w", err)
		}
		return f, nil
	}
	return nil, nil
}
