package rules

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUserPoliciesReproduceLoad: the files the engine kept (UserPolicies),
// given to LoadFiles (as verifying an evidence bundle does), give the engine
// Load gave: same digest, same rules; and a changed byte changes the digest.
func TestUserPoliciesReproduceLoad(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "ours", "nested")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	rule := "# METADATA\n# title: Custom\n# custom:\n#   id: CUST-001\n#   severity: low\npackage amiaudit.rules.custom.one\n\nfindings contains f if {\n\tsome img in input.images\n\timg.name == \"never\"\n\tf := {\"resource\": {\"type\": \"ami\", \"id\": img.id, \"arn\": img.arn}, \"message\": \"m\"}\n}\n"
	if err := os.WriteFile(filepath.Join(sub, "one.rego"), []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sub, "one_test.rego"), []byte("package x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	single := filepath.Join(dir, "two.rego")
	if err := os.WriteFile(single, []byte(strings.NewReplacer("CUST-001", "CUST-002", "custom.one", "custom.two").Replace(rule)), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{filepath.Join(dir, "ours"), single}
	loaded, err := Load(context.Background(), args...)
	if err != nil {
		t.Fatal(err)
	}
	kept, groups := loaded.UserPolicies()
	if strings.Join(kept, ",") != strings.Join(args, ",") {
		t.Errorf("UserPolicies args = %v, want %v", kept, args)
	}
	if len(groups) != 2 || len(groups[0]) != 1 || len(groups[1]) != 1 {
		t.Fatalf("groups = %+v, want one file per argument (tests excluded)", groups)
	}
	if groups[1][0].Name != single {
		t.Errorf("a file argument is named %q, want %q", groups[1][0].Name, single)
	}
	files := append(groups[0], groups[1]...)
	again, err := LoadFiles(context.Background(), files)
	if err != nil {
		t.Fatal(err)
	}
	if again.Digest() != loaded.Digest() || len(again.Rules()) != len(loaded.Rules()) {
		t.Errorf("LoadFiles digest %s, %d rules; Load %s, %d rules", again.Digest(), len(again.Rules()), loaded.Digest(), len(loaded.Rules()))
	}
	if d, _ := Digest(files); d != loaded.Digest() {
		t.Errorf("Digest = %s, want %s", d, loaded.Digest())
	}
	files[0].Content = append([]byte(nil), files[0].Content...)
	files[0].Content[len(files[0].Content)-2] ^= 1
	if d, _ := Digest(files); d == loaded.Digest() {
		t.Error("a changed byte did not change the digest")
	}
	builtin, err := BuiltinDigest()
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := Load(context.Background())
	if builtin != plain.Digest() || builtin == loaded.Digest() {
		t.Errorf("BuiltinDigest = %s, want %s (Load without user policies)", builtin, plain.Digest())
	}
}
