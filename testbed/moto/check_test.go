package moto

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// fakePython writes an interpreter wrapper that runs python3 with env
// prepended, so a test can take moto away or offer another version of it.
func fakePython(t *testing.T, env string) string {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Fatal("python3 is needed for the test bed:", err)
	}
	p := filepath.Join(t.TempDir(), "python")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+env+" exec python3 \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAvailableRefusesMissingMoto(t *testing.T) {
	// A moto package that fails to import, first on the path, stands for a
	// missing one whichever site-packages the machine's moto is in.
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "moto"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "moto", "__init__.py"), []byte("raise ImportError('no moto here')\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := available(Options{Python: fakePython(t, "PYTHONPATH="+dir)})
	if err == nil || !strings.Contains(err.Error(), "moto is not installed") || !strings.Contains(err.Error(), InstallHint) {
		t.Errorf("available without moto: %v, want 'moto is not installed' and %s", err, InstallHint)
	}
}

func TestAvailableRefusesAnotherVersion(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "moto"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "moto", "__init__.py"), []byte("__version__ = '5.2.0'\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := available(Options{Python: fakePython(t, "PYTHONPATH="+dir)})
	if err == nil || !strings.Contains(err.Error(), "moto 5.2.0 is installed") || !strings.Contains(err.Error(), InstallHint) {
		t.Errorf("available with moto 5.2.0: %v, want a refusal naming 5.2.0 and %s", err, InstallHint)
	}
}

// TestTestDepsAsksTheLauncher keeps one definition of "moto is ready":
// scripts/test-deps must run the launcher's check and install its
// requirement, never name a moto version of its own.
func TestTestDepsAsksTheLauncher(t *testing.T) {
	b, err := os.ReadFile("../../scripts/test-deps")
	if err != nil {
		t.Fatal(err)
	}
	script := string(b)
	for _, want := range []string{"testbed/moto/launcher.py", "--check", "--requirement"} {
		if !strings.Contains(script, want) {
			t.Errorf("scripts/test-deps does not use %q", want)
		}
	}
	if v := regexp.MustCompile(`moto[^\n]*\b\d+\.\d+\.\d+`).FindString(script); v != "" {
		t.Errorf("scripts/test-deps names a moto version of its own (%q): ask launcher.py --requirement", v)
	}
	if !strings.HasPrefix(InstallHint, `pip install "moto[server]==`) {
		t.Errorf("InstallHint = %s", InstallHint)
	}
}
