package report

import (
	"strings"
	"testing"

	"github.com/olekukonko/tablewriter/pkg/twwidth"

	"github.com/amiaudit/amiaudit/finding"
)

func TestTableColor(t *testing.T) {
	plain := string(render(t, FormatTable, Options{}, testReport()))
	if strings.Contains(plain, "\x1b") {
		t.Error("plain table contains an escape code")
	}
	color := string(render(t, FormatTable, Options{Color: true}, testReport()))
	for _, want := range []string{
		"\x1b[1;31mcritical\x1b[0m", "\x1b[31mhigh\x1b[0m", "\x1b[33mmedium\x1b[0m",
		"\x1b[36mlow\x1b[0m", "\x1b[2minfo\x1b[0m",
	} {
		if !strings.Contains(color, want) {
			t.Errorf("colour table lacks %q", want)
		}
	}
}

func TestTableHeaderAsWritten(t *testing.T) {
	out := string(render(t, FormatTable, Options{}, testReport()))
	header := "│ SEVERITY       │ RULE     │ RESOURCE "
	if !strings.Contains(out, header) {
		t.Errorf("header not as written:\n%s", out)
	}
	for _, id := range []string{"AMI-001", "SNAP-002", "ACCT-003"} {
		if !strings.Contains(out, id) {
			t.Errorf("rule ID %s not shown as written", id)
		}
	}
}

func TestTableGroupsBySeverity(t *testing.T) {
	r := testReport()
	// Unsorted input: grouping is by severity, report order within a group.
	r.Findings = []finding.Finding{r.Findings[7], r.Findings[2], r.Findings[0], r.Findings[3], r.Findings[1]}
	out := string(render(t, FormatTable, Options{}, r))
	order := []string{"AMI-001", "AMI-007", "AMI-002", "AMI-004", "ACCT-003"}
	last := -1
	for _, id := range order {
		i := strings.Index(out, id)
		if i < last {
			t.Fatalf("%s out of order:\n%s", id, out)
		}
		last = i
	}
}

func TestTableWaiverMarkers(t *testing.T) {
	out := string(render(t, FormatTable, Options{}, testReport()))
	for _, want := range []string{"│ waived ", "│ waiver expired "} {
		if strings.Count(out, want) != 1 {
			t.Errorf("want %q once:\n%s", want, out)
		}
	}
}

func TestTableSummary(t *testing.T) {
	out := string(render(t, FormatTable, Options{}, testReport()))
	for _, want := range []string{
		"\n8 findings: 2 critical, 2 high, 1 medium, 1 low, 1 info; 1 waived\n",
		"\nSnapshot sha256:9f86d081884c, collected 2026-11-22T02:00:00Z\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}

	one := testReport()
	one.Findings = one.Findings[:1]
	if out := string(render(t, FormatTable, Options{}, one)); !strings.Contains(out, "\n1 finding: 1 critical,") {
		t.Errorf("singular summary wrong:\n%s", out)
	}
}

func TestTableNoFindings(t *testing.T) {
	out := string(render(t, FormatTable, Options{}, &finding.Report{}))
	want := "No findings.\n0 findings: 0 critical, 0 high, 0 medium, 0 low, 0 info; 0 waived\n"
	if out != want {
		t.Errorf("got %q, want %q", out, want)
	}
}

func TestTableWidth(t *testing.T) {
	r := testReport()
	r.Findings = r.Findings[:5] // AMIs and a snapshot, the common case
	for _, width := range []int{120, 160} {
		out := string(render(t, FormatTable, Options{Width: width}, r))
		for _, line := range strings.Split(out, "\n") {
			if w := twwidth.Width(line); w > width {
				t.Errorf("width %d: line of %d columns: %s", width, w, line)
			}
		}
	}
	// Too narrow a terminal: messages keep a readable minimum width.
	out := string(render(t, FormatTable, Options{Width: 40}, r))
	if !strings.Contains(out, "│ AMI ami-0a1b2c3d4e5f60718 (web │") {
		t.Errorf("message not wrapped at %d columns:\n%s", minMessageWidth, out)
	}
}

func TestTableSanitizesControlCharacters(t *testing.T) {
	r := testReport()
	r.Findings = r.Findings[:1]
	r.Findings[0].Message = "AMI named \x1b]0;pwned\x07\x1b[2J is public"
	for _, opts := range []Options{{}, {Color: true}} {
		out := string(render(t, FormatTable, opts, r))
		if strings.Contains(out, "\x1b]") || strings.Contains(out, "\x1b[2J") || strings.Contains(out, "\x07") {
			t.Errorf("control characters from a message reached the terminal: %q", out)
		}
		if !strings.Contains(out, `\x1b]0;pwned\x07\x1b[2J`) {
			t.Errorf("escaped message not shown: %q", out)
		}
	}
}

func TestWrap(t *testing.T) {
	tests := []struct {
		text  string
		width int
		want  []string
	}{
		{"", 10, []string{""}},
		{"short", 10, []string{"short"}},
		{"one two three four", 9, []string{"one two", "three", "four"}},
		{"a arn:aws:kms:us-east-1:1:key/abc b", 10, []string{"a", "arn:aws:km", "s:us-east-", "1:1:key/ab", "c b"}},
		{"first\nsecond line", 20, []string{"first", "second line"}},
		{"  spaced   out  ", 20, []string{"spaced out"}},
	}
	for _, tt := range tests {
		got := wrap(tt.text, tt.width)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("wrap(%q, %d) = %q, want %q", tt.text, tt.width, got, tt.want)
		}
	}
}
