package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/amiaudit/amiaudit/snapshot"
)

func readExample(t *testing.T) *snapshot.Document {
	t.Helper()
	return readDoc(t, exampleSnapshot)
}

// readDoc decodes the snapshot file at path.
func readDoc(t *testing.T, path string) *snapshot.Document {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := snapshot.Decode(path, data)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func writeDoc(t *testing.T, path string, doc *snapshot.Document) string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := doc.Encode(f, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// nextNight is the example organization a day later: the public AMI is no
// longer public, and another AMI is now shared with an outside account too.
func nextNight(t *testing.T, dir string) string {
	return changedNight(t, filepath.Join(dir, "today.json.gz"), true)
}

func changedNight(t *testing.T, path string, newShare bool) string {
	t.Helper()
	doc := readExample(t)
	for i := range doc.Images {
		img := &doc.Images[i]
		switch {
		case img.ID == "ami-0a1b2c3d4e5f60002":
			img.Public = false
			img.LaunchPermissions = slices.DeleteFunc(img.LaunchPermissions, func(lp snapshot.LaunchPermission) bool { return lp.Group == "all" })
		case img.ID == "ami-0a1b2c3d4e5f60008" && newShare:
			img.LaunchPermissions = append(img.LaunchPermissions, snapshot.LaunchPermission{UserID: "999988887777"})
		}
	}
	return writeDoc(t, path, doc)
}

type diffJSON struct {
	New, Resolved, Unchanged []struct {
		RuleID   string `json:"rule_id"`
		Severity string
		Message  string
		Resource struct{ ID, ARN string }
	}
	Summary struct {
		New, Resolved, Unchanged int
		NewBySeverity            map[string]int `json:"new_by_severity"`
	}
}

func TestDiffSnapshots(t *testing.T) {
	dir := t.TempDir()
	today := nextNight(t, dir)
	code, out, stderr := amiaudit(t, "", "diff", exampleSnapshot, today, "--format", "json", "--fail-on", "none")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var d diffJSON
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	has := func(list []struct {
		RuleID   string `json:"rule_id"`
		Severity string
		Message  string
		Resource struct{ ID, ARN string }
	}, rule, id, text string) bool {
		for _, f := range list {
			if f.RuleID == rule && f.Resource.ID == id && strings.Contains(f.Message, text) {
				return true
			}
		}
		return false
	}
	if !has(d.Resolved, "AMI-001", "ami-0a1b2c3d4e5f60002", "is public") {
		t.Errorf("the public AMI's AMI-001 is not resolved: %+v", d.Resolved)
	}
	if !has(d.New, "AMI-002", "ami-0a1b2c3d4e5f60008", "999988887777") {
		t.Errorf("the new share is not a new AMI-002 finding: %+v", d.New)
	}
	if !has(d.Unchanged, "AMI-007", "ami-0a1b2c3d4e5f60007", "credential") || has(d.Unchanged, "AMI-001", "ami-0a1b2c3d4e5f60002", "") {
		t.Errorf("unchanged findings wrong: %+v", d.Unchanged)
	}
	if d.Summary.New != len(d.New) || d.Summary.Resolved != len(d.Resolved) || d.Summary.Unchanged != len(d.Unchanged) || d.Summary.NewBySeverity["high"] == 0 {
		t.Errorf("summary %+v", d.Summary)
	}
	// Every finding of each night is accounted for once.
	_, before, _ := amiaudit(t, "", "evaluate", exampleSnapshot, "--format", "json", "--fail-on", "none")
	_, after, _ := amiaudit(t, "", "evaluate", today, "--format", "json", "--fail-on", "none")
	if n := countFindings(t, before); d.Summary.Unchanged+d.Summary.Resolved != n {
		t.Errorf("unchanged %d + resolved %d != %d findings before", d.Summary.Unchanged, d.Summary.Resolved, n)
	}
	if n := countFindings(t, after); d.Summary.Unchanged+d.Summary.New != n {
		t.Errorf("unchanged %d + new %d != %d findings after", d.Summary.Unchanged, d.Summary.New, n)
	}

	// Reports give the same diff as the snapshots they came from, and so does a mix.
	oldReport, newReport := filepath.Join(dir, "old.json"), filepath.Join(dir, "new.json")
	writeFile(t, oldReport, before)
	writeFile(t, newReport, after)
	for _, pair := range [][2]string{{oldReport, newReport}, {oldReport, today}, {exampleSnapshot, newReport}} {
		code, got, stderr := amiaudit(t, "", "diff", pair[0], pair[1], "--format", "json", "--fail-on", "none")
		if code != 0 || got != out {
			t.Errorf("diff %s %s: exit %d, output differs from the snapshots' diff: %s", pair[0], pair[1], code, stderr)
		}
	}
}

func countFindings(t *testing.T, report string) int {
	t.Helper()
	var r struct{ Findings []json.RawMessage }
	if err := json.Unmarshal([]byte(report), &r); err != nil {
		t.Fatal(err)
	}
	return len(r.Findings)
}

func TestDiffExitCodes(t *testing.T) {
	dir := t.TempDir()
	today := nextNight(t, dir)
	resolvedOnly := changedNight(t, filepath.Join(dir, "resolved.json"), false)
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"new high finding fails at the default (high)", []string{exampleSnapshot, today}, exitFindings},
		{"new high finding passes at critical", []string{exampleSnapshot, today, "--fail-on", "critical"}, 0},
		{"only resolved findings pass at info", []string{exampleSnapshot, resolvedOnly, "--fail-on", "info"}, 0},
		{"reversed, the public AMI is a new critical finding", []string{today, exampleSnapshot, "--fail-on", "critical"}, exitFindings},
		{"nothing new passes", []string{exampleSnapshot, exampleSnapshot, "--fail-on", "info"}, 0},
		{"none never fails", []string{exampleSnapshot, today, "--fail-on", "none"}, 0},
	}
	for _, c := range cases {
		code, out, stderr := amiaudit(t, "", append([]string{"diff"}, c.args...)...)
		if code != c.want {
			t.Errorf("%s: exit %d, want %d\n%s%s", c.name, code, c.want, out, stderr)
		}
	}
}

