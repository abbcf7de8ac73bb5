package cli

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/amiaudit/amiaudit/collector"
	"github.com/amiaudit/amiaudit/snapshot"
)

// shardFiles splits the example organization into n shard files as
// collect --shard K/N would write them.
func shardFiles(t *testing.T, dir string, n int) []string {
	t.Helper()
	whole := readExample(t)
	var files []string
	for k := 1; k <= n; k++ {
		mine := collector.Shard(whole.Scope.Accounts, k, n)
		in := func(a string) bool { return slices.Contains(mine, a) }
		doc := *whole
		doc.Scope.Accounts = mine
		doc.Scope.Shard = fmt.Sprintf("%d/%d", k, n)
		doc.AccountRegions = slices.DeleteFunc(slices.Clone(whole.AccountRegions), func(x snapshot.AccountRegion) bool { return !in(x.Account) })
		doc.Images = slices.DeleteFunc(slices.Clone(whole.Images), func(x snapshot.Image) bool { return !in(x.Account) })
		doc.Snapshots = slices.DeleteFunc(slices.Clone(whole.Snapshots), func(x snapshot.Snapshot) bool { return !in(x.Account) })
		doc.Keys = slices.DeleteFunc(slices.Clone(whole.Keys), func(x snapshot.Key) bool { return !in(x.Account) })
		doc.Errors = slices.DeleteFunc(slices.Clone(whole.Errors), func(x snapshot.CollectionError) bool { return !in(x.Account) })
		files = append(files, writeDoc(t, filepath.Join(dir, fmt.Sprintf("shard-%d.json.gz", k)), &doc))
	}
	return files
}

func findingsOf(t *testing.T, snapshotFile string) string {
	t.Helper()
	code, out, stderr := amiaudit(t, "", "evaluate", snapshotFile, "--config", exampleConfig, "--format", "json", "--fail-on", "none")
	if code != 0 {
		t.Fatalf("evaluate %s: exit %d %s", snapshotFile, code, stderr)
	}
	var r struct{ Findings json.RawMessage }
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	return string(r.Findings)
}

func TestMergeCommand(t *testing.T) {
	dir := t.TempDir()
	shards := shardFiles(t, dir, 2)
	merged := filepath.Join(dir, "org.json.gz")
	code, out, stderr := amiaudit(t, "", append([]string{"merge", "--out", merged}, shards...)...)
	if code != 0 || out != "" {
		t.Fatalf("merge: exit %d, stdout %q, stderr %s", code, out, stderr)
	}
	if findingsOf(t, merged) != findingsOf(t, exampleSnapshot) {
		t.Error("the merged shards do not evaluate to the example's findings")
	}
	code, out, _ = amiaudit(t, "", append([]string{"merge", "--out", "-"}, shards...)...)
	if code != 0 || !strings.Contains(out, `"schema_version": "1"`) || strings.Contains(out, `"shard"`) {
		t.Errorf("merge --out -: exit %d, the merged document should have no shard:\n%.300s", code, out)
	}
}

func TestMergeCommandRejects(t *testing.T) {
	dir := t.TempDir()
	shards := shardFiles(t, dir, 2)
	one := readExample(t)
	one.Scope.Shard = "1/2"
	overlapping := writeDoc(t, filepath.Join(dir, "overlap.json"), one)
	otherRegions := readExample(t)
	otherRegions.Scope.Regions = []string{"us-east-1"}
	otherRegions.Scope.Shard = "2/2"
	regions := writeDoc(t, filepath.Join(dir, "regions.json"), otherRegions)

	cases := []struct {
		name string
		args []string
		want []string
	}{
		// A command line without shards or --output is followed by the usage hint.
		{"no shards", []string{"merge", "--out", filepath.Join(dir, "m.json")}, []string{"expects the shard snapshot files"}},
		{"no --out", append([]string{"merge"}, shards...), []string{"--out"}},
		{"same shard twice", []string{"merge", "--out", filepath.Join(dir, "m.json"), shards[0], overlapping}, []string{"shard-1.json.gz", "overlap.json", "both are shard 1/2"}},
		{"overlapping accounts", []string{"merge", "--out", filepath.Join(dir, "m.json"), overlapping, shards[1]}, []string{"overlap.json", "shard-2.json.gz", "in the scope of both"}},
		{"differing regions", []string{"merge", "--out", filepath.Join(dir, "m.json"), shards[0], regions}, []string{"shard-1.json.gz", "regions.json", "scope.regions differ"}},
		{"missing shard", []string{"merge", "--out", filepath.Join(dir, "m.json"), shards[1]}, []string{"shard-2.json.gz", "shard 1/2 missing"}},
		{"unreadable shard", []string{"merge", "--out", filepath.Join(dir, "m.json"), shards[0], filepath.Join(dir, "nope.json")}, []string{"nope.json"}},
	}
	for _, c := range cases {
		code, out, stderr := amiaudit(t, "", c.args...)
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		wantLines := 1
		if c.name == "no shards" || c.name == "no --out" {
			wantLines = 2
		}
		if code != exitUsage || out != "" || len(lines) != wantLines || wantLines == 2 && lines[1] != usageHint {
			t.Errorf("%s: exit %d, stdout %q, stderr %q: want exit 2 and %d line(s)", c.name, code, out, stderr, wantLines)
		}
		for _, w := range c.want {
			if !strings.Contains(lines[0], w) {
				t.Errorf("%s: %q lacks %q", c.name, lines[0], w)
			}
		}
		if m, _ := filepath.Glob(filepath.Join(dir, "*m.json*")); len(m) > 0 {
			t.Errorf("%s: %v written", c.name, m)
		}
	}
}
