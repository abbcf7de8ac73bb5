package report

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFileAtomic writes a file so that readers see either the old content or
// the complete new one, never a partial report: write fills a temporary file
// in the same directory, which is synced and renamed over path only if write
// succeeds. On any error the temporary file is removed and an existing file is
// left untouched. The new file keeps the old one's permissions, or gets 0644.
//
// A path that names a symbolic link writes the link's target, and one that
// names a device or pipe (/dev/stdout) is written directly, since neither can
// be replaced by a rename.
func WriteFileAtomic(path string, write func(io.Writer) error) error {
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
	syncDir(dir)
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

// syncDir makes the rename itself durable. It is best effort: some systems
// (Windows among them) cannot open or sync a directory, and the file's content
// is already safe by then.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
