// Package ext4 reads files from an ext2, ext3 or ext4 filesystem image as an
// io/fs.FS: the superblock, the group descriptors, the inode tables, extent
// trees and indirect block maps, and directories (htree-indexed ones read as
// the linear directories they also are). It is read-only, takes an
// io.ReaderAt, and reads only the blocks a lookup or a read touches.
//
// It replaces github.com/masahiro331/go-ext4-filesystem for the deep scan,
// which cannot read two layouts that small volumes and older /boot
// partitions have: 1 KiB blocks (it reads the group descriptors from byte
// block_size, which with 1 KiB blocks is the superblock: they start in block
// s_first_data_block+1) and 128-byte inodes (it decodes 256 bytes from a
// 512-byte sector read, which fails for the last inode of each sector).
//
// The on-disk format is the kernel's:
// https://docs.kernel.org/filesystems/ext4/index.html. Every count and
// location read from the image is checked before it sizes a read or a loop,
// since an image is untrusted input.
package ext4

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"time"
)

// ErrUnsupported is a file or feature this reader cannot read (inline data,
// encrypted files, compression). The caller must not take it for an absent
// or empty file.
var ErrUnsupported = errors.New("unsupported ext4 feature")

// ErrCorrupt is an image whose metadata contradicts itself.
var ErrCorrupt = errors.New("corrupt ext4 filesystem")

const (
	superblockOffset = 1024
	superblockMagic  = 0xEF53
	rootInode        = 2

	// Superblock feature flags
	// (https://docs.kernel.org/filesystems/ext4/super.html).
	incompatCompression = 0x1
	incompatFiletype    = 0x2
	incompatJournalDev  = 0x8
	incompatMetaBG      = 0x10
	incompat64Bit       = 0x80
	incompatDirData     = 0x1000
	compatSparseSuper2  = 0x200
	roCompatSparseSuper = 0x1

	// Inode flags (https://docs.kernel.org/filesystems/ext4/inodes.html).
	flagCompressed = 0x4
	flagEncrypt    = 0x800
	flagExtents    = 0x80000
	flagInlineData = 0x10000000

	extentMagic = 0xF30A
	// maxExtentDepth is the kernel's bound (EXT4_MAX_EXTENT_DEPTH): a root
	// at depth 5 at most.
	maxExtentDepth = 5
)

// Check reports whether r starts with an ext2/3/4 superblock.
func Check(r io.Reader) bool {
	var b [superblockOffset + 60]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return false
	}
	return binary.LittleEndian.Uint16(b[superblockOffset+56:]) == superblockMagic
}

// FS is an ext2/3/4 filesystem.
type FS struct {
	r              io.ReaderAt
	blockSize      int64
	blocks         uint64
	firstDataBlock uint64
	// superBlock is the block that holds the superblock: 1 with 1 KiB
	// blocks, else 0.
	superBlock     uint64
	blocksPerGroup uint64
	inodesPerGroup uint64
	inodes         uint64
	inodeSize      int64
	groups         uint64
	descSize       int64
	incompat       uint32
	roCompat       uint32
	firstMetaBG    uint64
	// backupGroups are the only groups with superblock backups, with
	// sparse_super2.
	backupGroups *[2]uint64

	// dirs caches directory listings by inode: every lookup lists each
	// directory on its path again (/, /home, /home/u for each file of each
	// home), and parsing them again costs CPU and the parser read budget.
	mu        sync.Mutex
	dirs      map[uint64][]dirent
	dirsCount int
}

// maxCachedDirents bounds the directory cache (a few MiB).
const maxCachedDirents = 1 << 16

