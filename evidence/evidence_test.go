package evidence

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/amiaudit/amiaudit/rules"
	"github.com/amiaudit/amiaudit/snapshot"
)

var evaluatedAt = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)

// exampleSnapshot decodes the example organization's snapshot.
func exampleSnapshot(t *testing.T) *snapshot.Document {
	t.Helper()
	data, err := os.ReadFile("../examples/snapshot.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := snapshot.Decode("snapshot.json", data)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// exampleBundle evaluates the example organization with its configuration
// and returns the bundle to write.
func exampleBundle(t *testing.T) *Bundle {
	t.Helper()
	doc := exampleSnapshot(t)
	config, err := os.ReadFile("../examples/amiaudit.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := rules.ParseConfig("amiaudit.yaml", config)
	if err != nil {
		t.Fatal(err)
	}
	e, err := rules.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	a, err := e.Audit(context.Background(), doc, "0123", cfg, evaluatedAt, "v1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	return &Bundle{Snapshot: doc, Report: a.Report, Config: config}
}

func memFS(files map[string][]byte) fstest.MapFS {
	out := fstest.MapFS{}
	for p, data := range files {
		out[p] = &fstest.MapFile{Data: data, Mode: 0o644}
	}
	return out
}

func verify(t *testing.T, fsys fstest.MapFS, opts VerifyOptions) *Result {
	t.Helper()
	res, err := Verify(context.Background(), fsys, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestManifest(t *testing.T) {
	b := exampleBundle(t)
	files, m, err := contents(b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Tool.Version != "v1.2.3" || m.PolicyDigest != b.Report.PolicyDigest || !m.GeneratedAt.Equal(evaluatedAt) {
		t.Errorf("manifest %+v", m)
	}
	if m.StartedAt == nil || !m.StartedAt.Equal(*b.Snapshot.StartedAt) || !m.CollectedAt.Equal(b.Snapshot.CollectedAt) {
		t.Errorf("times: started %v collected %v", m.StartedAt, m.CollectedAt)
	}
	if m.Coverage.AccountRegions != 6 || m.Coverage.Errors != len(b.Snapshot.Errors) || len(m.Coverage.Unreadable) == 0 {
		t.Errorf("coverage %+v", m.Coverage)
	}
	if len(m.Scope.Accounts) != 3 || len(m.Scope.Regions) != 2 {
		t.Errorf("scope %+v", m.Scope)
	}
	for _, f := range m.Files {
		if got := fileOf(f.Path, files[f.Path]); got != f {
			t.Errorf("%s: manifest says %+v, the file is %+v", f.Path, f, got)
		}
	}
	if len(m.Files) != len(files)-1 {
		t.Errorf("manifest lists %d files, the bundle has %d besides the manifest", len(m.Files), len(files)-1)
	}
	// The bundle's report names the bundle's snapshot.
	var r struct {
		Snapshot struct{ SHA256 string } `json:"snapshot"`
	}
	if err := json.Unmarshal(files[ReportFile], &r); err != nil || r.Snapshot.SHA256 != fileOf("", files[SnapshotFile]).SHA256 {
		t.Errorf("report.json snapshot.sha256 = %q, want the sha256 of snapshot.json.gz (%v)", r.Snapshot.SHA256, err)
	}
	res := verify(t, memFS(files), VerifyOptions{})
	if !res.OK() || res.Findings != len(b.Report.Findings) {
		t.Fatalf("verify: %v, %d findings reproduced", res.Problems, res.Findings)
	}
}

func TestNoConfigNote(t *testing.T) {
	b := exampleBundle(t)
	b.Config = nil
	b.Report.Findings = nil // not what the default configuration gives
	files, _, err := contents(b)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(files[ConfigFile]), "# No configuration file was given") {
		t.Errorf("config.yaml = %q", files[ConfigFile])
	}
	res := verify(t, memFS(files), VerifyOptions{})
	if len(res.Problems) == 0 || res.Problems[0].File != ReportFile || !strings.Contains(res.Problems[0].Msg, "0 recorded but not reproduced, 38 reproduced but not recorded") {
		t.Errorf("a report that the snapshot does not give should fail verification: %v", res.Problems)
	}
}

// TestVerifyOtherVersion: a bundle made by an amiaudit whose built-in
// policies differ is reported as such, naming the version to verify with.
func TestVerifyOtherVersion(t *testing.T) {
	files, m, err := contents(exampleBundle(t))
	if err != nil {
		t.Fatal(err)
	}
	other := "sha256:" + strings.Repeat("ab", 32)
	for _, p := range []string{ReportFile, SARIFFile, PolicyIndexFile} {
		files[p] = []byte(strings.ReplaceAll(string(files[p]), m.PolicyDigest, other))
	}
	m.PolicyDigest = other
	for i, f := range m.Files {
		m.Files[i] = fileOf(f.Path, files[f.Path])
	}
	if files[ManifestFile], err = encodeJSON(m); err != nil {
		t.Fatal(err)
	}
	res := verify(t, memFS(files), VerifyOptions{ToolVersion: "v9.9.9"})
	if res.OK() || res.Problems[0].File != PolicyIndexFile {
		t.Fatalf("problems %v", res.Problems)
	}
	msg := res.Problems[0].String()
	for _, w := range []string{"built-in policies differ", "amiaudit v1.2.3", "this is amiaudit v9.9.9", "verify with amiaudit v1.2.3"} {
		if !strings.Contains(msg, w) {
			t.Errorf("%q lacks %q", msg, w)
		}
	}
}

// TestVerifyManifestFields: a manifest field changed, with the files intact,
// is found by rebuilding the manifest.
func TestVerifyManifestFields(t *testing.T) {
	files, _, err := contents(exampleBundle(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ from, to, field string }{
		{`"account_regions": 6`, `"account_regions": 7`, "coverage"},
		{`"collected_at": "2026-11-20T02:14:07Z"`, `"collected_at": "2026-11-20T02:14:08Z"`, "collected_at"},
		{`"name": "amiaudit"`, `"name": "amiaudiT"`, "tool"},
	} {
		changed := memFS(files)
		changed[ManifestFile] = &fstest.MapFile{Data: []byte(strings.Replace(string(files[ManifestFile]), c.from, c.to, 1))}
		res := verify(t, changed, VerifyOptions{})
		if len(res.Problems) != 1 || res.Problems[0].File != ManifestFile || !strings.Contains(res.Problems[0].Msg, c.field) {
			t.Errorf("%s changed: %v", c.field, res.Problems)
		}
	}
}

func TestWriteIsAtomicAndNeverOverwrites(t *testing.T) {
	b := exampleBundle(t)
	parent := t.TempDir()
	dir := filepath.Join(parent, "bundle")
	if _, err := Write(dir, b); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(dir, b); !errors.Is(err, ErrTargetExists) {
		t.Errorf("second Write: %v, want ErrTargetExists", err)
	}
	// A bundle that cannot be laid out leaves nothing behind.
	bad := *b
	bad.PolicyArgs = []string{"somewhere"}
	if _, err := Write(filepath.Join(parent, "bad"), &bad); err == nil {
		t.Error("a policy argument without files should fail")
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 1 || entries[0].Name() != "bundle" {
		t.Errorf("parent holds %v, want only the bundle", entries)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o755 {
		t.Errorf("bundle directory mode %v", fi.Mode())
	}
	res, err := Verify(context.Background(), os.DirFS(dir), VerifyOptions{})
	if err != nil || !res.OK() {
		t.Errorf("verify: %v %v", err, res.Problems)
	}
}

func TestPolicyLayout(t *testing.T) {
	index, files, err := policyLayout(
		[]string{"./rules/", "extra/one.rego"},
		[][]rules.PolicyFile{{{Name: "rules/a.rego", Content: []byte("a")}, {Name: "rules/sub/b.rego", Content: []byte("b")}}, {{Name: "extra/one.rego", Content: []byte("c")}}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"policies/user/1/a.rego": "rules/a.rego", "policies/user/1/sub/b.rego": "rules/sub/b.rego", "policies/user/2/one.rego": "extra/one.rego"}
	if len(index.User) != 3 || len(files) != 3 {
		t.Fatalf("index %+v", index)
	}
	for _, src := range index.User {
		if want[src.Path] != src.Name {
			t.Errorf("%s holds %s, want %s", src.Path, src.Name, want[src.Path])
		}
	}
}

func TestKeys(t *testing.T) {
	privPEM, pubPEM, err := GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := ParsePrivateKey(privPEM)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKey(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(priv.Public()) {
		t.Error("the public key is not the private key's")
	}
	if _, err := ParsePrivateKey(pubPEM); err == nil {
		t.Error("a public key parsed as a private key")
	}
	if _, err := ParsePublicKey(privPEM); err == nil {
		t.Error("a private key parsed as a public key")
	}
	sig := sign(priv, []byte("manifest"))
	if err := checkSignature(pub, []byte("manifest"), sig); err != nil {
		t.Error(err)
	}
	if err := checkSignature(pub, []byte("manifesT"), sig); err == nil {
		t.Error("a changed manifest verified")
	}
	sk, err := signingKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := sk.publicKey(); err != nil || !got.Equal(pub) {
		t.Errorf("signing_key round trip: %v", err)
	}
	sk.Fingerprint = Fingerprint(pub)[:20] + "0000"
	if _, err := sk.publicKey(); err == nil {
		t.Error("a wrong fingerprint was accepted")
	}
}
