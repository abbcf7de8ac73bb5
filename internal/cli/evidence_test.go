package cli

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// bundle writes an evidence bundle of the example organization with
// evaluate --evidence, with a user policy, and returns its directory.
func bundle(t *testing.T, extra ...string) string {
	t.Helper()
	base := t.TempDir()
	policy := filepath.Join(base, "our-rules")
	if err := os.MkdirAll(policy, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(policy, "named.rego"), `# METADATA
# title: Named images
# custom:
#   id: CUST-001
#   severity: low
package amiaudit.rules.custom.named

findings contains f if {
	some img in input.images
	img.name != ""
	f := {"resource": {"type": "ami", "id": img.id, "arn": img.arn, "account": img.account, "region": img.region}, "message": sprintf("%s has a name.", [img.id])}
}
`)
	dir := filepath.Join(base, "evidence", "2026-11-20")
	args := append([]string{"evaluate", exampleSnapshot, "--config", exampleConfig, "--policy", policy, "--format", "json", "--output", filepath.Join(base, "report.json"), "--evidence", dir}, extra...)
	code, _, stderr := amiaudit(t, "", args...)
	if code != exitFindings {
		t.Fatalf("evaluate --evidence: exit %d, want 1 (the example has high findings): %s", code, stderr)
	}
	return dir
}

func bundleFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func copyDir(t *testing.T, from string) string {
	t.Helper()
	to := filepath.Join(t.TempDir(), "bundle")
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
	return to
}

func TestEvidenceBundleVerifies(t *testing.T) {
	dir := bundle(t)
	want := []string{"config.yaml", "manifest.json", "policies/index.json", "policies/user/1/named.rego", "report.json", "report.sarif", "snapshot.json.gz"}
	if got := bundleFiles(t, dir); !slices.Equal(got, want) {
		t.Errorf("bundle files = %v, want %v", got, want)
	}
	config, _ := os.ReadFile(filepath.Join(dir, "config.yaml"))
	if original, _ := os.ReadFile(exampleConfig); string(config) != string(original) {
		t.Error("config.yaml is not the configuration file verbatim")
	}
	if entries, _ := os.ReadDir(filepath.Dir(dir)); len(entries) != 1 {
		t.Errorf("temporary directories left beside the bundle: %v", entries)
	}
	// Verified later, with another clock: waivers are judged as of generated_at.
	t.Setenv("SOURCE_DATE_EPOCH", "1900000000")
	var out, errOut strings.Builder
	code := Run([]string{"verify", dir}, strings.NewReader(""), &out, &errOut)
	if code != 0 {
		t.Fatalf("verify: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	for _, w := range []string{"verified: 6 files", "findings reproduced", "not signed"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("verify output lacks %q:\n%s", w, out.String())
		}
	}
}

// TestEvidenceVerifyDetectsAnyByteChange flips one byte, at the start, the
// middle and the end, of every file of a signed and an unsigned bundle, and
// expects verify to fail naming that file.
func TestEvidenceVerifyDetectsAnyByteChange(t *testing.T) {
	keyDir := t.TempDir()
	if code, _, stderr := amiaudit(t, "", "keygen", "--out", filepath.Join(keyDir, "audit")); code != 0 {
		t.Fatalf("keygen: %s", stderr)
	}
	for _, signed := range []bool{false, true} {
		var dir string
		var verifyArgs [][]string
		if signed {
			dir = bundle(t, "--sign-key", filepath.Join(keyDir, "audit.key"))
			verifyArgs = [][]string{nil, {"--pub-key", filepath.Join(keyDir, "audit.pub")}}
		} else {
			dir = bundle(t)
			verifyArgs = [][]string{nil}
		}
		files := bundleFiles(t, dir)
		if signed != slices.Contains(files, "manifest.json.sig") {
			t.Fatalf("signed %v, files %v", signed, files)
		}
		for _, file := range files {
			data, err := os.ReadFile(filepath.Join(dir, file))
			if err != nil {
				t.Fatal(err)
			}
			for _, at := range []int{0, len(data) / 2, len(data) - 1} {
				for _, extra := range verifyArgs {
					t.Run(file, func(t *testing.T) {
						tampered := copyDir(t, dir)
						changed := slices.Clone(data)
						changed[at] ^= 0x01
						writeFile(t, filepath.Join(tampered, file), string(changed))
						code, out, stderr := amiaudit(t, "", append([]string{"verify", tampered}, extra...)...)
						if code != exitFindings {
							t.Fatalf("byte %d of %s changed (signed %v, %v): exit %d, want 1\n%s%s", at, file, signed, extra, code, out, stderr)
						}
						named := false
						for _, line := range strings.Split(out, "\n") {
							// A changed manifest may instead fail a file's hash, which
							// the line says is manifest.json's record.
							named = named || strings.HasPrefix(line, tampered+"/"+file+":") ||
								(file == "manifest.json" && strings.Contains(line, "manifest.json"))
						}
						if !named {
							t.Errorf("byte %d of %s changed: no problem names it:\n%s", at, file, out)
						}
						if !strings.Contains(out, "NOT VERIFIED") {
							t.Errorf("no verdict line:\n%s", out)
						}
					})
				}
			}
		}
	}
}

