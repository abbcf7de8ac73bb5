package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var htmlData = regexp.MustCompile(`(?s)<script type="application/json" id="amiaudit-data">(.*?)</script>`)

type pageFinding struct {
	Rule   string `json:"r"`
	ID     string `json:"id"`
	Change string `json:"c"`
}

// pageFindings reads the findings an HTML report carries.
func pageFindings(t *testing.T, path string) (string, []pageFinding) {
	t.Helper()
	page, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := htmlData.FindSubmatch(page)
	if m == nil {
		t.Fatalf("%s has no data element", path)
	}
	var p struct {
		Findings []pageFinding `json:"findings"`
	}
	if err := json.Unmarshal(m[1], &p); err != nil {
		t.Fatal(err)
	}
	return string(page), p.Findings
}

func changes(fs []pageFinding) map[string][]string {
	out := map[string][]string{}
	for _, f := range fs {
		out[f.Change] = append(out[f.Change], f.Rule+" "+f.ID)
	}
	return out
}

// The page's new and resolved are the diff command's: same runs, same answer.
func TestReportBaselineAgreesWithDiff(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "yesterday.json")
	if code, _, stderr := amiaudit(t, "", "evaluate", exampleSnapshot, "--config", exampleConfig, "--fail-on", "none", "--output", old); code != 0 {
		t.Fatalf("evaluate: exit %d: %s", code, stderr)
	}
	today := nextNight(t, dir)
	page := filepath.Join(dir, "today.html")
	code, _, stderr := amiaudit(t, "", "evaluate", today, "--config", exampleConfig, "--fail-on", "none", "--baseline", old, "--output", page)
	if code != 0 {
		t.Fatalf("evaluate --baseline: exit %d: %s", code, stderr)
	}
	html, fs := pageFindings(t, page)
	got := changes(fs)

	_, out, stderr := amiaudit(t, "", "diff", old, today, "--config", exampleConfig, "--format", "json", "--fail-on", "none")
	var d struct {
		New, Resolved, Unchanged []struct {
			RuleID   string `json:"rule_id"`
			Resource struct {
				ID string `json:"id"`
			} `json:"resource"`
		}
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("diff: %v: %s", err, stderr)
	}
	if len(d.New) == 0 || len(d.Resolved) == 0 {
		t.Fatalf("fixture: the next night should have new and resolved findings: %s", out)
	}
	for name, want := range map[string]int{"new": len(d.New), "resolved": len(d.Resolved), "unchanged": len(d.Unchanged)} {
		if len(got[name]) != want {
			t.Errorf("%d %s on the page, diff says %d: %v", len(got[name]), name, want, got[name])
		}
	}
	for _, f := range d.New {
		if !strings.Contains(strings.Join(got["new"], "\n"), f.RuleID+" "+f.Resource.ID) {
			t.Errorf("diff's new %s %s is not new on the page", f.RuleID, f.Resource.ID)
		}
	}
	if !strings.Contains(html, "Since <strong>"+old+"</strong>") {
		t.Error("the page does not name its baseline")
	}

	// A snapshot as baseline is evaluated with the same configuration: same marks.
	page2 := filepath.Join(dir, "today2.html")
	if code, _, stderr := amiaudit(t, "", "report", today, "--config", exampleConfig, "--fail-on", "none", "--baseline", exampleSnapshot, "--output", page2); code != 0 {
		t.Fatalf("report --baseline SNAPSHOT: exit %d: %s", code, stderr)
	}
	_, fs2 := pageFindings(t, page2)
	if g2 := changes(fs2); len(g2["new"]) != len(got["new"]) || len(g2["resolved"]) != len(got["resolved"]) {
		t.Errorf("snapshot baseline gives %v, report baseline %v", g2, got)
	}
}

