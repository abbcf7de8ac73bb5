package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := io.WriteString(w, s)
		return err
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// onlyEntries fails if dir holds anything but names: no temporary file may
// survive a write, failed or not.
func onlyEntries(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if len(got) != len(names) {
		t.Fatalf("directory holds %v, want %v", got, names)
	}
	for i := range names {
		if got[i] != names[i] {
			t.Fatalf("directory holds %v, want %v", got, names)
		}
	}
}

// keptOld fails unless path still holds old, and nothing but it is in its
// directory: a failed write changed nothing and left no temporary file.
func keptOld(t *testing.T, path, old string) {
	t.Helper()
	if got := readFile(t, path); got != old {
		t.Errorf("old file changed to %d bytes", len(got))
	}
	onlyEntries(t, filepath.Dir(path), filepath.Base(path))
}

func TestWriteFileNewFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.json")
	if err := WriteFile(path, writeString("{}\n")); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != "{}\n" {
		t.Errorf("content %q", got)
	}
	if runtime.GOOS != "windows" {
		fi, _ := os.Stat(path)
		if fi.Mode().Perm() != 0o644 {
			t.Errorf("mode %v, want 0644", fi.Mode().Perm())
		}
	}
	onlyEntries(t, dir, "report.json")
}

func TestWriteFileReplaceKeepsMode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.sarif")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, writeString("new")); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != "new" {
		t.Errorf("content %q", got)
	}
	if runtime.GOOS != "windows" {
		fi, _ := os.Stat(path)
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("mode %v, want the old file's 0600", fi.Mode().Perm())
		}
	}
	onlyEntries(t, dir, "report.sarif")
}

func TestWriteFileErrorKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.json")
	if err := os.WriteFile(path, []byte("good report"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("policy error")
	err := WriteFile(path, func(w io.Writer) error {
		// Enough to spill out of any buffer onto disk before failing.
		if _, err := w.Write(make([]byte, 1<<20)); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want the write function's error", err)
	}
	keptOld(t, path, "good report")
}

func TestWriteFileErrorCreatesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.json")
	if err := WriteFile(path, func(io.Writer) error { return errors.New("no") }); err == nil {
		t.Fatal("want an error")
	}
	onlyEntries(t, dir)
}

func TestWriteFileBadPaths(t *testing.T) {
	dir := t.TempDir()
	if err := WriteFile(filepath.Join(dir, "missing", "report.json"), writeString("x")); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
	if err := WriteFile(dir, writeString("x")); err == nil {
		t.Error("writing over a directory succeeded")
	}
	onlyEntries(t, dir)
}

func TestWriteFileFollowsSymlink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	dir := t.TempDir()
	target := filepath.Join(dir, "real.json")
	link := filepath.Join(dir, "link.json")
	if err := os.WriteFile(target, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real.json", link); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(link, writeString("new")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced by a file")
	}
	if got := readFile(t, target); got != "new" {
		t.Errorf("target content %q", got)
	}
	onlyEntries(t, dir, "link.json", "real.json")
}

func TestWriteFileDevice(t *testing.T) {
	if _, err := os.Stat(os.DevNull); err != nil || runtime.GOOS == "windows" {
		t.Skip("no", os.DevNull)
	}
	// Replacing /dev/null by a rename would need root and break the system;
	// a device is written in place.
	if err := WriteFile(os.DevNull, writeString("x")); err != nil {
		t.Fatal(err)
	}
}

func TestWriteNew(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.key")
	if err := WriteNew(path, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != "secret" {
		t.Errorf("content %q", got)
	}
	if runtime.GOOS != "windows" {
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
			t.Errorf("mode %v, want 0600", fi.Mode().Perm())
		}
	}
	err := WriteNew(path, []byte("other"), 0o600)
	if !errors.Is(err, fs.ErrExist) {
		t.Errorf("second WriteNew: %v, want fs.ErrExist", err)
	}
	if got := readFile(t, path); got != "secret" {
		t.Errorf("existing file overwritten: %q", got)
	}
	onlyEntries(t, dir, "audit.key")
}

func TestWriteDir(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "bundle")
	files := map[string][]byte{"manifest.json": []byte("{}"), "policies/user/1/a.rego": []byte("package a")}
	if err := WriteDir(dir, files); err != nil {
		t.Fatal(err)
	}
	for p, want := range files {
		if got := readFile(t, filepath.Join(dir, filepath.FromSlash(p))); got != string(want) {
			t.Errorf("%s: %q, want %q", p, got, want)
		}
	}
	if runtime.GOOS != "windows" {
		if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o755 {
			t.Errorf("directory mode %v, want 0755", fi.Mode().Perm())
		}
	}
	onlyEntries(t, parent, "bundle")

	// Never over something.
	if err := WriteDir(dir, map[string][]byte{"x": nil}); !errors.Is(err, ErrNotEmpty) {
		t.Errorf("WriteDir over a full directory: %v, want ErrNotEmpty", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "x")); err == nil {
		t.Error("WriteDir wrote into an existing directory")
	}
	onlyEntries(t, parent, "bundle")

	// An empty directory is taken.
	empty := filepath.Join(parent, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteDir(empty, map[string][]byte{"x": []byte("y")}); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(empty, "x")); got != "y" {
		t.Errorf("x = %q", got)
	}
	// A file is not a directory to write.
	if err := WriteDir(filepath.Join(dir, "manifest.json"), map[string][]byte{"x": nil}); !errors.Is(err, ErrNotEmpty) {
		t.Errorf("WriteDir over a file: %v, want ErrNotEmpty", err)
	}
}

