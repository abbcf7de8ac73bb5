package deepscan

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/amiaudit/amiaudit/testbed/diskimage"
)

func readAll(t testing.TB, f *os.File) []byte {
	t.Helper()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// scanBytes scans an in-memory image and fails the test on a hang.
func scanBytes(t testing.TB, img []byte) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := ScanDisk(ctx, bytes.NewReader(img), int64(len(img)), "snap-x", Options{})
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("scan hung")
		return nil
	}
}

func TestScanDiskCorruptImagesEndWithError(t *testing.T) {
	f := build(t, diskimage.Spec{FS: diskimage.Ext4, Table: diskimage.GPT, Files: diskimage.Planted()})
	img := readAll(t, f)
	const part = 1 << 20 // the partition's start
	mutate := func(fn func(b []byte) []byte) []byte { return fn(append([]byte{}, img...)) }
	cases := map[string][]byte{
		"empty":              {},
		"zeros":              make([]byte, 4<<20),
		"truncated in table": img[:700],
		"truncated in fs":    img[:part+200<<10],
		"bad superblock magic": mutate(func(b []byte) []byte {
			b[part+1024+56], b[part+1024+57] = 0, 0
			return b
		}),
		"superblock counts lie": mutate(func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[part+1024+4:], 0xfffffff0) // blocks count
			return b
		}),
		"partition beyond the disk": mutate(func(b []byte) []byte {
			// GPT entry 0's first LBA (entries at LBA 2, first LBA at +32).
			binary.LittleEndian.PutUint64(b[2*512+32:], 1<<40)
			return b
		}),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			if err := scanBytes(t, data); err == nil {
				t.Error("no error")
			} else {
				t.Log(err)
			}
		})
	}
}

// A directory hard-linked into itself (debugfs can make what the kernel
// refuses) must not send the walk around the loop.
func TestScanDiskDirectoryLoop(t *testing.T) {
	if _, err := exec.LookPath("debugfs"); err != nil {
		t.Fatal("debugfs (e2fsprogs) is missing")
	}
	p, err := diskimage.Build(t.TempDir(), diskimage.Spec{FS: diskimage.Ext4, Table: diskimage.WholeDisk, Files: diskimage.Planted()})
	if err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"link /home/ubuntu /home/ubuntu/.ssh/loop", "link /home /home/ubuntu/home", "link / /opt/app/root"} {
		if out, err := exec.Command("debugfs", "-w", "-R", cmd, p).CombinedOutput(); err != nil {
			t.Fatalf("debugfs %s: %v: %s", cmd, err, out)
		}
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := scanBytes(t, data); err != nil {
		t.Fatal(err)
	}
}

// The fuzzer's stall: go-xfs-filesystem parses sb_agcount allocation groups
// sb_agblocks blocks apart, so with agblocks 0 and agcount 2^32-1 it parses
// the first group again and again from the same cached bytes, reading
// nothing new and never reaching the end of the device. The superblock check
// refuses it before the parser starts; the read budget and the deadline stop
// whatever a check misses. testdata/fuzz/FuzzScanDisk keeps the input.
func TestScanDiskXFSAllocationGroupLoop(t *testing.T) {
	img := xfsWholeDisk(t)
	binary.BigEndian.PutUint32(img[84:], 0)          // sb_agblocks
	binary.BigEndian.PutUint32(img[88:], 0xffffffff) // sb_agcount
	start := time.Now()
	err := scanBytes(t, img)
	if err == nil || !strings.Contains(err.Error(), "allocation groups") {
		t.Errorf("err %v, want the superblock check's", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v", took)
	}
}

// Past the superblock check, the budget alone stops a parser that reads the
// same cached bytes in a loop.
func TestDeviceReadBudget(t *testing.T) {
	d := newDevice(context.Background(), bytes.NewReader(make([]byte, 4096)), 4096, 10000)
	p := make([]byte, 4096)
	var err error
	for i := 0; i < 10 && err == nil; i++ {
		_, err = d.ReadAt(p, 0)
	}
	if !errors.Is(err, ErrReadBudget) {
		t.Errorf("err %v, want ErrReadBudget", err)
	}
	d = newDevice(context.Background(), bytes.NewReader(make([]byte, 8192)), 4096, 1<<20)
	if n, err := d.ReadAt(p, 2048); n != 2048 || err != io.EOF {
		t.Errorf("read across the device's end: %d, %v; want 2048, EOF", n, err)
	}
	if _, err := d.ReadAt(p, 4096); err != io.EOF {
		t.Errorf("read past the device's end: %v; want EOF", err)
	}
}

// xfsWholeDisk is the first MiB of a whole-disk XFS image, zeros after.
func xfsWholeDisk(t *testing.T) []byte {
	f := build(t, diskimage.Spec{FS: diskimage.XFS, Table: diskimage.WholeDisk, SizeMiB: 320, Files: diskimage.Clean()})
	img := make([]byte, 320<<20)
	if _, err := f.ReadAt(img[:1<<20], 0); err != nil {
		t.Fatal(err)
	}
	return img
}