// NewFS reads the superblock of the filesystem in r, size bytes long, and
// checks every field the reader sizes reads or loops by.
func NewFS(r io.ReaderAt, size int64) (*FS, error) {
	var sb [1024]byte
	if _, err := r.ReadAt(sb[:], superblockOffset); err != nil {
		return nil, fmt.Errorf("read superblock: %w", err)
	}
	le := binary.LittleEndian
	if le.Uint16(sb[0x38:]) != superblockMagic {
		return nil, fmt.Errorf("%w: no superblock magic", ErrCorrupt)
	}
	f := &FS{r: r, incompat: le.Uint32(sb[0x60:]), roCompat: le.Uint32(sb[0x64:]), dirs: map[uint64][]dirent{}}
	if f.incompat&(incompatCompression|incompatJournalDev|incompatDirData) != 0 {
		return nil, fmt.Errorf("%w: incompatible features %#x", ErrUnsupported, f.incompat)
	}
	logBlock := le.Uint32(sb[0x18:])
	if logBlock > 6 {
		return nil, fmt.Errorf("%w: block size 2^(10+%d) is over 64 KiB", ErrCorrupt, logBlock)
	}
	f.blockSize = 1024 << logBlock
	bs := uint64(f.blockSize)
	f.blocks = uint64(le.Uint32(sb[0x4:]))
	if f.incompat&incompat64Bit != 0 {
		f.blocks |= uint64(le.Uint32(sb[0x150:])) << 32
	}
	if size < 0 || f.blocks == 0 || f.blocks > uint64(size)/bs {
		return nil, fmt.Errorf("%w: %d blocks of %d bytes do not fit in %d bytes", ErrCorrupt, f.blocks, bs, size)
	}
	// The superblock is at byte 1024 whatever the block size: in block 1
	// with 1 KiB blocks, where s_first_data_block is then 1 (0 with
	// bigalloc), and in block 0 otherwise
	// (https://docs.kernel.org/filesystems/ext4/super.html,
	// s_first_data_block).
	f.superBlock = uint64(superblockOffset) / bs
	f.firstDataBlock = uint64(le.Uint32(sb[0x14:]))
	if f.firstDataBlock > f.superBlock {
		return nil, fmt.Errorf("%w: first data block %d with %d-byte blocks, want %d at most", ErrCorrupt, f.firstDataBlock, bs, f.superBlock)
	}
	f.blocksPerGroup = uint64(le.Uint32(sb[0x20:]))
	f.inodesPerGroup = uint64(le.Uint32(sb[0x28:]))
	// A group's block and inode bitmaps are one block each.
	if f.blocksPerGroup == 0 || f.blocksPerGroup > 8*bs || f.inodesPerGroup == 0 || f.inodesPerGroup > 8*bs {
		return nil, fmt.Errorf("%w: %d blocks and %d inodes per group, want 1 to %d", ErrCorrupt, f.blocksPerGroup, f.inodesPerGroup, 8*bs)
	}
	f.groups = (f.blocks - f.firstDataBlock + f.blocksPerGroup - 1) / f.blocksPerGroup
	f.inodes = uint64(le.Uint32(sb[0x0:]))
	if f.inodes == 0 || f.inodes > f.groups*f.inodesPerGroup {
		return nil, fmt.Errorf("%w: %d inodes in %d groups of %d", ErrCorrupt, f.inodes, f.groups, f.inodesPerGroup)
	}
	// Revision 0 filesystems have 128-byte inodes; later ones say
	// (https://docs.kernel.org/filesystems/ext4/inodes.html, "Inode Size").
	f.inodeSize = 128
	if le.Uint32(sb[0x4C:]) >= 1 {
		f.inodeSize = int64(le.Uint16(sb[0x58:]))
	}
	if is := f.inodeSize; is < 128 || is > f.blockSize || is&(is-1) != 0 {
		return nil, fmt.Errorf("%w: inode size %d", ErrCorrupt, is)
	}
	f.descSize = 32
	if f.incompat&incompat64Bit != 0 {
		f.descSize = int64(le.Uint16(sb[0xFE:]))
		if ds := f.descSize; ds < 32 || ds > 1024 || ds&(ds-1) != 0 {
			return nil, fmt.Errorf("%w: group descriptor size %d", ErrCorrupt, ds)
		}
	}
	if f.incompat&incompatMetaBG != 0 {
		f.firstMetaBG = uint64(le.Uint32(sb[0x104:]))
	}
	if le.Uint32(sb[0x5C:])&compatSparseSuper2 != 0 {
		f.backupGroups = &[2]uint64{uint64(le.Uint32(sb[0x24C:])), uint64(le.Uint32(sb[0x250:]))}
	}
	return f, nil
}

// BlockSize is the filesystem's block size in bytes.
func (f *FS) BlockSize() int64 { return f.blockSize }

