package deepscan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/amiaudit/amiaudit/secrets"
	"github.com/amiaudit/amiaudit/snapshot"
)

// Where credentials are left behind on Linux images, relative to a home
// directory (/root and each /home/*).
var homeFiles = []string{
	".aws/credentials",
	".aws/config",
	".bash_history",
	".zsh_history",
	".docker/config.json",
	".git-credentials",
	".netrc",
	".pgpass",
	".env",
}

// appDirs are the parents of application directories whose .env files hold
// database passwords and API keys (/opt/app/.env, /var/www/site/.env); each
// one's own .env is read too.
var appDirs = []string{"/opt", "/srv", "/var/www"}

// Detector IDs of the findings this package makes itself rather than through
// the secrets package's text detectors.
const (
	// DetectorAuthorizedKeys: a non-empty authorized_keys file. Not a secret,
	// but whoever holds the matching private key can log in to every instance
	// launched from a shared image.
	DetectorAuthorizedKeys = "ssh-authorized-keys"
)

// walker reads the target files of one filesystem.
type walker struct {
	ctx        context.Context
	fsys       fs.FS
	opts       Options
	snapshotID string
	partition  string

	files    int
	findings []snapshot.DeepScanFinding
	// err is the first failure of a directory listing; the walk stops there.
	err error
}

// walk visits a fixed set of paths at a fixed depth: it never recurses, so
// a directory loop in a corrupt image cannot make it run forever, and
// MaxFiles bounds it on huge directories.
func (w *walker) walk() error {
	homes := []string{"/root"}
	for _, e := range w.readDir("/home") {
		if e.IsDir() {
			homes = append(homes, path.Join("/home", e.Name()))
		}
	}
	for _, home := range homes {
		for _, f := range homeFiles {
			if err := w.scan(path.Join(home, f), secrets.DetectBytes); err != nil {
				return err
			}
		}
		for _, e := range w.readDir(path.Join(home, ".ssh")) {
			name := e.Name()
			p := path.Join(home, ".ssh", name)
			var err error
			switch {
			case e.IsDir():
			case strings.HasPrefix(name, "id_") && !strings.HasSuffix(name, ".pub"):
				err = w.scan(p, secrets.DetectBytes)
			case name == "authorized_keys" || name == "authorized_keys2":
				err = w.scan(p, authorizedKeys)
			}
			if err != nil {
				return err
			}
		}
	}
	if err := w.scan("/etc/shadow", secrets.ShadowUnlocked); err != nil {
		return err
	}
	// /var/lib/cloud/instance is a symlink to instances/<instance ID>, which
	// the filesystem readers do not follow: read every instance's copy.
	for _, e := range w.readDir("/var/lib/cloud/instances") {
		if e.IsDir() {
			if err := w.scan(path.Join("/var/lib/cloud/instances", e.Name(), "user-data.txt"), secrets.DetectBytes); err != nil {
				return err
			}
		}
	}
	var envDirs []string
	for _, d := range appDirs {
		envDirs = append(envDirs, d)
		for _, e := range w.readDir(d) {
			if e.IsDir() {
				envDirs = append(envDirs, path.Join(d, e.Name()))
			}
		}
	}
	for _, home := range homes[1:] {
		for _, e := range w.readDir(home) {
			if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
				envDirs = append(envDirs, path.Join(home, e.Name()))
			}
		}
	}
	for _, d := range envDirs {
		if err := w.scan(path.Join(d, ".env"), secrets.DetectBytes); err != nil {
			return err
		}
	}
	return w.err
}

// readDir lists a directory; one that does not exist is empty. Any other
// failure (a corrupt or truncated image, the reader's errors) is kept in
// w.err: a walk that could not look must not read as clean.
func (w *walker) readDir(dir string) []fs.DirEntry {
	if w.err != nil {
		return nil
	}
	if err := w.ctx.Err(); err != nil {
		w.err = err
		return nil
	}
	entries, err := fs.ReadDir(w.fsys, strings.TrimPrefix(dir, "/"))
	if err != nil {
		if !absent(err) {
			w.err = fmt.Errorf("list %s: %w", dir, err)
		}
		return nil
	}
	if len(entries) > w.opts.MaxFiles {
		entries = entries[:w.opts.MaxFiles]
	}
	return entries
}

// scan reads the start of one file and records what detect finds in it.
// A file that is absent, a directory or a symlink is skipped; any other
// failure (a corrupt image, a checksum mismatch, the byte budget, a deadline)
// ends the walk.
func (w *walker) scan(p string, detect func([]byte) []secrets.Hit) error {
	if w.err != nil {
		return w.err
	}
	if err := w.ctx.Err(); err != nil {
		return err
	}
	if w.files >= w.opts.MaxFiles {
		return nil
	}
	f, err := w.fsys.Open(strings.TrimPrefix(p, "/"))
	if err != nil {
		if absent(err) {
			return nil
		}
		return fmt.Errorf("open %s: %w", p, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() && info.Mode().Type() != 0 {
		return nil
	}
	w.files++
	data, err := io.ReadAll(io.LimitReader(f, w.opts.MaxFileBytes))
	if err != nil {
		return fmt.Errorf("read %s: %w", p, err)
	}
	for _, h := range detect(data) {
		w.findings = append(w.findings, snapshot.DeepScanFinding{
			SnapshotID:  w.snapshotID,
			Partition:   w.partition,
			Path:        p,
			Detector:    h.Detector,
			Description: h.Description,
			Redacted:    h.Redacted,
			Line:        h.Line,
		})
	}
	return nil
}

// absent tells a path that is simply not there (or one through a symlink,
// which the readers do not follow) from a failure to read.
func absent(err error) bool {
	return errors.Is(err, fs.ErrNotExist)
}

// authorizedKeys reports a non-empty authorized_keys file once, at its first
// key line; the redacted form identifies the key.
func authorizedKeys(data []byte) []secrets.Hit {
	for i, line := range bytes.Split(data, []byte("\n")) {
		l := strings.TrimSpace(string(line))
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		return []secrets.Hit{{
			Detector:    DetectorAuthorizedKeys,
			Description: "SSH authorized_keys entry",
			Redacted:    secrets.Redact(l),
			Line:        i + 1,
		}}
	}
	return nil
}