func TestBaselineNeedsHTML(t *testing.T) {
	for _, args := range [][]string{
		{"evaluate", exampleSnapshot, "--format", "json", "--baseline", exampleSnapshot},
		{"report", exampleSnapshot, "--format", "table", "--baseline", exampleSnapshot},
		{"report", "--trend", exampleSnapshot, "--format", "sarif"},
		{"diff", exampleSnapshot, exampleSnapshot, "--format", "html"},
	} {
		code, _, stderr := amiaudit(t, "", args...)
		if code != exitUsage || !strings.Contains(stderr, "--format html") {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a pointer to --format html", args, code, stderr)
		}
	}
}

func TestReportUsageErrors(t *testing.T) {
	empty := t.TempDir()
	notBundle := t.TempDir()
	// A report.json does not make a directory a bundle: its manifest does.
	reportOnly := t.TempDir()
	_, saved, _ := amiaudit(t, "", "evaluate", exampleSnapshot, "--format", "json", "--fail-on", "none")
	writeFile(t, filepath.Join(reportOnly, "report.json"), saved)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"report"}, "expects a run"},
		{[]string{"report", exampleSnapshot, exampleSnapshot, "--format", "html"}, "add --trend"},
		{[]string{"report", "--trend", empty, "--output", filepath.Join(empty, "t.html")}, "holds no evidence bundle"},
		{[]string{"report", notBundle, "--format", "json"}, "must be an evidence bundle"},
		{[]string{"report", reportOnly, "--format", "json"}, "no manifest.json"},
		{[]string{"report", exampleConfig, "--format", "json"}, exampleConfig},
		{[]string{"report", "--trend", filepath.Join(empty, "missing"), "--format", "html"}, "no such file"},
		{[]string{"report", "-", "--baseline", "-", "--format", "html"}, "not - (standard input)"},
	}
	for _, c := range cases {
		code, _, stderr := amiaudit(t, "", c.args...)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, stderr, c.want)
		}
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Errorf("a failed report left %v behind", entries)
	}
}

// A saved JSON report renders as evaluate rendered it: the rules' metadata
// comes from the policies loaded, when they are the ones it was evaluated with.
func TestReportRerendersASavedReport(t *testing.T) {
	dir := t.TempDir()
	saved := filepath.Join(dir, "report.json")
	if code, _, stderr := amiaudit(t, "", "evaluate", exampleSnapshot, "--config", exampleConfig, "--fail-on", "none", "--output", saved); code != 0 {
		t.Fatalf("evaluate: exit %d: %s", code, stderr)
	}
	for _, format := range []string{"sarif", "table", "json"} {
		_, direct, _ := amiaudit(t, "", "evaluate", exampleSnapshot, "--config", exampleConfig, "--fail-on", "none", "--format", format)
		code, again, stderr := amiaudit(t, "", "report", saved, "--fail-on", "none", "--format", format)
		if code != 0 || again != direct {
			t.Errorf("%s: report of the saved run differs from evaluate's (exit %d, %s)", format, code, stderr)
		}
	}
	// --fail-on applies to the run rendered, as in evaluate.
	if code, _, _ := amiaudit(t, "", "report", saved, "--format", "json"); code != exitFindings {
		t.Errorf("report with high findings: exit %d, want 1", code)
	}
}

// shiftCollection moves a snapshot file's collection time.
func shiftCollection(t *testing.T, path string, by time.Duration) {
	t.Helper()
	doc := readDoc(t, path)
	doc.CollectedAt = doc.CollectedAt.Add(by)
	if doc.StartedAt != nil {
		s := doc.StartedAt.Add(by)
		doc.StartedAt = &s
	}
	writeDoc(t, path, doc)
}