// readBlockBytes reads len(p) bytes at off within block blk, which must lie
// inside the filesystem.
func (f *FS) readBlockBytes(p []byte, blk uint64, off int64) error {
	if blk >= f.blocks || off < 0 || off+int64(len(p)) > f.blockSize {
		return fmt.Errorf("%w: block %d beyond the filesystem's %d", ErrCorrupt, blk, f.blocks)
	}
	if _, err := f.r.ReadAt(p, int64(blk)*f.blockSize+off); err != nil {
		return fmt.Errorf("read block %d: %w", blk, err)
	}
	return nil
}

// descriptorBlock is the block that holds group g's descriptor, and the
// descriptor's offset in it. The descriptors start in the block after the
// superblock's: block 2 with 1 KiB blocks, block 1 otherwise (reading them
// at byte block_size is go-ext4-filesystem's bug: with 1 KiB blocks that is
// the superblock). With meta_bg, those of each meta group from
// s_first_meta_bg on are in the first block of the meta group's first
// group, after that group's superblock backup if it has one
// (https://docs.kernel.org/filesystems/ext4/blockgroup.html, "Flexible
// Block Groups" and "Meta Block Groups"; the kernel's descriptor_loc in
// fs/ext4/super.c).
func (f *FS) descriptorBlock(g uint64) (uint64, int64) {
	perBlock := uint64(f.blockSize / f.descSize)
	metaGroup := g / perBlock
	off := int64(g%perBlock) * f.descSize
	if f.incompat&incompatMetaBG == 0 || metaGroup < f.firstMetaBG {
		return f.superBlock + 1 + g/perBlock, off
	}
	first := metaGroup * perBlock
	blk := f.firstDataBlock + first*f.blocksPerGroup
	if f.hasSuper(first) {
		blk++
	}
	return blk, off
}

// hasSuper says whether group g holds a superblock backup: with
// sparse_super, groups 0, 1 and the powers of 3, 5 and 7 only; with
// sparse_super2, group 0 and the two the superblock names
// (https://docs.kernel.org/filesystems/ext4/super.html).
func (f *FS) hasSuper(g uint64) bool {
	if g == 0 {
		return true
	}
	if b := f.backupGroups; b != nil {
		return g == b[0] || g == b[1]
	}
	if g == 1 || f.roCompat&roCompatSparseSuper == 0 {
		return true
	}
	for _, p := range []uint64{3, 5, 7} {
		n := p
		for n < g {
			n *= p
		}
		if n == g {
			return true
		}
	}
	return false
}

// inodeTable is the first block of group g's inode table.
func (f *FS) inodeTable(g uint64) (uint64, error) {
	blk, off := f.descriptorBlock(g)
	var d [64]byte
	n := min(f.descSize, 64)
	if err := f.readBlockBytes(d[:n], blk, off); err != nil {
		return 0, fmt.Errorf("group descriptor %d: %w", g, err)
	}
	t := uint64(binary.LittleEndian.Uint32(d[0x8:]))
	if f.incompat&incompat64Bit != 0 && f.descSize >= 64 {
		t |= uint64(binary.LittleEndian.Uint32(d[0x28:])) << 32
	}
	return t, nil
}

// inode is the part of an inode the reader uses
// (https://docs.kernel.org/filesystems/ext4/inodes.html).
type inode struct {
	num   uint64
	mode  uint16
	size  int64
	mtime uint32
	flags uint32
	block [60]byte
}

func (f *FS) inode(num uint64) (*inode, error) {
	if num == 0 || num > f.inodes {
		return nil, fmt.Errorf("%w: inode %d out of 1 to %d", ErrCorrupt, num, f.inodes)
	}
	g, idx := (num-1)/f.inodesPerGroup, (num-1)%f.inodesPerGroup
	table, err := f.inodeTable(g)
	if err != nil {
		return nil, fmt.Errorf("inode %d: %w", num, err)
	}
	// The first 128 bytes hold every field used here, whatever the inode size.
	off := idx * uint64(f.inodeSize)
	blk := table + off/uint64(f.blockSize)
	var b [128]byte
	if err := f.readBlockBytes(b[:], blk, int64(off%uint64(f.blockSize))); err != nil {
		return nil, fmt.Errorf("inode %d: %w", num, err)
	}
	le := binary.LittleEndian
	in := &inode{
		num:   num,
		mode:  le.Uint16(b[0x0:]),
		size:  int64(uint64(le.Uint32(b[0x4:])) | uint64(le.Uint32(b[0x6C:]))<<32),
		mtime: le.Uint32(b[0x10:]),
		flags: le.Uint32(b[0x20:]),
	}
	copy(in.block[:], b[0x28:0x64])
	if in.size < 0 {
		return nil, fmt.Errorf("%w: inode %d size %d", ErrCorrupt, num, in.size)
	}
	return in, nil
}

