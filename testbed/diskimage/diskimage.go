// Package diskimage builds small real disk images (ext4 or XFS, whole-disk or
// inside an MBR or GPT partition table) with Debian's e2fsprogs, xfsprogs and
// fdisk, and uploads them into the EBS direct APIs as snapshots, so that the
// deep scan is tested on the filesystems mkfs really writes and through the
// real SDK. It is test tooling: it runs external programs and writes files.
package diskimage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ebs"
	ebstypes "github.com/aws/aws-sdk-go-v2/service/ebs/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"golang.org/x/sync/errgroup"
)

// Filesystems.
const (
	Ext4 = "ext4"
	XFS  = "xfs"
)

// Partition tables.
const (
	WholeDisk = "none"
	MBR       = "dos"
	GPT       = "gpt"
)

// Spec describes one image.
type Spec struct {
	// FS is Ext4 or XFS.
	FS string
	// Table is WholeDisk, MBR or GPT.
	Table string
	// SizeMiB is the size of the disk (default 64; XFS needs at least 300).
	SizeMiB int64
	// BlockSize is the filesystem's block size in bytes (default 4096):
	// mkfs.ext4 takes 1024, 2048 or 4096 (it picks 1024 by itself below
	// 512 MiB, see mke2fs.conf(5), "small"); mkfs.xfs takes 1024 to 65536
	// with its default v5 (CRC) format, whose minimum is 1024.
	BlockSize int
	// MkfsArgs are more mkfs options, before the image's path: ["-m",
	// "crc=0"] makes XFS's older v4 format, the only one that takes 512-byte
	// blocks; ["-I", "128"] makes ext4's 128-byte inodes.
	MkfsArgs []string
	// Files maps absolute paths in the filesystem to their contents.
	Files map[string][]byte
}

// partitionStart is where the one partition begins: 1 MiB, as every
// partitioning tool aligns it.
const partitionStart = 1 << 20

// Tools reports which external programs a Spec needs and are missing.
func Tools(fsType, table string) error {
	need := []string{"mkfs.ext4"}
	if fsType == XFS {
		need = []string{"mkfs.xfs"}
	}
	if table != WholeDisk {
		need = append(need, "sfdisk")
	}
	var missing []string
	for _, t := range need {
		if _, err := exec.LookPath(t); err != nil {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %s: apt-get install -y e2fsprogs xfsprogs fdisk", strings.Join(missing, ", "))
	}
	return nil
}

// Build writes the image described by s into dir and returns its path.
func Build(dir string, s Spec) (string, error) {
	if err := Tools(s.FS, s.Table); err != nil {
		return "", err
	}
	if s.SizeMiB == 0 {
		s.SizeMiB = 64
	}
	if s.BlockSize == 0 {
		s.BlockSize = 4096
	}
	size := s.SizeMiB << 20
	fsSize := size
	if s.Table != WholeDisk {
		// Leave 1 MiB at the start and (for GPT's backup table) 1 MiB at the end.
		fsSize = size - 2*partitionStart
	}
	tree := filepath.Join(dir, "tree")
	if err := writeTree(tree, s.Files); err != nil {
		return "", err
	}
	fsPath := filepath.Join(dir, "fs.img")
	if err := truncate(fsPath, fsSize); err != nil {
		return "", err
	}
	switch s.FS {
	case Ext4:
		args := append([]string{"-q", "-F", "-b", strconv.Itoa(s.BlockSize), "-d", tree}, s.MkfsArgs...)
		if err := run("mkfs.ext4", append(args, fsPath)...); err != nil {
			return "", err
		}
	case XFS:
		proto := filepath.Join(dir, "proto")
		if err := os.WriteFile(proto, protofile(tree, s.Files), 0o600); err != nil {
			return "", err
		}
		args := append([]string{"-q", "-f", "-b", "size=" + strconv.Itoa(s.BlockSize), "-p", proto}, s.MkfsArgs...)
		if err := run("mkfs.xfs", append(args, fsPath)...); err != nil {
			return "", err
		}
	default:
		return "", fmt.Errorf("unknown filesystem %q", s.FS)
	}
	if s.Table == WholeDisk {
		return fsPath, nil
	}
	disk := filepath.Join(dir, "disk.img")
	if err := truncate(disk, size); err != nil {
		return "", err
	}
	typ := "83"
	if s.Table == GPT {
		typ = "0FC63DAF-8483-4772-8E79-3D69D8477DE4" // Linux filesystem data
	}
	script := fmt.Sprintf("label: %s\nstart=%d, size=%d, type=%s\n", s.Table, partitionStart/512, fsSize/512, typ)
	cmd := exec.Command("sfdisk", "-q", disk)
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("sfdisk: %w: %s", err, out)
	}
	if err := copyAt(disk, fsPath, partitionStart); err != nil {
		return "", err
	}
	return disk, os.Remove(fsPath)
}

func writeTree(root string, files map[string][]byte) error {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return err
	}
	for p, data := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, data, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// protofile describes tree to mkfs.xfs -p (see mkfs.xfs(8), "protofile"):
