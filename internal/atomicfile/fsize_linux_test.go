package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// limitFileSize makes every write past n bytes fail with EFBIG, as a full
// disk fails a write halfway (Go ignores SIGXFSZ, so the write returns the
// error). The limit is the process's: these tests do not run in parallel.
func limitFileSize(t *testing.T, n uint64) {
	t.Helper()
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Skip("getrlimit:", err)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: n, Max: old.Max}); err != nil {
		t.Skip("setrlimit:", err)
	}
	t.Cleanup(func() {
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
			t.Errorf("restore RLIMIT_FSIZE: %v", err)
		}
	})
}

// TestWriteFileDiskFullMidWrite: the disk fails after part of the new content
// is on it; the error says so, the old file is intact and no temporary file
// is left beside it.
func TestWriteFileDiskFullMidWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "snapshot.json")
	if err := os.WriteFile(path, []byte("last night's snapshot"), 0o644); err != nil {
		t.Fatal(err)
	}
	limitFileSize(t, 64<<10)
	err := WriteFile(path, func(w io.Writer) error {
		_, err := w.Write(make([]byte, 1<<20))
		return err
	})
	if !errors.Is(err, syscall.EFBIG) {
		t.Fatalf("error %v, want the write's EFBIG", err)
	}
	keptOld(t, path, "last night's snapshot")
}

// TestWriteNewDiskFullMidWrite: a new file that cannot be written whole is
// not left half written under its name.
func TestWriteNewDiskFullMidWrite(t *testing.T) {
	dir := t.TempDir()
	limitFileSize(t, 64<<10)
	err := WriteNew(filepath.Join(dir, "audit.key"), make([]byte, 1<<20), 0o600)
	if !errors.Is(err, syscall.EFBIG) {
		t.Fatalf("error %v, want EFBIG", err)
	}
	onlyEntries(t, dir)
}

// TestWriteDirDiskFullMidWrite: a directory whose second file cannot be
// written leaves neither the directory nor its temporary twin.
func TestWriteDirDiskFullMidWrite(t *testing.T) {
	parent := t.TempDir()
	limitFileSize(t, 64<<10)
	err := WriteDir(filepath.Join(parent, "bundle"), map[string][]byte{
		"a.json":     []byte("{}"),
		"b/big.json": make([]byte, 1<<20),
	})
	if !errors.Is(err, syscall.EFBIG) {
		t.Fatalf("error %v, want EFBIG", err)
	}
	onlyEntries(t, parent)
}