func TestEvidenceVerifyFileSet(t *testing.T) {
	dir := bundle(t)
	t.Run("unlisted file", func(t *testing.T) {
		b := copyDir(t, dir)
		writeFile(t, filepath.Join(b, "policies", "user", "1", "extra.rego"), "package x\n")
		code, out, _ := amiaudit(t, "", "verify", b)
		if code != exitFindings || !strings.Contains(out, "policies/user/1/extra.rego: is not listed in manifest.json") {
			t.Errorf("exit %d:\n%s", code, out)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		b := copyDir(t, dir)
		if err := os.Remove(filepath.Join(b, "report.sarif")); err != nil {
			t.Fatal(err)
		}
		code, out, _ := amiaudit(t, "", "verify", b)
		if code != exitFindings || !strings.Contains(out, "report.sarif: listed in manifest.json but cannot be read") {
			t.Errorf("exit %d:\n%s", code, out)
		}
	})
	t.Run("not a bundle", func(t *testing.T) {
		code, out, _ := amiaudit(t, "", "verify", t.TempDir())
		if code != exitFindings || !strings.Contains(out, "manifest.json: cannot be read") {
			t.Errorf("exit %d:\n%s", code, out)
		}
	})
	t.Run("no such directory", func(t *testing.T) {
		code, _, stderr := amiaudit(t, "", "verify", filepath.Join(t.TempDir(), "nope"))
		if code != exitUsage || !strings.Contains(stderr, "nope") {
			t.Errorf("exit %d: %s", code, stderr)
		}
	})
}

func TestEvidenceSignature(t *testing.T) {
	keys := t.TempDir()
	for _, name := range []string{"audit", "other"} {
		code, out, stderr := amiaudit(t, "", "keygen", "--out", filepath.Join(keys, name))
		if code != 0 || !strings.Contains(out, "public key sha256:") {
			t.Fatalf("keygen: exit %d %s %s", code, out, stderr)
		}
	}
	if fi, err := os.Stat(filepath.Join(keys, "audit.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("private key mode: %v %v", fi.Mode(), err)
	}
	if code, _, stderr := amiaudit(t, "", "keygen", "--out", filepath.Join(keys, "audit")); code != exitUsage || !strings.Contains(stderr, "exists") {
		t.Errorf("keygen over an existing key: exit %d %s", code, stderr)
	}
	signed := bundle(t, "--sign-key", filepath.Join(keys, "audit.key"))
	pub := filepath.Join(keys, "audit.pub")

	code, out, _ := amiaudit(t, "", "verify", signed, "--pub-key", pub)
	if code != 0 || !strings.Contains(out, "signature verified") {
		t.Errorf("good key: exit %d\n%s", code, out)
	}
	code, out, _ = amiaudit(t, "", "verify", signed)
	if code != 0 || !strings.Contains(out, "give --pub-key") {
		t.Errorf("no key: exit %d\n%s", code, out)
	}
	code, out, _ = amiaudit(t, "", "verify", signed, "--pub-key", filepath.Join(keys, "other.pub"))
	if code != exitFindings || !strings.Contains(out, "manifest.json.sig: does not verify") {
		t.Errorf("other key: exit %d\n%s", code, out)
	}

	// A manifest rewritten consistently (its files still match it) but not re-signed.
	tampered := copyDir(t, signed)
	m, _ := os.ReadFile(filepath.Join(tampered, "manifest.json"))
	writeFile(t, filepath.Join(tampered, "manifest.json"), strings.Replace(string(m), `"errors": 0`, `"errors": 0 `, 1)+" ")
	code, out, _ = amiaudit(t, "", "verify", tampered, "--pub-key", pub)
	if code != exitFindings || !strings.Contains(out, "manifest.json.sig: does not verify") {
		t.Errorf("tampered manifest: exit %d\n%s", code, out)
	}

	// The signature removed: fails with the key, and without it since the manifest names the key.
	stripped := copyDir(t, signed)
	if err := os.Remove(filepath.Join(stripped, "manifest.json.sig")); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--pub-key", pub}, nil} {
		code, out, _ = amiaudit(t, "", append([]string{"verify", stripped}, args...)...)
		if code != exitFindings || !strings.Contains(out, "manifest.json.sig: missing") {
			t.Errorf("signature removed, %v: exit %d\n%s", args, code, out)
		}
	}

	// --pub-key on an unsigned bundle fails.
	code, out, _ = amiaudit(t, "", "verify", bundle(t), "--pub-key", pub)
	if code != exitFindings || !strings.Contains(out, "--pub-key was given but the bundle is not signed") {
		t.Errorf("unsigned bundle with --pub-key: exit %d\n%s", code, out)
	}

	// A bad key file is a usage error.
	code, _, stderr := amiaudit(t, "", "verify", signed, "--pub-key", filepath.Join(keys, "audit.key"))
	if code != exitUsage || !strings.Contains(stderr, "PUBLIC KEY") {
		t.Errorf("private key as --pub-key: exit %d %s", code, stderr)
	}
	code, _, stderr = amiaudit(t, "", "evaluate", exampleSnapshot, "--evidence", filepath.Join(t.TempDir(), "e"), "--sign-key", pub)
	if code != exitUsage || !strings.Contains(stderr, "PRIVATE KEY") {
		t.Errorf("public key as --sign-key: exit %d %s", code, stderr)
	}
}

func TestEvidenceRefusesNonEmptyDirectory(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "keep.txt"), "precious\n")
	out := filepath.Join(t.TempDir(), "report.json")
	code, _, stderr := amiaudit(t, "", "evaluate", exampleSnapshot, "--evidence", dir, "--output", out)
	if code != exitUsage || !strings.Contains(stderr, dir) || !strings.Contains(stderr, "not empty") {
		t.Errorf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("the report was written although the evidence directory was refused")
	}
	if got := bundleFiles(t, dir); !slices.Equal(got, []string{"keep.txt"}) {
		t.Errorf("directory now holds %v", got)
	}
	// An empty directory is fine, and so is a new one under new parents.
	for _, target := range []string{t.TempDir(), filepath.Join(t.TempDir(), "a", "b")} {
		if code, _, stderr := amiaudit(t, "", "evaluate", exampleSnapshot, "--evidence", target, "--fail-on", "none"); code != 0 {
			t.Errorf("--evidence %s: exit %d %s", target, code, stderr)
		}
		if code, out, _ := amiaudit(t, "", "verify", target); code != 0 {
			t.Errorf("verify %s: exit %d %s", target, code, out)
		}
	}
	// --sign-key alone is a usage error.
	if code, _, stderr := amiaudit(t, "", "evaluate", exampleSnapshot, "--sign-key", "k.key"); code != exitUsage || !strings.Contains(stderr, "--evidence") {
		t.Errorf("--sign-key without --evidence: exit %d %s", code, stderr)
	}
}
