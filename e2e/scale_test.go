package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/amiaudit/amiaudit/internal/cli"
	"github.com/amiaudit/amiaudit/snapshot"
	"github.com/amiaudit/amiaudit/testbed/scenario"
)

// run runs the amiaudit command line in-process against the scenario.
func run(t *testing.T, env *scenario.Env, args ...string) (int, string, string) {
	t.Helper()
	for _, kv := range env.Environ(t) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("CI", "true")
	// Collection time is pinned, so that two collections of the same state
	// give the same document.
	t.Setenv("SOURCE_DATE_EPOCH", "1795564800")
	var out, errOut bytes.Buffer
	code := cli.Run(args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func findingsJSON(t *testing.T, env *scenario.Env, snapshotFile string) string {
	t.Helper()
	code, out, stderr := run(t, env, "evaluate", snapshotFile, "--format", "json", "--fail-on", "none")
	if code != 0 {
		t.Fatalf("evaluate %s: exit %d: %s", snapshotFile, code, stderr)
	}
	var r struct{ Findings json.RawMessage }
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	return string(r.Findings)
}

func readDoc(t *testing.T, file string) *snapshot.Document {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := snapshot.Decode(file, data)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestShardedCollectionMergesToOneRun collects the example organization
// through the real SDK once whole and once in shards, merges the shards, and
// expects the same findings; then keeps an evidence bundle of a scan and
// verifies it.
func TestShardedCollectionMergesToOneRun(t *testing.T) {
	env := scenario.Run(t, "../scenarios/example-org.yaml")
	dir := t.TempDir()
	common := []string{"--org", "--role", accessRole, regionsFlag(env)}

	whole := filepath.Join(dir, "whole.json.gz")
	if code, _, stderr := run(t, env, append([]string{"collect", "--output", whole}, common...)...); code != 0 {
		t.Fatalf("collect: exit %d: %s", code, stderr)
	}
	const n = 3
	var shards []string
	var covered []string
	for k := 1; k <= n; k++ {
		file := filepath.Join(dir, fmt.Sprintf("shard-%d.json.gz", k))
		if code, _, stderr := run(t, env, append([]string{"collect", "--output", file, "--shard", fmt.Sprintf("%d/%d", k, n)}, common...)...); code != 0 && code != 3 {
			t.Fatalf("collect --shard %d/%d: exit %d: %s", k, n, code, stderr)
		}
		shards = append(shards, file)
		covered = append(covered, readDoc(t, file).Scope.Accounts...)
	}
	slices.Sort(covered)
	if all := readDoc(t, whole).Scope.Accounts; !slices.Equal(covered, all) {
		t.Errorf("the shards cover %v, the whole run %v: every account must be in exactly one shard", covered, all)
	}
	merged := filepath.Join(dir, "merged.json.gz")
	if code, _, stderr := run(t, env, append([]string{"merge", "--output", merged}, shards...)...); code != 0 {
		t.Fatalf("merge: exit %d: %s", code, stderr)
	}
	got, want := findingsJSON(t, env, merged), findingsJSON(t, env, whole)
	if strings.Count(want, `"rule_id"`) < 10 {
		t.Fatalf("the whole run has too few findings to prove anything: %s", want)
	}
	if got != want {
		t.Errorf("the merged shards' findings differ from the whole run's:\nmerged: %.2000s\nwhole:  %.2000s", got, want)
	}

	bundle := filepath.Join(dir, "evidence")
	if code, _, stderr := run(t, env, append([]string{"scan", "--format", "json", "--fail-on", "none", "--evidence", bundle}, common...)...); code != 0 {
		t.Fatalf("scan --evidence: exit %d: %s", code, stderr)
	}
	if code, out, stderr := run(t, env, "verify", bundle); code != 0 || !strings.Contains(out, "findings reproduced") {
		t.Errorf("verify: exit %d\n%s%s", code, out, stderr)
	}
}
