package ext4

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// tree is what the tests put in each filesystem: small credential-like
// files at the depths the deep scan reads, a file spanning many blocks, a
// sparse file (holes, and with 1 KiB blocks a block reached through the
// triple indirect map or a multi-leaf extent tree), and a directory big
// enough for e2fsck -D to index it as an htree.
type tree struct {
	files    map[string][]byte
	sparse   map[int64][]byte // offset: data, in file "sparse"
	symlinks map[string]string
}

func testTree() tree {
	t := tree{
		files: map[string][]byte{
			"data/root/.aws/credentials":         []byte("[default]\nregion = eu-west-1\n"),
			"data/home/ubuntu/.ssh/id_ed25519":   []byte("not a key\n"),
			"data/home/ubuntu/.bash_history":     []byte("ls\n"),
			"data/etc/shadow":                    []byte("root:*:19700:0:99999:7:::\n"),
			"data/opt/app/.env":                  []byte("DB_HOST=db\n"),
			"data/empty":                         {},
			"data/var/lib/cloud/instances/i-1/x": bytes.Repeat([]byte("0123456789abcdef"), 50000), // 800 KB
		},
		sparse: map[int64][]byte{},
	}
	// 200 one-block runs with a one-block hole between each (200 extents),
	// and a last block at 70 MiB: past 12+256+65536 1 KiB blocks, in the
	// triple indirect map.
	for i := int64(0); i < 200; i++ {
		t.sparse[2*i*1024] = bytes.Repeat([]byte{byte(i + 1)}, 1024)
	}
	t.sparse[70<<20] = []byte("end of the sparse file")
	for i := range 600 {
		t.files[fmt.Sprintf("data/big/entry-with-a-longish-name-%04d", i)] = []byte(fmt.Sprint(i))
	}
	return t
}

