package report

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/amiaudit/amiaudit/finding"
)

// TestSeverityMappingsCoverTheScale holds every format's mapping of the
// severity scale to finding.Severities: a severity added to the scale must be
// mapped by every writer, not fall through to a writer's "unknown" default.
func TestSeverityMappingsCoverTheScale(t *testing.T) {
	maps := map[string]func(finding.Severity) bool{
		"asffSeverityLabels": func(s finding.Severity) bool { _, ok := asffSeverityLabels[s]; return ok },
		"ocsfSeverities":     func(s finding.Severity) bool { _, ok := ocsfSeverities[s]; return ok },
		"severityColors":     func(s finding.Severity) bool { _, ok := severityColors[s]; return ok },
	}
	for name, has := range maps {
		for _, sev := range finding.Severities {
			if !has(sev) {
				t.Errorf("%s has no entry for %s", name, sev)
			}
		}
	}
	for name, n := range map[string]int{"asffSeverityLabels": len(asffSeverityLabels), "ocsfSeverities": len(ocsfSeverities), "severityColors": len(severityColors)} {
		if n != len(finding.Severities) {
			t.Errorf("%s has %d entries, want one per severity (%d)", name, n, len(finding.Severities))
		}
	}
}

func TestSeverityCountsFollowTheScale(t *testing.T) {
	got := severityCounts(finding.Summary{Critical: 1, High: 2, Medium: 3, Low: 4, Info: 5, Waived: 6})
	if want := "1 critical, 2 high, 3 medium, 4 low, 5 info; 6 waived"; got != want {
		t.Errorf("severityCounts = %q, want %q", got, want)
	}
	if got := strings.Join(segmentSeverities, " "); got != "critical high medium low info waived" {
		t.Errorf("segmentSeverities = %q, want the scale then waived", got)
	}
	if got := segments(finding.Summary{Critical: 1, High: 2, Medium: 3, Low: 4, Info: 5, Waived: 6}); len(got) != 6 || got[0] != 1 || got[5] != 6 {
		t.Errorf("segments = %v, want counts in segmentSeverities' order", got)
	}
	cards := severityCards(finding.Summary{High: 7})
	if len(cards) != len(finding.Severities) || cards[1].Severity != "high" || cards[1].Count != 7 {
		t.Errorf("severityCards = %+v, want one card per severity, highest first", cards)
	}
}

// TestUsesBaselineIsWhatTheWritersRead: a format is said to use a baseline
// exactly when its output changes with one (the CLI refuses --baseline for
// the others).
func TestUsesBaselineIsWhatTheWritersRead(t *testing.T) {
	used := 0
	for _, format := range Formats() {
		without := render(t, format, Options{}, testReport())
		with := render(t, format, Options{Baseline: baselineReport()}, testReport())
		if got, want := UsesBaseline(format), !bytes.Equal(with, without); got != want {
			t.Errorf("UsesBaseline(%s) = %v, but a baseline changes its output: %v", format, got, want)
		}
		if UsesBaseline(format) {
			used++
		}
	}
	if used == 0 || UsesBaseline("nope") {
		t.Errorf("UsesBaseline: %d formats, and %v for an unknown one", used, UsesBaseline("nope"))
	}
	// BaselineFormats, which the CLI's help and messages name, are these
	// formats, each with a phrase saying what it does with the baseline.
	if got := BaselineFormats(); len(got) != used {
		t.Errorf("BaselineFormats() = %v, want the %d formats UsesBaseline names", got, used)
	}
	for _, format := range BaselineFormats() {
		if !UsesBaseline(format) || BaselineUse(format) == "" {
			t.Errorf("BaselineFormats names %s, which UsesBaseline does not, or says nothing of its use (%q)", format, BaselineUse(format))
		}
	}
}

// TestDefaultFormat: the default is the first of Formats (the CLI's
// --format default, the demo's) and a format New accepts.
func TestDefaultFormat(t *testing.T) {
	if DefaultFormat() != Formats()[0] || DefaultFormat() != FormatTable {
		t.Errorf("DefaultFormat() = %q, Formats()[0] = %q, want %q", DefaultFormat(), Formats()[0], FormatTable)
	}
	if _, err := New(DefaultFormat(), Options{}); err != nil {
		t.Error(err)
	}
}

// TestHTMLAssetsFollowTheScale: the page's script filters by a list of
// severities and its stylesheet colours each; both are static files, so a
// test holds them to finding.Severities (the template ranges over the scale).
func TestHTMLAssetsFollowTheScale(t *testing.T) {
	js, err := htmlAssets.ReadFile("html/report.js")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`var SEVERITIES = \[([^\]]*)\];`).FindSubmatch(js)
	if m == nil {
		t.Fatal("report.js declares no SEVERITIES list")
	}
	want := `"` + strings.Join(finding.SeverityNames(), `", "`) + `"`
	if string(m[1]) != want {
		t.Errorf("report.js SEVERITIES = [%s], want [%s]", m[1], want)
	}
	css, err := htmlAssets.ReadFile("html/report.css")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range segmentSeverities {
		if !bytes.Contains(css, []byte("--"+s+":")) || !bytes.Contains(css, []byte(".sev-"+s+" {")) {
			t.Errorf("report.css has no colour (--%s) or .sev-%s rule", s, s)
		}
	}
}
