package report

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/amiaudit/amiaudit/finding"
)

func TestNew(t *testing.T) {
	for _, name := range append(Formats(), " JSON ", "Sarif") {
		if _, err := New(name, Options{}); err != nil {
			t.Errorf("New(%q): %v", name, err)
		}
	}
}

func TestNewUnknownFormat(t *testing.T) {
	w, err := New("xml", Options{})
	if err == nil {
		t.Fatalf("New(xml) = %T, want an error", w)
	}
	for _, want := range []string{`"xml"`, "table, json, sarif"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestFormats(t *testing.T) {
	if got, want := Formats(), []string{"table", "json", "sarif", "html", "ocsf", "asff", "junit", "csv"}; !slices.Equal(got, want) {
		t.Errorf("Formats() = %v, want %v", got, want)
	}
}

func TestFormatForPath(t *testing.T) {
	tests := []struct {
		path   string
		format string
		ok     bool
	}{
		{"report.json", FormatJSON, true},
		{"out/REPORT.JSON", FormatJSON, true},
		{"results.sarif", FormatSARIF, true},
		{"results.sarif.json", FormatSARIF, true},
		{"/tmp/scan.txt", FormatTable, true},
		{"nightly/report.html", FormatHTML, true},
		{"REPORT.HTM", FormatHTML, true},
		{"findings.ocsf.json", FormatOCSF, true},
		{"Findings.ASFF.JSON", FormatASFF, true},
		{"junit.xml", FormatJUnit, true},
		{"audit/findings.csv", FormatCSV, true},
		{"ocsf.json", FormatJSON, true},
		{"report", "", false},
		{"report.yaml", "", false},
		{"sarif", "", false},
		{"json.d/report", "", false},
	}
	for _, tt := range tests {
		format, ok := FormatForPath(tt.path)
		if format != tt.format || ok != tt.ok {
			t.Errorf("FormatForPath(%q) = %q, %v; want %q, %v", tt.path, format, ok, tt.format, tt.ok)
		}
	}
}

func TestWritersRejectNilReport(t *testing.T) {
	for _, name := range Formats() {
		w, _ := New(name, Options{})
		if err := w.Write(&bytes.Buffer{}, nil); err == nil {
			t.Errorf("%s: Write(nil) succeeded", name)
		}
	}
}

// The JSON report is a public contract: exactly these keys, no more, no fewer.
func TestJSONKeys(t *testing.T) {
	out := render(t, FormatJSON, Options{}, testReport())
	var doc map[string]any
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	assertKeys(t, "report", doc, "schema_version", "tool", "generated_at", "snapshot", "policy_digest", "summary", "findings")
	assertKeys(t, "tool", doc["tool"], "name", "version")
	assertKeys(t, "snapshot", doc["snapshot"], "sha256", "collected_at", "accounts", "regions")
	assertKeys(t, "summary", doc["summary"], "critical", "high", "medium", "low", "info", "waived")

	findings := doc["findings"].([]any)
	if len(findings) != len(testReport().Findings) {
		t.Fatalf("%d findings, want %d", len(findings), len(testReport().Findings))
	}
	common := []string{"rule_id", "severity", "title", "message", "resource", "key", "evidence", "remediation", "waiver"}
	for i, f := range findings {
		keys := common
		if f.(map[string]any)["location"] != nil {
			keys = append(slices.Clone(common), "location")
		}
		assertKeys(t, "finding", f, keys...)
		assertKeys(t, "resource", f.(map[string]any)["resource"], "type", "id", "arn", "account", "region")
		if i == 0 && f.(map[string]any)["waiver"] != nil {
			t.Errorf("first finding: waiver = %v, want null", f.(map[string]any)["waiver"])
		}
	}
	if doc["schema_version"] != "1" {
		t.Errorf("schema_version = %v", doc["schema_version"])
	}
	if doc["generated_at"] != "2026-11-22T02:15:30Z" {
		t.Errorf("generated_at = %v, want RFC 3339 UTC", doc["generated_at"])
	}
}

func assertKeys(t *testing.T, what string, v any, want ...string) {
	t.Helper()
	obj, ok := v.(map[string]any)
	if !ok {
		t.Errorf("%s: %T, want an object", what, v)
		return
	}
	var got []string
	for k := range obj {
		got = append(got, k)
	}
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Errorf("%s keys = %v, want %v", what, got, want)
	}
}

func TestJSONEmpty(t *testing.T) {
	r := &finding.Report{} // nothing set at all
	out := string(render(t, FormatJSON, Options{}, r))
	for _, want := range []string{`"findings": []`, `"accounts": []`, `"regions": []`, `"schema_version": "1"`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "null") {
		t.Errorf("empty report has a null:\n%s", out)
	}
}

func TestJSONNoHTMLEscaping(t *testing.T) {
	out := render(t, FormatJSON, Options{}, testReport())
	if !bytes.Contains(out, []byte("web <&> base")) || bytes.Contains(out, []byte(`\u003c`)) {
		t.Error("<, > and & must be written as they are")
	}
	if !bytes.HasSuffix(out, []byte("}\n")) {
		t.Error("output must end with a newline")
	}
}

// Sorting is the caller's job; a writer that re-sorted would hide a bug there.
func TestJSONKeepsOrderAndRecountsSummary(t *testing.T) {
	r := testReport()
	slices.Reverse(r.Findings)
	r.Summary = finding.Summary{Critical: 99}
	var doc finding.Report
	if err := json.Unmarshal(render(t, FormatJSON, Options{}, r), &doc); err != nil {
		t.Fatal(err)
	}
	for i := range r.Findings {
		if doc.Findings[i].RuleID != r.Findings[i].RuleID || doc.Findings[i].Message != r.Findings[i].Message {
			t.Fatalf("finding %d is %s, want %s: the writer reordered findings", i, doc.Findings[i].RuleID, r.Findings[i].RuleID)
		}
	}
	if want := finding.Summarize(r.Findings); doc.Summary != want {
		t.Errorf("summary = %+v, want %+v", doc.Summary, want)
	}
	if r.Summary.Critical != 99 {
		t.Error("the writer modified its input")
	}
}

// TestExtensionNamesTheFormat: the extension given for each format is one
// FormatForPath reads back as that format.
func TestExtensionNamesTheFormat(t *testing.T) {
	for _, format := range Formats() {
		ext := Extension(format)
		if got, ok := FormatForPath("findings" + ext); ext == "" || !ok || got != format {
			t.Errorf("Extension(%s) = %q, which FormatForPath reads as %q (%v)", format, ext, got, ok)
		}
	}
	if Extension("xml") != "" {
		t.Error(`Extension("xml") is not ""`)
	}
}
