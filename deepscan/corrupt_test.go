package deepscan

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"os"
	"os/exec"
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