func TestDiffTable(t *testing.T) {
	today := nextNight(t, t.TempDir())
	code, out, stderr := amiaudit(t, "", "diff", exampleSnapshot, today, "--fail-on", "none")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"new,", "resolved,", "unchanged", "New (", "Resolved (", "Unchanged (", "AMI-001", "SEVERITY", "New findings:"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = amiaudit(t, "", "diff", exampleSnapshot, exampleSnapshot)
	if code != 0 || !strings.HasPrefix(out, "0 new, 0 resolved,") || !strings.Contains(out, "New: none.") {
		t.Errorf("identical runs: exit %d\n%s", code, out)
	}
	// --output FILE.json writes JSON, atomically.
	path := filepath.Join(t.TempDir(), "changes.json")
	if code, out, _ := amiaudit(t, "", "diff", exampleSnapshot, today, "--output", path, "--fail-on", "none"); code != 0 || out != "" {
		t.Errorf("--output: exit %d, stdout %q", code, out)
	}
	if data, err := os.ReadFile(path); err != nil || !strings.Contains(string(data), `"resolved": [`) {
		t.Errorf("%s: %v %s", path, err, data)
	}
}

func TestDiffBadInputs(t *testing.T) {
	dir := t.TempDir()
	neither := filepath.Join(dir, "neither.json")
	writeFile(t, neither, `{"hello": "world"}`)
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"neither report nor snapshot", []string{"diff", exampleSnapshot, neither}, []string{"neither.json", "neither a JSON report"}},
		{"missing file", []string{"diff", filepath.Join(dir, "gone.json"), exampleSnapshot}, []string{"gone.json"}},
		{"sarif format", []string{"diff", exampleSnapshot, exampleSnapshot, "--format", "sarif"}, []string{"--format", "table or json"}},
		{"one argument", []string{"diff", exampleSnapshot}, []string{"OLD NEW"}},
		{"bad fail-on", []string{"diff", exampleSnapshot, exampleSnapshot, "--fail-on", "severe"}, []string{"--fail-on"}},
	}
	for _, c := range cases {
		code, out, stderr := amiaudit(t, "", c.args...)
		if code != exitUsage || out != "" {
			t.Errorf("%s: exit %d, stdout %q", c.name, code, out)
		}
		for _, w := range c.want {
			if !strings.Contains(strings.SplitN(stderr, "\n", 2)[0], w) {
				t.Errorf("%s: %q lacks %q", c.name, stderr, w)
			}
		}
	}
}