// Inode modes (https://docs.kernel.org/filesystems/ext4/inodes.html, i_mode).
const (
	modeFIFO    = 0x1000
	modeChar    = 0x2000
	modeDir     = 0x4000
	modeBlock   = 0x6000
	modeRegular = 0x8000
	modeSymlink = 0xA000
	modeSocket  = 0xC000
)

func (in *inode) fileMode() fs.FileMode {
	m := fs.FileMode(in.mode & 0o777)
	if in.mode&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if in.mode&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if in.mode&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	switch in.mode & 0xF000 {
	case modeDir:
		m |= fs.ModeDir
	case modeSymlink:
		m |= fs.ModeSymlink
	case modeFIFO:
		m |= fs.ModeNamedPipe
	case modeChar:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case modeBlock:
		m |= fs.ModeDevice
	case modeSocket:
		m |= fs.ModeSocket
	case modeRegular:
	default:
		m |= fs.ModeIrregular
	}
	return m
}

// readable refuses the inodes whose data this reader cannot decode: reading
// their blocks as plain data would scan ciphertext or compressed bytes and
// report a clean file.
func (in *inode) readable() error {
	switch {
	case in.flags&flagInlineData != 0:
		return fmt.Errorf("inode %d: inline data: %w", in.num, ErrUnsupported)
	case in.flags&flagEncrypt != 0:
		return fmt.Errorf("inode %d: encrypted: %w", in.num, ErrUnsupported)
	case in.flags&flagCompressed != 0:
		return fmt.Errorf("inode %d: compressed: %w", in.num, ErrUnsupported)
	}
	return nil
}

// mapBlock maps logical block lblk of in to a physical block and the number
// of blocks from there that are contiguous on disk; a physical block of 0 is
// a hole (or an unwritten extent) of that many blocks, which reads as zeros.
func (f *FS) mapBlock(in *inode, lblk uint64) (phys, run uint64, err error) {
	if in.flags&flagExtents != 0 {
		// Extents address 2^32 logical blocks; a size field that says more
		// is corrupt.
		if lblk >= 1<<32 {
			return 0, 0, fmt.Errorf("%w: logical block %d beyond extent addressing", ErrCorrupt, lblk)
		}
		return f.mapExtent(in.block[:], lblk, 1<<32, maxExtentDepth+1)
	}
	return f.mapIndirect(in, lblk)
}

// mapExtent walks an extent tree node (the inode's i_block, or a tree
// block) down to the leaf extent that covers lblk
// (https://docs.kernel.org/filesystems/ext4/ifork.html, "Extent Tree").
// end is where the node's range ends (the next index entry's first block):
// a hole at the end of a leaf runs only up to there. Each node's depth must
// be below depthLeft, its parent's, so that a node pointing at itself or up
// the tree ends the walk.
func (f *FS) mapExtent(node []byte, lblk, end uint64, depthLeft int) (uint64, uint64, error) {
	le := binary.LittleEndian
	if len(node) < 12 || le.Uint16(node[0:]) != extentMagic {
		return 0, 0, fmt.Errorf("%w: extent header magic", ErrCorrupt)
	}
	entries, depth := int(le.Uint16(node[2:])), int(le.Uint16(node[6:]))
	if 12+12*entries > len(node) || depth >= depthLeft {
		return 0, 0, fmt.Errorf("%w: extent node of %d entries at depth %d", ErrCorrupt, entries, depth)
	}
	if depth == 0 {
		next := end
		for i := range entries {
			e := node[12+12*i:]
			start := uint64(le.Uint32(e[0:]))
			n := uint64(le.Uint16(e[4:]))
			unwritten := n > 32768
			if unwritten {
				n -= 32768
			}
			if lblk >= start && lblk < start+n {
				if unwritten {
					return 0, start + n - lblk, nil
				}
				phys := uint64(le.Uint16(e[6:]))<<32 | uint64(le.Uint32(e[8:]))
				if phys+n > f.blocks {
					return 0, 0, fmt.Errorf("%w: extent at block %d+%d beyond the filesystem", ErrCorrupt, phys, n)
				}
				return phys + (lblk - start), start + n - lblk, nil
			}
			if start > lblk {
				next = min(next, start)
			}
		}
		// Not mapped: a hole up to the next extent.
		return 0, max(1, next-lblk), nil
	}
	// An index node: the last entry whose first block is at most lblk.
	child := -1
	for i := range entries {
		start := uint64(le.Uint32(node[12+12*i:]))
		if start <= lblk {
			child = i
		} else {
			end = min(end, start)
		}
	}
	if child < 0 {
		return 0, max(1, end-lblk), nil
	}
	e := node[12+12*child:]
	blk := uint64(le.Uint16(e[8:]))<<32 | uint64(le.Uint32(e[4:]))
	buf := make([]byte, f.blockSize)
	if err := f.readBlockBytes(buf, blk, 0); err != nil {
		return 0, 0, fmt.Errorf("extent tree: %w", err)
	}
	return f.mapExtent(buf, lblk, end, depth)
}

