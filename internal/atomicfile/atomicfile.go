// Package atomicfile writes the files amiaudit hands to people and pipelines
// (reports, snapshot documents, evidence bundles, keys) so that a reader
// never sees half of one: content goes to a temporary name in the same
// directory, is synced, and is renamed into place only when it is complete;
// on any error the temporary is removed and what was there stays untouched.
// The directory is synced after the rename, so that the new name survives a
// crash too.
//
// Every file amiaudit and its tools write for a reader goes through this
// package. The only other calls that write a file by name write scratch files
// into temporary directories (the demo's configuration, the test bed's
// launcher and disk images); TestOnlyWriter keeps it so.
package atomicfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
)

// WriteFile writes a file so that readers see either the old content or the
// complete new one, never a partial file: write fills a temporary file in the
// same directory, which is synced and renamed over path only if write
// succeeds. On any error the temporary file is removed and an existing file is
// left untouched. The new file keeps the old one's permissions, or gets 0644.
//
// A path that names a symbolic link writes the link's target, and one that
// names a device or pipe (/dev/stdout) is written directly, since neither can
// be replaced by a rename.
func WriteFile(path string, write func(io.Writer) error) error {
	target, mode, special, err := resolveTarget(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if special {
		return writeSpecial(target, write)
	}

	dir, base := filepath.Split(target)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()

	bw := bufio.NewWriter(tmp)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: sync: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	committed = true
	SyncDir(dir)
	return nil
}

// resolveTarget follows symbolic links and reports the mode to give the file
// and whether it must be written in place.
func resolveTarget(path string) (target string, mode fs.FileMode, special bool, err error) {
	target = path
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		if target, err = filepath.EvalSymlinks(path); err != nil {
			return "", 0, false, err
		}
	}
	fi, err := os.Stat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return target, 0o644, false, nil
	case err != nil:
		return "", 0, false, err
	case fi.IsDir():
		return "", 0, false, errors.New("is a directory")
	case !fi.Mode().IsRegular():
		return target, 0, true, nil
	}
	return target, fi.Mode().Perm(), false, nil
}

func writeSpecial(path string, write func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	bw := bufio.NewWriter(f)
	if err := write(bw); err != nil {
		_ = f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		_ = f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// WriteNew creates a file that must not exist yet (fs.ErrExist otherwise)
// with data and the given permissions, atomically: data is written and synced
// under a temporary name in the same directory, which is then hard-linked to
// name (link(2) fails when name exists, so nothing is ever replaced, even by a
// file that appears meanwhile) and removed; the directory is synced. Until the
// link, name does not exist, so a crash leaves no partial file under it; on
// any error the temporary file is removed. It is for files that are never
// replaced, such as keys. A file system without hard links cannot take such
// files.
func WriteNew(name string, data []byte, mode fs.FileMode) error {
	return writeNew(name, mode, func(w io.Writer) error {
		_, err := io.Copy(w, bytes.NewReader(data))
		return err
	})
}

// writeNew is WriteNew with the writing of the content given as write (the
// tests write through it to stop or race a write midway).
func writeNew(name string, mode fs.FileMode, write func(io.Writer) error) error {
	fail := func(err error) error { return fmt.Errorf("write %s: %w", name, err) }
	// Checked first so as not to write what cannot be kept; link checks again.
	if _, err := os.Lstat(name); err == nil {
		return fail(fs.ErrExist)
	}
	dir, base := filepath.Split(name)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fail(err)
	}
	defer func() {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
	}()
	if err := write(tmp); err != nil {
		return fail(err)
	}
	if err := tmp.Chmod(mode); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(fmt.Errorf("sync: %w", err))
	}
	if err := tmp.Close(); err != nil {
		return fail(err)
	}
	if err := os.Link(tmp.Name(), name); err != nil {
		var le *os.LinkError
		if errors.As(err, &le) {
			err = le.Err // the temporary's name says nothing to the reader
		}
		if errors.Is(err, fs.ErrExist) {
			return fail(fs.ErrExist)
		}
		return fail(fmt.Errorf("link into place: %w", err))
	}
	_ = os.Remove(tmp.Name()) // before the sync, so that it does not come back
	SyncDir(dir)
	return nil
}

// ErrNotEmpty is returned by CheckNewDir and WriteDir for a directory that
// already holds something (or a path that is not a directory): WriteDir never
// replaces content.
var ErrNotEmpty = errors.New("exists and is not empty")

// CheckNewDir reports whether WriteDir can create dir: nil when dir does not
// exist or is an empty directory, an error wrapping ErrNotEmpty when it holds
// something or is not a directory.
func CheckNewDir(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case !fi.IsDir():
		return ErrNotEmpty
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		return ErrNotEmpty
	}
	return nil
}

// WriteDir writes a new directory of files, atomically: files (slash-separated
// paths relative to dir, to their content) are written and synced in a
// temporary directory beside dir, which is renamed into place once complete,
// so dir either does not exist or holds every file. dir must not exist or be
// empty (CheckNewDir), and is checked again just before the rename. The
// directory and its subdirectories get 0755, the files 0644. On any error the
// temporary directory is removed.
func WriteDir(dir string, files map[string][]byte) error {
	dir = filepath.Clean(dir)
	fail := func(doing string, err error) error {
		if doing == "" {
			return fmt.Errorf("write directory %s: %w", dir, err)
		}
		return fmt.Errorf("write directory %s: %s: %w", dir, doing, err)
	}
	if err := CheckNewDir(dir); err != nil {
		return fail("", err)
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fail("create its parent", err)
	}
	tmp, err := os.MkdirTemp(parent, filepath.Base(dir)+".tmp-")
	if err != nil {
		return fail("create the temporary directory", err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = os.RemoveAll(tmp)
		}
	}()
	// Nothing else writes in the private temporary directory, which is renamed
	// into place only when complete: each file is created, written and synced
	// in place, and every directory under tmp, each subdirectory's entry in
	// its parent included, is synced once at the end.
	dirs := map[string]bool{tmp: true}
	for _, p := range slices.Sorted(maps.Keys(files)) {
		if !fs.ValidPath(p) || p == "." {
			return fail(p, errors.New("not a relative slash-separated path"))
		}
		full := filepath.Join(tmp, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return fail("create the directory of "+p, err)
		}
		for d := filepath.Dir(full); d != tmp; d = filepath.Dir(d) {
			dirs[d] = true
		}
		if err := createSynced(full, files[p]); err != nil {
			return fail(p, err)
		}
	}
	for d := range dirs {
		SyncDir(d)
	}
	// MkdirTemp makes the directory private; the result is as readable as a file.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fail("make the temporary directory readable", err)
	}
	if err := CheckNewDir(dir); err != nil {
		return fail("", err)
	}
	// rename(2) replaces an empty directory on POSIX systems but not elsewhere.
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		if err := os.Remove(dir); err != nil {
			return fail("remove the empty directory it replaces", err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fail("rename the temporary directory into place", err)
	}
	committed = true
	SyncDir(parent)
	return nil
}

// createSynced creates name, which must not exist, with data and mode 0644
// (whatever the umask, as WriteFile's files) and syncs it.
func createSynced(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		_ = f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return fmt.Errorf("sync: %w", err)
	}
	return f.Close()
}

// SyncDir makes renames and new entries in dir durable. It is best effort:
// some systems (Windows among them) cannot open or sync a directory, and the
// files' content is already safe by then.
func SyncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