// a boot image line, block and inode counts, then the root directory and its
// entries, nested, each directory closed by "$".
func protofile(tree string, files map[string][]byte) []byte {
	type node struct {
		dirs  map[string]*node
		files map[string]string
	}
	newNode := func() *node { return &node{dirs: map[string]*node{}, files: map[string]string{}} }
	root := newNode()
	for p := range files {
		parts := strings.Split(strings.Trim(p, "/"), "/")
		n := root
		for _, d := range parts[:len(parts)-1] {
			if n.dirs[d] == nil {
				n.dirs[d] = newNode()
			}
			n = n.dirs[d]
		}
		n.files[parts[len(parts)-1]] = filepath.Join(tree, filepath.FromSlash(p))
	}
	var b bytes.Buffer
	b.WriteString("/dev/null\n0 0\nd--755 0 0\n")
	var walk func(n *node, depth int)
	walk = func(n *node, depth int) {
		indent := strings.Repeat(" ", depth)
		for _, name := range sortedNames(n.files) {
			fmt.Fprintf(&b, "%s%s ---600 0 0 %s\n", indent, name, n.files[name])
		}
		for _, name := range sortedNames(n.dirs) {
			fmt.Fprintf(&b, "%s%s d--755 0 0\n", indent, name)
			walk(n.dirs[name], depth+1)
		}
		fmt.Fprintf(&b, "%s$\n", indent)
	}
	walk(root, 1)
	return b.Bytes()
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func truncate(path string, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func run(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, out)
	}
	return nil
}

// copyAt copies src into dst at offset, skipping zero blocks so that the
// result stays sparse.
func copyAt(dst, src string, offset int64) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	buf := make([]byte, 1<<20)
	for pos := int64(0); ; pos += int64(len(buf)) {
		n, err := io.ReadFull(in, buf)
		if n > 0 && !zero(buf[:n]) {
			if _, werr := out.WriteAt(buf[:n], offset+pos); werr != nil {
				out.Close()
				return werr
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			out.Close()
			return err
		}
	}
	return out.Close()
}

func zero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// BlockSize is the EBS direct APIs' block size.
const BlockSize = 512 << 10

// Upload writes the image at path into a new EBS snapshot through the EBS
// direct APIs and returns the snapshot ID and the number of blocks written.
// All-zero blocks are not written: they read back as zeros, as on AWS.
func Upload(ctx context.Context, c *ebs.Client, path, description string) (string, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return "", 0, err
	}
	gib := max(1, (info.Size()+(1<<30)-1)>>30)
	start, err := c.StartSnapshot(ctx, &ebs.StartSnapshotInput{VolumeSize: aws.Int64(gib), Description: aws.String(description)})
	if err != nil {
		return "", 0, fmt.Errorf("start snapshot: %w", err)
	}
	id := aws.ToString(start.SnapshotId)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	written := 0
	for idx := int64(0); idx*BlockSize < info.Size(); idx++ {
		buf := make([]byte, BlockSize)
		n, err := f.ReadAt(buf, idx*BlockSize)
		if err != nil && !errors.Is(err, io.EOF) {
			return "", 0, err
		}
		if n == 0 || zero(buf[:n]) {
			continue
		}
		written++
		g.Go(func() error {
			sum := sha256.Sum256(buf)
			_, err := c.PutSnapshotBlock(gctx, &ebs.PutSnapshotBlockInput{
				SnapshotId:        aws.String(id),
				BlockIndex:        aws.Int32(int32(idx)),
				BlockData:         bytes.NewReader(buf),
				DataLength:        aws.Int32(BlockSize),
				Checksum:          aws.String(base64.StdEncoding.EncodeToString(sum[:])),
				ChecksumAlgorithm: ebstypes.ChecksumAlgorithmChecksumAlgorithmSha256,
			})
			if err != nil {
				return fmt.Errorf("put block %d: %w", idx, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return "", 0, err
	}
	if _, err := c.CompleteSnapshot(ctx, &ebs.CompleteSnapshotInput{SnapshotId: aws.String(id), ChangedBlocksCount: aws.Int32(int32(written))}); err != nil {
		return "", 0, fmt.Errorf("complete snapshot: %w", err)
	}
	return id, written, nil
}

// Register makes an AMI of snapshotID as its root volume (moto honours the
// mappings only with the test bed's launcher) and returns its ID.
func Register(ctx context.Context, c *ec2.Client, name, snapshotID string) (string, error) {
	out, err := c.RegisterImage(ctx, &ec2.RegisterImageInput{
		Name:           aws.String(name),
		RootDeviceName: aws.String("/dev/xvda"),
		BlockDeviceMappings: []ec2types.BlockDeviceMapping{
			{DeviceName: aws.String("/dev/xvda"), Ebs: &ec2types.EbsBlockDevice{SnapshotId: aws.String(snapshotID)}},
		},
		Architecture:       ec2types.ArchitectureValuesX8664,
		VirtualizationType: aws.String("hvm"),
	})
	if err != nil {
		return "", fmt.Errorf("register image: %w", err)
	}
	return aws.ToString(out.ImageId), nil
}