func (tr tree) write(t *testing.T, dir string) {
	t.Helper()
	for p, data := range tr.files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, data, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Create(filepath.Join(dir, "sparse"))
	if err != nil {
		t.Fatal(err)
	}
	for off, data := range tr.sparse {
		if _, err := f.WriteAt(data, off); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	for p, target := range tr.symlinks {
		if err := os.Symlink(target, filepath.Join(dir, p)); err != nil {
			t.Fatal(err)
		}
	}
}

func (tr tree) sparseContent() []byte {
	var size int64
	for off, d := range tr.sparse {
		size = max(size, off+int64(len(d)))
	}
	b := make([]byte, size)
	for off, d := range tr.sparse {
		copy(b[off:], d)
	}
	return b
}

// mkfs builds a filesystem of sizeMiB holding tr with mke2fs and the given
// options, and returns the image.
func mkfs(t *testing.T, sizeMiB int64, tr tree, opts ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath("mke2fs"); err != nil {
		t.Fatal("mke2fs (e2fsprogs) is missing: scripts/test-deps installs it")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "tree")
	tr.write(t, src)
	img := filepath.Join(dir, "fs.img")
	if err := os.WriteFile(img, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, sizeMiB<<20); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-q", "-F", "-d", src}, opts...)
	if out, err := exec.Command("mke2fs", append(args, img)...).CombinedOutput(); err != nil {
		t.Fatalf("mke2fs %v: %v: %s", opts, err, out)
	}
	// e2fsck -D indexes every directory big enough for it (an htree).
	if out, err := exec.Command("e2fsck", "-fyD", img).CombinedOutput(); err != nil {
		var ee *exec.ExitError
		// Exit 1: "errors corrected", which -D's rewrite counts as.
		if !errors.As(err, &ee) || ee.ExitCode() > 1 {
			t.Fatalf("e2fsck: %v: %s", err, out)
		}
	}
	data, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// debugfs runs a debugfs request on the image and returns its output.
func debugfs(t *testing.T, img []byte, req string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fs.img")
	if err := os.WriteFile(p, img, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("debugfs", "-R", req, p).CombinedOutput()
	if err != nil {
		t.Fatalf("debugfs %s: %v: %s", req, err, out)
	}
	return string(out)
}

// TestReadsWhatMke2fsWrote reads back every file, listing and symlink that
// mke2fs wrote, byte for byte, across the layouts the deep scan meets: 1, 2
// and 4 KiB blocks (1 KiB being mke2fs's default below 512 MiB, where
// go-ext4-filesystem read the superblock as group descriptors), 128-byte
// inodes (older mke2fs on small filesystems), ext2's indirect block maps,
// entries without a file type, meta_bg, 64-bit descriptors, and an htree
// directory. testing/fstest checks the io/fs contract on each.
func TestReadsWhatMke2fsWrote(t *testing.T) {
	tr := testTree()
	for _, tc := range []struct {
		name string
		opts []string
		// check is a debugfs request and what its output must hold, to prove
		// that the image has the layout the case is about.
		check, want string
	}{
		{"ext4-1k", []string{"-t", "ext4", "-b", "1024"}, "stats", "Block size:               1024"},
		{"ext4-2k", []string{"-t", "ext4", "-b", "2048"}, "stats", "Block size:               2048"},
		{"ext4-4k", []string{"-t", "ext4", "-b", "4096"}, "stats", "Block size:               4096"},
		{"ext4-1k-128-byte-inodes", []string{"-t", "ext4", "-b", "1024", "-I", "128"}, "stats", "Inode size:	          128"},
		{"ext4-1k-64bit-meta_bg", []string{"-t", "ext4", "-b", "1024", "-O", "64bit,meta_bg,^resize_inode"}, "stats", "meta_bg"},
		{"ext4-4k-no-64bit", []string{"-t", "ext4", "-b", "4096", "-O", "^64bit"}, "stats", "extent flex_bg"},
		{"ext2-1k-indirect", []string{"-t", "ext2", "-b", "1024"}, "stat /sparse", "(TIND)"},
		{"ext2-4k-no-filetype", []string{"-t", "ext2", "-b", "4096", "-O", "^filetype"}, "stats", "Filesystem features:      ext_attr resize_inode dir_index sparse_super large_file"},
		{"ext3-2k", []string{"-t", "ext3", "-b", "2048"}, "stats", "has_journal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := mkfs(t, 96, tr, tc.opts...)
			if out := debugfs(t, img, tc.check); !strings.Contains(out, tc.want) {
				t.Fatalf("the image is not what the case is about: debugfs %s lacks %q:\n%s", tc.check, tc.want, out)
			}
			if out := debugfs(t, img, "htree /data/big"); !strings.Contains(out, "Root node dump") {
				t.Fatalf("/big is not an htree directory:\n%.500s", out)
			}
			f, err := NewFS(bytes.NewReader(img), int64(len(img)))
			if err != nil {
				t.Fatal(err)
			}
			for p, want := range tr.files {
				got, err := fs.ReadFile(f, p)
				if err != nil {
					t.Fatalf("%s: %v", p, err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s: %d bytes differ from the %d written", p, len(got), len(want))
				}
			}
			got, err := fs.ReadFile(f, "sparse")
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tr.sparseContent()) {
				t.Errorf("sparse: %d bytes differ from the %d written", len(got), len(tr.sparseContent()))
			}
			big, err := fs.ReadDir(f, "data/big")
			if err != nil || len(big) != 600 {
				t.Fatalf("big: %d entries, %v; want 600", len(big), err)
			}
			if _, err := f.Open("data/root/.aws/nothing"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("missing file: %v, want ErrNotExist", err)
			}
			// fstest reads every file several ways: not the 70 MiB sparse one.
			var expect []string
			for p := range tr.files {
				if !strings.HasPrefix(p, "data/big/") {
					expect = append(expect, strings.TrimPrefix(p, "data/"))
				}
			}
			slices.Sort(expect)
			sub, err := fs.Sub(f, "data")
			if err != nil {
				t.Fatal(err)
			}
			if err := fstest.TestFS(sub, expect...); err != nil {
				// Its messages quote file contents: the first lines only.
				msg := err.Error()
				t.Errorf("%.2000s", msg)
			}
		})
	}
}

// The superblock checks refuse what would size a read or a loop wrongly.
func TestNewFSRefusesCorruptSuperblocks(t *testing.T) {
	img := mkfs(t, 8, tree{files: map[string][]byte{"a": []byte("a")}}, "-t", "ext4", "-b", "1024")
	if _, err := NewFS(bytes.NewReader(img), int64(len(img))); err != nil {
		t.Fatalf("intact image: %v", err)
	}
	put32 := func(off int, v uint32) func([]byte) {
		return func(b []byte) {
			b[1024+off], b[1024+off+1], b[1024+off+2], b[1024+off+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
		}
	}
	for name, c := range map[string]struct {
		patch func([]byte)
		want  error
	}{
		"magic":             {func(b []byte) { b[1024+0x38] = 0 }, ErrCorrupt},
		"block size":        {put32(0x18, 7), ErrCorrupt},
		"blocks count":      {put32(0x4, 0xfffffff0), ErrCorrupt},
		"blocks per group":  {put32(0x20, 0), ErrCorrupt},
		"inodes per group":  {put32(0x28, 1<<20), ErrCorrupt},
		"inodes count":      {put32(0x0, 0xffffffff), ErrCorrupt},
		"first data block":  {put32(0x14, 5), ErrCorrupt},
		"compression":       {put32(0x60, 0x1|0x2), ErrUnsupported},
		"inode size 100":    {func(b []byte) { b[1024+0x58], b[1024+0x59] = 100, 0 }, ErrCorrupt},
		"inode size 4096":   {func(b []byte) { b[1024+0x58], b[1024+0x59] = 0, 16 }, ErrCorrupt},
		"descriptor size 7": {func(b []byte) { put32(0x60, 0x2|0x80)(b); b[1024+0xFE], b[1024+0xFF] = 7, 0 }, ErrCorrupt},
	} {
		t.Run(name, func(t *testing.T) {
			b := slices.Clone(img)
			c.patch(b)
			if _, err := NewFS(bytes.NewReader(b), int64(len(b))); !errors.Is(err, c.want) {
				t.Errorf("err %v, want %v", err, c.want)
			}
		})
	}
	if _, err := NewFS(bytes.NewReader(img[:4096]), 4096); err == nil {
		t.Error("an image cut short of its block count: no error")
	}
}

// Symbolic links are reported as such and never followed: the deep scan
// reads a fixed set of paths, and a link could point it anywhere, or round
// in a loop.
func TestSymlinks(t *testing.T) {
	tr := tree{
		files:    map[string][]byte{"etc/shadow": []byte("x"), "home/ubuntu/.bashrc": nil},
		symlinks: map[string]string{"home/ubuntu/link": "/etc/shadow", "etc/dirlink": "/home", "long": strings.Repeat("/x", 100)},
	}
	img := mkfs(t, 8, tr, "-t", "ext4", "-b", "1024")
	f, err := NewFS(bytes.NewReader(img), int64(len(img)))
	if err != nil {
		t.Fatal(err)
	}
	for p := range tr.symlinks {
		info, err := fs.Stat(f, p)
		if err != nil || info.Mode().Type() != fs.ModeSymlink {
			t.Errorf("%s: %v, %v; want a symlink", p, info, err)
		}
	}
	entries, err := fs.ReadDir(f, "home/ubuntu")
	if err != nil || len(entries) != 2 || entries[1].Name() != "link" || entries[1].Type() != fs.ModeSymlink {
		t.Errorf("home/ubuntu: %v, %v; want .bashrc and the symlink link", entries, err)
	}
	if _, err := f.Open("etc/dirlink/ubuntu"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("through a symlink: %v, want ErrNotExist", err)
	}
	if _, err := fs.ReadFile(f, "home/ubuntu/link"); err == nil {
		t.Error("reading a symlink: no error")
	}
}

// Files whose blocks are not plain data are refused, not read as clean.
func TestUnreadableInodes(t *testing.T) {
	img := mkfs(t, 8, tree{files: map[string][]byte{"small": []byte("inline")}}, "-t", "ext4", "-b", "1024", "-O", "inline_data")
	if out := debugfs(t, img, "stat /small"); !strings.Contains(out, "Size of inline data") {
		t.Fatalf("/small is not inline:\n%s", out)
	}
	f, err := NewFS(bytes.NewReader(img), int64(len(img)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.ReadFile(f, "small"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("inline data: %v, want ErrUnsupported", err)
	}
}

// Corrupt metadata past the superblock ends reads with an error, never a
// loop: an extent node pointing at itself, a directory record length of 0.
func TestCorruptMetadata(t *testing.T) {
	img := mkfs(t, 8, tree{files: map[string][]byte{"d/f": bytes.Repeat([]byte("x"), 5000)}}, "-t", "ext4", "-b", "1024")
	f, err := NewFS(bytes.NewReader(img), int64(len(img)))
	if err != nil {
		t.Fatal(err)
	}
	dir, err := f.lookup("d")
	if err != nil {
		t.Fatal(err)
	}
	phys, _, err := f.mapBlock(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	b := slices.Clone(img)
	// The first entry ("."): record length 0.
	b[int64(phys)*1024+4], b[int64(phys)*1024+5] = 0, 0
	g, _ := NewFS(bytes.NewReader(b), int64(len(b)))
	if _, err := fs.ReadDir(g, "d"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("record length 0: %v, want ErrCorrupt", err)
	}

	// The file's first data block written over with an index node (depth
	// 1) pointing at itself, and the inode's root made an index node
	// (depth 2) pointing at that block.
	file, err := f.lookup("d/f")
	if err != nil {
		t.Fatal(err)
	}
	leaf, _, err := f.mapBlock(file, 0)
	if err != nil {
		t.Fatal(err)
	}
	b = slices.Clone(img)
	node := b[int64(leaf)*1024:]
	copy(node, []byte{0x0A, 0xF3, 1, 0, 84, 0, 1, 0, 0, 0, 0, 0}) // header: 1 entry, depth 1
	copy(node[12:], []byte{0, 0, 0, 0, byte(leaf), byte(leaf >> 8), byte(leaf >> 16), byte(leaf >> 24), 0, 0, 0, 0})
	// Point the inode's root at that block as an index node of depth 2.
	ino := inodeOffset(t, f, file.num)
	root := b[ino+0x28:]
	copy(root, []byte{0x0A, 0xF3, 1, 0, 4, 0, 2, 0, 0, 0, 0, 0})
	copy(root[12:], []byte{0, 0, 0, 0, byte(leaf), byte(leaf >> 8), byte(leaf >> 16), byte(leaf >> 24), 0, 0, 0, 0})
	g, _ = NewFS(bytes.NewReader(b), int64(len(b)))
	if _, err := fs.ReadFile(g, "d/f"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("extent loop: %v, want ErrCorrupt", err)
	}

	// A size of 2^50 bytes: reads past 2^32 blocks are corrupt, reads of
	// the hole before them are zeros.
	b = slices.Clone(img)
	b[ino+0x6C+2] = 4 // i_size_high
	g, _ = NewFS(bytes.NewReader(b), int64(len(b)))
	h, err := g.Open("d/f")
	if err != nil {
		t.Fatal(err)
	}
	p := make([]byte, 4096)
	if _, err := h.(io.ReaderAt).ReadAt(p, 1<<44); !errors.Is(err, ErrCorrupt) {
		t.Errorf("read at 2^44: %v, want ErrCorrupt", err)
	}
	if n, err := h.(io.ReaderAt).ReadAt(p, 1<<30); n != len(p) || err != nil || !bytes.Equal(p, make([]byte, len(p))) {
		t.Errorf("read in the hole at 2^30: %d, %v", n, err)
	}
}

func inodeOffset(t *testing.T, f *FS, num uint64) int64 {
	t.Helper()
	g, idx := (num-1)/f.inodesPerGroup, (num-1)%f.inodesPerGroup
	table, err := f.inodeTable(g)
	if err != nil {
		t.Fatal(err)
	}
	return int64(table)*f.blockSize + int64(idx)*f.inodeSize
}

type countingReader struct {
	r     io.ReaderAt
	bytes int
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	c.bytes += len(p)
	return c.r.ReadAt(p, off)
}

// A directory is parsed once however many lookups pass through it.
func TestDirectoryCache(t *testing.T) {
	files := map[string][]byte{}
	for i := range 300 {
		files[fmt.Sprintf("home/user%03d/.bashrc", i)] = []byte("x")
	}
	img := mkfs(t, 16, tree{files: files}, "-t", "ext4", "-b", "1024")
	c := &countingReader{r: bytes.NewReader(img)}
	f, err := NewFS(c, int64(len(img)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Stat(f, "home/user000/.bashrc"); err != nil {
		t.Fatal(err)
	}
	first := c.bytes
	if _, err := fs.Stat(f, "home/user001/.bashrc"); err != nil {
		t.Fatal(err)
	}
	// The second lookup reads user001's inode and directory and the
	// file's inode, not / and /home again (/home alone is several blocks).
	if again := c.bytes - first; again >= first/2 || again > 4*1024 {
		t.Errorf("second lookup read %d bytes, the first %d", again, first)
	}
}

func TestCheck(t *testing.T) {
	img := mkfs(t, 8, tree{files: map[string][]byte{"a": nil}}, "-t", "ext4", "-b", "2048")
	if !Check(bytes.NewReader(img)) {
		t.Error("an ext4 image: Check false")
	}
	if Check(bytes.NewReader(make([]byte, 4096))) || Check(io.LimitReader(bytes.NewReader(img), 1000)) {
		t.Error("zeros or a short read: Check true")
	}
}