// mapIndirect maps lblk through the ext2/ext3 block map: 12 direct blocks,
// then single, double and triple indirect blocks of block_size/4 entries
// (https://docs.kernel.org/filesystems/ext4/ifork.html, "Direct/Indirect
// Block Addressing").
func (f *FS) mapIndirect(in *inode, lblk uint64) (uint64, uint64, error) {
	le := binary.LittleEndian
	ptr := func(i int) uint64 { return uint64(le.Uint32(in.block[4*i:])) }
	if lblk < 12 {
		return f.checked(ptr(int(lblk)))
	}
	per := uint64(f.blockSize / 4)
	lblk -= 12
	span := uint64(1)
	for level := 1; level <= 3; level++ {
		span *= per
		if lblk < span {
			blk := ptr(11 + level)
			for l := level; l > 0; l-- {
				if blk == 0 {
					return 0, 1, nil
				}
				span /= per
				var b [4]byte
				if err := f.readBlockBytes(b[:], blk, int64(lblk/span*4)); err != nil {
					return 0, 0, fmt.Errorf("indirect block: %w", err)
				}
				blk = uint64(le.Uint32(b[:]))
				lblk %= span
			}
			return f.checked(blk)
		}
		lblk -= span
	}
	return 0, 0, fmt.Errorf("%w: block %d beyond triple indirect addressing", ErrCorrupt, lblk)
}

func (f *FS) checked(blk uint64) (uint64, uint64, error) {
	if blk >= f.blocks {
		return 0, 0, fmt.Errorf("%w: block %d beyond the filesystem's %d", ErrCorrupt, blk, f.blocks)
	}
	return blk, 1, nil
}

// readAt reads the data of in at off, as far as p, the file's end or the
// current contiguous run allow.
func (f *FS) readAt(in *inode, p []byte, off int64) (int, error) {
	if off >= in.size {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), in.size-off)]
	n := 0
	for n < len(p) {
		pos := off + int64(n)
		lblk, within := uint64(pos/f.blockSize), pos%f.blockSize
		phys, run, err := f.mapBlock(in, lblk)
		if err != nil {
			return n, fmt.Errorf("inode %d block %d: %w", in.num, lblk, err)
		}
		// The run can be a hole of 2^32 blocks: count no further than p.
		run = min(run, uint64(len(p)-n)/uint64(f.blockSize)+1)
		avail := int64(run)*f.blockSize - within
		chunk := p[n:min(int64(len(p)), int64(n)+avail)]
		if phys == 0 {
			clear(chunk)
		} else if _, err := f.r.ReadAt(chunk, int64(phys)*f.blockSize+within); err != nil {
			return n, fmt.Errorf("inode %d block %d: %w", in.num, lblk, err)
		}
		n += len(chunk)
	}
	return n, nil
}

// dirent is one directory entry.
type dirent struct {
	name  string
	inode uint64
	// ftype is the entry's file type byte (0 when the filesystem has none).
	ftype uint8
}

// maxDirBytes bounds the directory read at once: 2^20 entries of short
// names, far beyond the directories the deep scan lists, far below what a
// corrupt size field can claim.
const maxDirBytes = 32 << 20

