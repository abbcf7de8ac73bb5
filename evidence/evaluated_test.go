package evidence

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/amiaudit/amiaudit/rules"
)

const namedRule = `# METADATA
# title: Named images
# custom:
#   id: CUST-001
#   severity: low
#   fingerprint: []
package amiaudit.rules.custom.named

findings contains f if {
	some img in input.images
	img.name != ""
	f := {"resource": {"type": "ami", "id": img.id, "arn": img.arn, "account": img.account, "region": img.region}, "message": sprintf("%s has a name.", [img.id])}
}
`

// TestBundleHoldsWhatWasEvaluated: the policy and configuration files change
// on disk between evaluation and bundling (an edit, a git checkout); the
// bundle holds the bytes that were evaluated, its policy digest is the
// report's, and verify reproduces the report from the bundle alone.
func TestBundleHoldsWhatWasEvaluated(t *testing.T) {
	ctx := context.Background()
	base := t.TempDir()
	policyDir := filepath.Join(base, "our-rules")
	if err := os.MkdirAll(policyDir, 0o755); err != nil {
		t.Fatal(err)
	}
	policyFile := filepath.Join(policyDir, "named.rego")
	configFile := filepath.Join(base, "amiaudit.yaml")
	original, err := os.ReadFile("../examples/amiaudit.yaml")
	if err != nil {
		t.Fatal(err)
	}
	write := func(path, content string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(policyFile, namedRule)
	write(configFile, string(original))

	doc := exampleSnapshot(t)
	cfg, err := rules.LoadConfig(configFile)
	if err != nil {
		t.Fatal(err)
	}
	engine, err := rules.Load(ctx, policyDir)
	if err != nil {
		t.Fatal(err)
	}
	a, err := engine.Audit(ctx, doc, "0123", cfg, evaluatedAt, "v1.2.3")
	if err != nil {
		t.Fatal(err)
	}

	// The files change after evaluation, before the bundle is written.
	write(policyFile, strings.Replace(namedRule, "severity: low", "severity: critical", 1))
	write(configFile, "trusted_accounts: [\"999988887777\"]\n")

	dir := filepath.Join(base, "bundle")
	m, err := Write(dir, FromEvaluation(doc, a.Report, engine, cfg))
	if err != nil {
		t.Fatal(err)
	}
	read := func(p string) []byte {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if got := read(userPolicyDir + "/1/named.rego"); string(got) != namedRule {
		t.Errorf("the bundle holds the policy file as it is now, not as it was evaluated:\n%s", got)
	}
	if got := read(ConfigFile); !bytes.Equal(got, original) {
		t.Errorf("the bundle holds the configuration as it is now, not as it was evaluated:\n%s", got)
	}
	if m.PolicyDigest != a.Report.PolicyDigest {
		t.Errorf("manifest policy digest %s, evaluated %s", m.PolicyDigest, a.Report.PolicyDigest)
	}
	evaluated, err := rules.Digest([]rules.PolicyFile{{Name: filepath.ToSlash(policyFile), Content: []byte(namedRule)}})
	if err != nil {
		t.Fatal(err)
	}
	if m.PolicyDigest != evaluated {
		t.Errorf("manifest policy digest %s is not the digest of the evaluated files %s", m.PolicyDigest, evaluated)
	}
	res, err := Verify(ctx, os.DirFS(dir), VerifyOptions{ToolVersion: "v1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK() || res.Findings != len(a.Report.Findings) {
		t.Errorf("verify: %v, %d of %d findings reproduced", res.Problems, res.Findings, len(a.Report.Findings))
	}
}

// TestConfigSourceIsWhatWasParsed: Config.Source is the bytes parsed, nil
// without a file.
func TestConfigSourceIsWhatWasParsed(t *testing.T) {
	in := []byte("max_shared_image_age_days: 90\n")
	cfg, err := rules.ParseConfig("c.yaml", in)
	if err != nil {
		t.Fatal(err)
	}
	in[0] = 'X'
	if string(cfg.Source()) != "max_shared_image_age_days: 90\n" {
		t.Errorf("Source = %q", cfg.Source())
	}
	if rules.DefaultConfig().Source() != nil {
		t.Error("the default configuration has a source")
	}
	empty, err := rules.ParseConfig("empty.yaml", nil)
	if err != nil || empty.Source() == nil {
		t.Errorf("an empty file given as --config has no source (%v): the bundle would say none was given", err)
	}
}