// Three nightly evidence bundles: the page shows the newest, compared with
// the night before, and a trend over the three, in collection order.
func TestReportTrendOverEvidenceBundles(t *testing.T) {
	dir := t.TempDir()
	audits := filepath.Join(dir, "audits")
	nights := []struct {
		name    string
		shift   time.Duration
		changed bool
	}{
		// Named so that name order is not time order.
		{"c-first", 0, false},
		{"a-second", 24 * time.Hour, true},
		{"b-third", 48 * time.Hour, true},
	}
	for _, n := range nights {
		snap := filepath.Join(dir, n.name+".json.gz")
		if n.changed {
			changedNight(t, snap, n.name == "b-third")
		} else {
			writeDoc(t, snap, readExample(t))
		}
		shiftCollection(t, snap, n.shift)
		if code, _, stderr := amiaudit(t, "", "evaluate", snap, "--config", exampleConfig, "--fail-on", "none", "--format", "json",
			"--output", filepath.Join(dir, n.name+".report.json"), "--evidence", filepath.Join(audits, n.name)); code != 0 {
			t.Fatalf("evaluate %s: exit %d: %s", n.name, code, stderr)
		}
	}
	out := filepath.Join(dir, "trend.html")
	code, _, stderr := amiaudit(t, "", "report", "--trend", audits, "--output", out, "--fail-on", "none")
	if code != 0 {
		t.Fatalf("report --trend: exit %d: %s", code, stderr)
	}
	page, fs := pageFindings(t, out)
	if !strings.Contains(page, "Since <strong>"+filepath.Join(audits, "a-second")+"</strong>") {
		t.Error("the newest run is not compared with the one before it")
	}
	first := strings.Index(page, "<td>"+filepath.Join(audits, "c-first")+"</td>")
	second := strings.Index(page, "<td>"+filepath.Join(audits, "a-second")+"</td>")
	third := strings.Index(page, "<td>"+filepath.Join(audits, "b-third")+"</td>")
	if first < 0 || second < 0 || third < 0 || first > second || second > third {
		t.Errorf("trend rows not in collection order: %d %d %d", first, second, third)
	}
	got := changes(fs)
	if len(got["new"]) == 0 || len(got["resolved"]) != 0 {
		t.Errorf("third night against the second: %v, want the findings of the one new share, nothing resolved", got)
	}
	for _, f := range got["new"] {
		if !strings.HasSuffix(f, " ami-0a1b2c3d4e5f60008") {
			t.Errorf("new on the third night: %s, want only the newly shared ami-0a1b2c3d4e5f60008", f)
		}
	}

	// The same series given as reports, in any order, draws the same trend.
	out2 := filepath.Join(dir, "trend2.html")
	if code, _, stderr := amiaudit(t, "", "report", "--trend", filepath.Join(dir, "b-third.report.json"), filepath.Join(dir, "c-first.report.json"),
		filepath.Join(dir, "a-second.report.json"), "--output", out2, "--fail-on", "none"); code != 0 {
		t.Fatalf("report --trend files: exit %d: %s", code, stderr)
	}
	page2, _ := pageFindings(t, out2)
	if n1, n2 := strings.Count(page, "<circle"), strings.Count(page2, "<circle"); n1 != 18 || n2 != 18 {
		t.Errorf("%d and %d trend points, want 18 (3 runs × 6 series)", n1, n2)
	}
}

// TestIsRunFile: a directory given to --trend holds JSON reports and
// snapshots beside files of other formats; which is which is
// report.FormatForPath's answer, compressed or not.
func TestIsRunFile(t *testing.T) {
	for name, want := range map[string]bool{
		"run.json":          true,
		"RUN.JSON":          true,
		"snapshot.json.gz":  true,
		"Snapshot.JSON.GZ":  true,
		"run.sarif.json":    false,
		"run.sarif.json.gz": false, // a compressed SARIF log is no run
		"run.ocsf.json":     false,
		"run.asff.json.gz":  false,
		"run.html":          false,
		"run.csv.gz":        false,
		"notes.txt":         false,
		"archive.gz":        false,
		"json":              false,
	} {
		if got := isRunFile(name); got != want {
			t.Errorf("isRunFile(%q) = %v, want %v", name, got, want)
		}
	}
}