// readDir lists a directory inode's entries, from the cache if it is there.
// The caller must not change the slice.
func (f *FS) readDir(in *inode) ([]dirent, error) {
	f.mu.Lock()
	d, ok := f.dirs[in.num]
	f.mu.Unlock()
	if ok {
		return d, nil
	}
	d, err := f.listDir(in)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dirsCount+len(d) > maxCachedDirents {
		clear(f.dirs)
		f.dirsCount = 0
	}
	if len(d) <= maxCachedDirents {
		f.dirs[in.num] = d
		f.dirsCount += len(d)
	}
	return d, nil
}

// listDir lists a directory inode's entries, every block as a linear
// directory: an htree directory's index blocks read as one empty entry
// (inode 0) spanning the block, by design of the format
// (https://docs.kernel.org/filesystems/ext4/directory.html, "Hash Tree
// Directories").
func (f *FS) listDir(in *inode) ([]dirent, error) {
	if err := in.readable(); err != nil {
		return nil, err
	}
	if in.size > maxDirBytes || in.size%f.blockSize != 0 {
		return nil, fmt.Errorf("%w: directory inode %d of %d bytes", ErrCorrupt, in.num, in.size)
	}
	buf := make([]byte, in.size)
	if _, err := f.readAt(in, buf, 0); err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	var out []dirent
	for b := int64(0); b < in.size; b += f.blockSize {
		blk := buf[b : b+f.blockSize]
		for pos := 0; pos < len(blk); {
			if len(blk)-pos < 8 {
				return nil, fmt.Errorf("%w: directory inode %d: entry at %d cut short", ErrCorrupt, in.num, b+int64(pos))
			}
			ino := uint64(le.Uint32(blk[pos:]))
			recLen := int(le.Uint16(blk[pos+4:]))
			if f.blockSize == 65536 && (recLen == 0 || recLen == 65535) {
				recLen = 65536
			}
			nameLen := int(blk[pos+6])
			ftype := blk[pos+7]
			if f.incompat&incompatFiletype == 0 {
				nameLen |= int(ftype) << 8
				ftype = 0
			}
			if recLen < 8+nameLen || recLen%4 != 0 || pos+recLen > len(blk) {
				return nil, fmt.Errorf("%w: directory inode %d: record length %d at %d", ErrCorrupt, in.num, recLen, b+int64(pos))
			}
			if name := string(blk[pos+8 : pos+8+nameLen]); ino != 0 && name != "." && name != ".." {
				out = append(out, dirent{name: name, inode: ino, ftype: ftype})
			}
			pos += recLen
		}
	}
	return out, nil
}

// lookup resolves a valid io/fs path from the root without following
// symbolic links: a path through a symlink or a file does not exist.
func (f *FS) lookup(name string) (*inode, error) {
	in, err := f.inode(rootInode)
	if err != nil {
		return nil, err
	}
	if name == "." {
		return in, nil
	}
	for _, part := range strings.Split(name, "/") {
		if in.mode&0xF000 != modeDir {
			return nil, fs.ErrNotExist
		}
		entries, err := f.readDir(in)
		if err != nil {
			return nil, err
		}
		i := slices.IndexFunc(entries, func(e dirent) bool { return e.name == part })
		if i < 0 {
			return nil, fs.ErrNotExist
		}
		if in, err = f.inode(entries[i].inode); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// Open opens the named file or directory; symbolic links are opened as
// themselves (Stat says so), never followed.
func (f *FS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	in, err := f.lookup(name)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return &file{fs: f, in: in, name: path.Base(name)}, nil
}

// Stat describes the named file.
func (f *FS) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrInvalid}
	}
	in, err := f.lookup(name)
	if err != nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	return fileInfo{name: path.Base(name), in: in}, nil
}

// ReadDir lists the named directory, sorted by name.
func (f *FS) ReadDir(name string) ([]fs.DirEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrInvalid}
	}
	in, err := f.lookup(name)
	if err == nil && in.mode&0xF000 != modeDir {
		err = errors.New("not a directory")
	}
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: err}
	}
	entries, err := f.entries(in)
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: err}
	}
	return entries, nil
}