// TestDocumentKindKeys: a report is told from a snapshot by the keys only one
// of them has, whatever key comes first.
func TestDocumentKindKeys(t *testing.T) {
	for _, k := range []string{"findings", "policy_digest", "generated_at", "summary", "snapshot"} {
		if !reportKeys[k] || snapshotKeys[k] {
			t.Errorf("%q: report key %v, snapshot key %v; want a report key only", k, reportKeys[k], snapshotKeys[k])
		}
	}
	for _, k := range []string{"collected_at", "started_at", "scope", "images", "snapshots", "keys", "account_regions", "organization", "partition", "errors", "proposed", "deep_scans"} {
		if !snapshotKeys[k] || reportKeys[k] {
			t.Errorf("%q: snapshot key %v, report key %v; want a snapshot key only", k, snapshotKeys[k], reportKeys[k])
		}
	}
	for _, k := range []string{"schema_version", "tool", "rules", "Rules"} {
		if reportKeys[k] || snapshotKeys[k] {
			t.Errorf("%q tells nothing apart, yet is a key of one kind", k)
		}
	}
	for doc, want := range map[string]string{
		`{"schema_version": "1", "tool": {}, "findings": []}`:       "report",
		`{"schema_version": "1", "tool": {}, "collected_at": "x"}`:  "snapshot",
		`{"schema_version": "1", "deep_scans": [], "findings": []}`: "snapshot",
		`{"schema_version": "1"}`:                                   "",
		`[1]`:                                                       "",
	} {
		if got := documentKind([]byte(doc)); got != want {
			t.Errorf("documentKind(%s) = %q, want %q", doc, got, want)
		}
	}
}

// TestDiffReadsRunsAsReportDoes: diff reads a run through the loader report
// uses, so an evidence bundle directory is a run (its report.json), on
// either side, against a JSON report or a snapshot; a directory that is no
// bundle is refused as report refuses it.
func TestDiffReadsRunsAsReportDoes(t *testing.T) {
	dir := bundle(t)
	recorded := filepath.Join(dir, "report.json")
	today := nextNight(t, t.TempDir())
	todayReport := filepath.Join(t.TempDir(), "today.json")
	if code, _, stderr := amiaudit(t, "", "evaluate", today, "--config", exampleConfig, "--fail-on", "none", "--format", "json", "--output", todayReport); code != 0 {
		t.Fatalf("evaluate: exit %d: %s", code, stderr)
	}
	for _, pair := range [][2]string{{dir, todayReport}, {todayReport, dir}, {dir, today}} {
		want := pair
		for i, p := range want {
			if p == dir {
				want[i] = recorded
			}
		}
		code, got, stderr := amiaudit(t, "", "diff", pair[0], pair[1], "--format", "json", "--fail-on", "none")
		if code != 0 {
			t.Errorf("diff %s %s: exit %d: %s", pair[0], pair[1], code, stderr)
			continue
		}
		_, expected, _ := amiaudit(t, "", "diff", want[0], want[1], "--format", "json", "--fail-on", "none")
		if got != expected || !strings.Contains(got, `"new": [`) {
			t.Errorf("diff %s %s differs from the diff of the bundle's report.json:\n%s\nwant\n%s", pair[0], pair[1], got, expected)
		}
	}
	notBundle := t.TempDir()
	code, out, stderr := amiaudit(t, "", "diff", notBundle, todayReport)
	if code != exitUsage || out != "" || !strings.Contains(stderr, "must be an evidence bundle") || !strings.Contains(stderr, "manifest.json") {
		t.Errorf("diff of a directory that is no bundle: exit %d, %q", code, stderr)
	}
}
