package moto

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// pythonWithMoto returns an interpreter that finds, first on its path, a
// moto package whose __init__.py is init: a stand-in for a missing moto or
// another version, whichever site-packages the machine's own moto is in.
func pythonWithMoto(t *testing.T, init string) string {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Fatal("python3 is needed for the test bed:", err)
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "moto"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "moto", "__init__.py"), []byte(init), 0o644); err != nil {
		t.Fatal(err)
	}
	py := filepath.Join(dir, "python")
	if err := os.WriteFile(py, []byte("#!/bin/sh\nPYTHONPATH="+dir+" exec python3 \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return py
}

func TestAvailableRefuses(t *testing.T) {
	for _, tc := range []struct{ name, init, want string }{
		{"missing moto", "raise ImportError('no moto here')\n", "moto is not installed"},
		{"another version", "__version__ = '5.2.0'\n", "moto 5.2.0 is installed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := available(Options{Python: pythonWithMoto(t, tc.init)})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), InstallHint) {
				t.Errorf("available: %v, want %q and %s", err, tc.want, InstallHint)
			}
		})
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