func (f *FS) entries(in *inode) ([]fs.DirEntry, error) {
	des, err := f.readDir(in)
	if err != nil {
		return nil, err
	}
	out := make([]fs.DirEntry, 0, len(des))
	for _, d := range des {
		e := &dirEntry{fs: f, d: d}
		if t, ok := direntTypes[d.ftype]; ok {
			e.typ = t
		} else {
			// No file type in the entry (ext2 without filetype): the inode
			// says, and failing to read it fails the listing, rather than
			// hiding a directory from the walk.
			in, err := f.inode(d.inode)
			if err != nil {
				return nil, fmt.Errorf("entry %q: %w", d.name, err)
			}
			e.typ = in.fileMode().Type()
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return out, nil
}

// file is an open file or directory.
type file struct {
	fs   *FS
	in   *inode
	name string
	off  int64
	// dir is what ReadDir(n) has left to return, once listed.
	dir []fs.DirEntry
	// listed says dir was read.
	listed bool
}

func (fl *file) Stat() (fs.FileInfo, error) { return fileInfo{name: fl.name, in: fl.in}, nil }
func (fl *file) Close() error               { return nil }

func (fl *file) Read(p []byte) (int, error) {
	n, err := fl.ReadAt(p, fl.off)
	fl.off += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

// ReadAt reads a regular file's data.
func (fl *file) ReadAt(p []byte, off int64) (int, error) {
	if fl.in.mode&0xF000 != modeRegular {
		return 0, &fs.PathError{Op: "read", Path: fl.name, Err: errors.New("not a regular file")}
	}
	if err := fl.in.readable(); err != nil {
		return 0, &fs.PathError{Op: "read", Path: fl.name, Err: err}
	}
	if off < 0 {
		return 0, &fs.PathError{Op: "read", Path: fl.name, Err: fs.ErrInvalid}
	}
	n, err := fl.fs.readAt(fl.in, p, off)
	if err == nil && n < len(p) {
		err = io.EOF
	}
	return n, err
}

// ReadDir implements fs.ReadDirFile.
func (fl *file) ReadDir(n int) ([]fs.DirEntry, error) {
	if fl.in.mode&0xF000 != modeDir {
		return nil, &fs.PathError{Op: "readdir", Path: fl.name, Err: errors.New("not a directory")}
	}
	if !fl.listed {
		entries, err := fl.fs.entries(fl.in)
		if err != nil {
			return nil, &fs.PathError{Op: "readdir", Path: fl.name, Err: err}
		}
		fl.dir, fl.listed = entries, true
	}
	if n <= 0 {
		out := fl.dir
		fl.dir = nil
		return out, nil
	}
	if len(fl.dir) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(fl.dir))
	out := fl.dir[:n]
	fl.dir = fl.dir[n:]
	return out, nil
}

type fileInfo struct {
	name string
	in   *inode
}

func (fi fileInfo) Name() string       { return fi.name }
func (fi fileInfo) Size() int64        { return fi.in.size }
func (fi fileInfo) Mode() fs.FileMode  { return fi.in.fileMode() }
func (fi fileInfo) ModTime() time.Time { return time.Unix(int64(fi.in.mtime), 0) }
func (fi fileInfo) IsDir() bool        { return fi.in.mode&0xF000 == modeDir }
func (fi fileInfo) Sys() any           { return nil }

// dirEntry reads its inode only when asked for more than the name and the
// type.
type dirEntry struct {
	fs  *FS
	d   dirent
	typ fs.FileMode
}

// Directory entry file types
// (https://docs.kernel.org/filesystems/ext4/directory.html, file_type).
var direntTypes = map[uint8]fs.FileMode{
	1: 0, 2: fs.ModeDir, 3: fs.ModeDevice | fs.ModeCharDevice, 4: fs.ModeDevice,
	5: fs.ModeNamedPipe, 6: fs.ModeSocket, 7: fs.ModeSymlink,
}

func (e *dirEntry) Name() string { return e.d.name }
func (e *dirEntry) IsDir() bool  { return e.Type().IsDir() }

func (e *dirEntry) Type() fs.FileMode { return e.typ }

func (e *dirEntry) Info() (fs.FileInfo, error) {
	in, err := e.fs.inode(e.d.inode)
	if err != nil {
		return nil, err
	}
	return fileInfo{name: e.d.name, in: in}, nil
}
