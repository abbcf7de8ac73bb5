package rules

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/amiaudit/amiaudit/finding"
	"github.com/amiaudit/amiaudit/snapshot"
)

// TestFindingKeysTellFindingsApart: over the example organization, no two
// findings of one rule on one resource share a key, so none share a SARIF
// fingerprint; and the rules that fire once per grantee key by the grantee.
func TestFindingKeysTellFindingsApart(t *testing.T) {
	ctx := context.Background()
	e, err := Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	doc := loadExample(t)
	// Share one AMI with two more untrusted accounts: three AMI-002 findings
	// on one resource.
	img := &doc.Images[0]
	img.LaunchPermissions = append(img.LaunchPermissions,
		snapshot.LaunchPermission{UserID: "999911112222"}, snapshot.LaunchPermission{UserID: "999933334444"})
	fs, err := e.Evaluate(ctx, doc, exampleConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[[3]string]string{}
	grantees := map[string]bool{}
	for _, f := range fs {
		k := [3]string{f.RuleID, f.Resource.ARN, f.Key}
		if other, dup := seen[k]; dup {
			t.Errorf("%s on %s: two findings with key %q:\n%s\n%s", f.RuleID, f.Resource.ARN, f.Key, other, f.Message)
		}
		seen[k] = f.Message
		if f.RuleID == "AMI-002" && f.Resource.ID == img.ID {
			if !strings.HasPrefix(f.Key, "grantee=") {
				t.Errorf("AMI-002 key %q does not name the grantee", f.Key)
			}
			grantees[f.Key] = true
		}
		if strings.Contains(f.Key, f.Message) {
			t.Errorf("%s key holds the message", f.RuleID)
		}
	}
	if len(grantees) < 2 {
		t.Errorf("AMI-002 on %s: %d distinct keys, want one per untrusted grantee", img.ID, len(grantees))
	}
}

// TestFindingKeyIgnoresCounts: KMS-003's message counts the AMIs and
// snapshots a key encrypts; when one more uses it the message changes and
// the key does not.
func TestFindingKeyIgnoresCounts(t *testing.T) {
	ctx := context.Background()
	e, err := Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	kms003 := func(doc *snapshot.Document) finding.Finding {
		t.Helper()
		fs, err := e.Evaluate(ctx, doc, exampleConfig(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			if f.RuleID == "KMS-003" {
				return f
			}
		}
		t.Fatal("the example has no KMS-003 finding")
		return finding.Finding{}
	}
	doc := loadExample(t)
	before := kms003(doc)
	// One more snapshot encrypted with the key.
	var extra snapshot.Snapshot
	for _, s := range doc.Snapshots {
		if s.Encrypted && s.KMSKeyID == before.Resource.ARN {
			extra = s
		}
	}
	if extra.ID == "" {
		t.Fatalf("no snapshot uses %s", before.Resource.ARN)
	}
	extra.ID, extra.ARN = "snap-0ffffffffffffffff", ""
	doc.Snapshots = append(doc.Snapshots, extra)
	if err := doc.Normalize(); err != nil {
		t.Fatal(err)
	}
	after := kms003(doc)
	if before.Message == after.Message {
		t.Fatalf("the message did not change: %s", after.Message)
	}
	if before.Key != after.Key {
		t.Errorf("KMS-003 key changed with the count: %q → %q", before.Key, after.Key)
	}
}

// TestFingerprintMetadata: custom.fingerprint is a list of evidence field
// names; anything else is a policy error naming the rule.
func TestFingerprintMetadata(t *testing.T) {
	dir := t.TempDir()
	write := func(fp string) string {
		p := filepath.Join(dir, strings.ReplaceAll(fp, " ", "_")+".rego")
		src := "# METADATA\n# title: T\n# custom:\n#   id: CUST-009\n#   severity: low\n#   fingerprint: " + fp + "\npackage amiaudit.rules.custom.fp\n\nfindings contains f if {\n\tsome img in input.images\n\tf := {\"resource\": {\"type\": \"ami\", \"id\": img.id, \"arn\": img.arn}, \"message\": \"m\", \"evidence\": {\"name\": img.name, \"n\": 1}}\n}\n"
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	_, err := Load(context.Background(), write("name"))
	var pe *PolicyError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "CUST-009: custom.fingerprint must be a list") {
		t.Errorf("fingerprint: name gave %v, want a policy error", err)
	}
	e, err := Load(context.Background(), write("[name, n]"))
	if err != nil {
		t.Fatal(err)
	}
	r, _ := e.Rule("CUST-009")
	if strings.Join(r.Fingerprint, ",") != "name,n" {
		t.Errorf("fingerprint %v, want [name n]", r.Fingerprint)
	}
	fs, err := e.Evaluate(context.Background(), loadExample(t), DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if f.RuleID == "CUST-009" && !strings.HasPrefix(f.Key, "name=") || f.RuleID == "CUST-009" && !strings.HasSuffix(f.Key, "; n=1") {
			t.Errorf("key %q, want name=…; n=1", f.Key)
		}
	}
}

// TestEffectMetadata: custom.effect is data-exposure or credentials (the ASFF
// finding type of the rule's findings); any other value is a policy error
// naming the rule and the allowed values, and no effect is a configuration
// check.
func TestEffectMetadata(t *testing.T) {
	dir := t.TempDir()
	n := 0
	write := func(effectLine string) string {
		n++
		sub := filepath.Join(dir, fmt.Sprint(n))
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		src := "# METADATA\n# title: T\n# custom:\n#   id: CUST-010\n#   severity: low\n" + effectLine + "package amiaudit.rules.custom.effect\n\nfindings contains f if {\n\tsome img in input.images\n\tf := {\"resource\": {\"type\": \"ami\", \"id\": img.id, \"arn\": img.arn}, \"message\": \"m\", \"evidence\": {}}\n}\n"
		if err := os.WriteFile(filepath.Join(sub, "effect.rego"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return sub
	}
	for _, bad := range []struct{ line, found string }{
		{"#   effect: exposure\n", `found "exposure"`},
		{"#   effect: [credentials]\n", "found [credentials]"},
		{"#   effect: \"\"\n", `found ""`},
	} {
		_, err := Load(context.Background(), write(bad.line))
		var pe *PolicyError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), `CUST-010: custom.effect must be "data-exposure" or "credentials"`) || !strings.Contains(err.Error(), bad.found) {
			t.Errorf("%q gave %v, want a policy error naming the allowed values and %s", bad.line, err, bad.found)
		}
	}
	for line, want := range map[string]string{
		"#   effect: data-exposure\n": finding.EffectDataExposure,
		"#   effect: credentials\n":   finding.EffectCredentials,
		"":                            "",
	} {
		e, err := Load(context.Background(), write(line))
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if r, _ := e.Rule("CUST-010"); r.Effect != want {
			t.Errorf("%q: effect %q, want %q", line, r.Effect, want)
		}
	}
}

// TestBuiltinRuleEffects pins which built-in rules are more than a
// configuration check (ASFF adds their effect's finding type): shares and keys
// that let others read data, and credentials found.
func TestBuiltinRuleEffects(t *testing.T) {
	e, err := Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"AMI-001": finding.EffectDataExposure, "AMI-002": finding.EffectDataExposure, "AMI-003": finding.EffectDataExposure,
		"AMI-006": finding.EffectDataExposure, "AMI-010": finding.EffectDataExposure,
		"SNAP-001": finding.EffectDataExposure, "SNAP-002": finding.EffectDataExposure,
		"KMS-001": finding.EffectDataExposure, "KMS-002": finding.EffectDataExposure,
		"AMI-007": finding.EffectCredentials, "AMI-008": finding.EffectCredentials, "SNAP-004": finding.EffectCredentials,
	}
	for _, r := range e.Rules() {
		if r.Effect != want[r.ID] {
			t.Errorf("%s: effect %q, want %q", r.ID, r.Effect, want[r.ID])
		}
	}
}

// TestChangesMetadata: custom.changes lists the kinds of proposed change whose
// findings the gate attributes to the rule; anything else is a policy error.
func TestChangesMetadata(t *testing.T) {
	dir := t.TempDir()
	n := 0
	write := func(line string) string {
		n++
		sub := filepath.Join(dir, fmt.Sprint(n))
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		src := "# METADATA\n# title: T\n# custom:\n#   id: CUST-011\n#   severity: low\n" + line + "package amiaudit.rules.custom.changes\n\nfindings contains f if {\n\tsome img in input.images\n\tf := {\"resource\": {\"type\": \"ami\", \"id\": img.id, \"arn\": img.arn}, \"message\": \"m\", \"evidence\": {}}\n}\n"
		if err := os.WriteFile(filepath.Join(sub, "changes.rego"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return sub
	}
	for _, bad := range []string{"#   changes: copy\n", "#   changes: []\n", "#   changes: [share]\n", "#   changes: [copy, 3]\n"} {
		_, err := Load(context.Background(), write(bad))
		var pe *PolicyError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), "CUST-011: custom.changes must") || !strings.Contains(err.Error(), "launch-permission, create-volume-permission, copy, kms-grant, key-policy") {
			t.Errorf("%q gave %v, want a policy error naming the kinds", bad, err)
		}
	}
	for line, want := range map[string][]string{
		"#   changes: [copy]\n": {"copy"},
		"#   changes: [launch-permission, create-volume-permission]\n": {"launch-permission", "create-volume-permission"},
		"": nil,
	} {
		e, err := Load(context.Background(), write(line))
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if r, _ := e.Rule("CUST-011"); !slices.Equal(r.Changes, want) {
			t.Errorf("%q: changes %q, want %q", line, r.Changes, want)
		}
	}
}

// TestBuiltinGateRulesJudgeTheirChanges pins what each gate rule judges: the
// copy rules copies, GATE-004 (a share AWS refuses) shares; every other rule
// any change that touches its resource.
func TestBuiltinGateRulesJudgeTheirChanges(t *testing.T) {
	e, err := Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"GATE-001": {snapshot.ChangeCopy},
		"GATE-002": {snapshot.ChangeCopy},
		"GATE-003": {snapshot.ChangeCopy},
		"GATE-004": {snapshot.ChangeLaunchPermission, snapshot.ChangeCreateVolumePermission},
	}
	for _, r := range e.Rules() {
		if !slices.Equal(r.Changes, want[r.ID]) {
			t.Errorf("%s: changes %q, want %q", r.ID, r.Changes, want[r.ID])
		}
	}
}