func TestWriteDirBadPathLeavesNothing(t *testing.T) {
	parent := t.TempDir()
	for _, p := range []string{"../escape", "/abs", "a/../../b", "."} {
		if err := WriteDir(filepath.Join(parent, "bundle"), map[string][]byte{"ok": nil, p: []byte("x")}); err == nil {
			t.Errorf("path %q accepted", p)
		}
		onlyEntries(t, parent)
	}
}

func TestCheckNewDir(t *testing.T) {
	parent := t.TempDir()
	if err := CheckNewDir(filepath.Join(parent, "new")); err != nil {
		t.Errorf("missing directory: %v", err)
	}
	if err := CheckNewDir(parent); err != nil {
		t.Errorf("empty directory: %v", err)
	}
	if err := os.WriteFile(filepath.Join(parent, "f"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckNewDir(parent); !errors.Is(err, ErrNotEmpty) {
		t.Errorf("directory with a file: %v, want ErrNotEmpty", err)
	}
	if err := CheckNewDir(filepath.Join(parent, "f")); !errors.Is(err, ErrNotEmpty) {
		t.Errorf("a file: %v, want ErrNotEmpty", err)
	}
}

// TestWriteDirErrorsSayWhatWasBeingDone: every error of WriteDir names the
// directory and the step that failed, and wraps the cause.
func TestWriteDirErrorsSayWhatWasBeingDone(t *testing.T) {
	parent := t.TempDir()
	file := filepath.Join(parent, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	full := filepath.Join(parent, "full")
	if err := os.MkdirAll(filepath.Join(full, "old"), 0o755); err != nil {
		t.Fatal(err)
	}
	under := filepath.Join(file, "sub", "bundle") // its parent cannot be created: file is a file
	for _, c := range []struct {
		name, dir string
		files     map[string][]byte
		want      string
		is        error
	}{
		{"under a file", under, map[string][]byte{"a": nil}, "write directory " + under + ": ", syscall.ENOTDIR},
		{"bad path", filepath.Join(parent, "b1"), map[string][]byte{"../x": nil}, "write directory " + filepath.Join(parent, "b1") + ": ../x: not a relative slash-separated path", nil},
		{"file under a file", filepath.Join(parent, "b2"), map[string][]byte{"a": nil, "a/b": nil}, "write directory " + filepath.Join(parent, "b2") + ": create the directory of a/b: ", nil},
		{"not empty", full, map[string][]byte{"a": nil}, "write directory " + full + ": exists and is not empty", ErrNotEmpty},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := WriteDir(c.dir, c.files)
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Errorf("err = %v, want it to start %q", err, c.want)
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("err = %v does not wrap %v", err, c.is)
			}
		})
	}
}

// TestWriteNewNothingUnderTheNameUntilComplete: while the content is being
// written (where a crash could stop it), nothing exists under the name; an
// error leaves neither the name nor a temporary file.
func TestWriteNewNothingUnderTheNameUntilComplete(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.key")
	failed := errors.New("the disk is gone")
	err := writeNew(path, 0o600, func(w io.Writer) error {
		if _, err := w.Write([]byte("half a ke")); err != nil {
			return err
		}
		if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("while writing, %s exists (%v): a crash now would leave half a key", path, err)
		}
		return failed
	})
	if !errors.Is(err, failed) {
		t.Errorf("err = %v, want the write's", err)
	}
	onlyEntries(t, dir)
}

// TestWriteNewNeverReplacesAFileThatAppears: a file created under the name
// while WriteNew writes is kept, and WriteNew says the name exists.
func TestWriteNewNeverReplacesAFileThatAppears(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.key")
	err := writeNew(path, 0o600, func(w io.Writer) error {
		if err := os.WriteFile(path, []byte("someone else's"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := w.Write([]byte("ours"))
		return err
	})
	if !errors.Is(err, fs.ErrExist) || !strings.HasPrefix(err.Error(), "write "+path+": ") {
		t.Errorf("err = %v, want fs.ErrExist naming %s", err, path)
	}
	if got := readFile(t, path); got != "someone else's" {
		t.Errorf("the file that appeared was replaced: %q", got)
	}
	onlyEntries(t, dir, "audit.key")
}
