package report

import (
	"fmt"
	"strings"
	"testing"

	"github.com/olekukonko/tablewriter/pkg/twwidth"

	"github.com/amiaudit/amiaudit/finding"
)

func TestSummaryCounts(t *testing.T) {
	c := countSummary(testReport())
	if strings.Join(c.accounts, ",") != accountA+","+accountB {
		t.Errorf("accounts %v", c.accounts)
	}
	// Rules ordered critical first, then by ID.
	var ids []string
	for _, r := range c.rules {
		ids = append(ids, r.ID)
	}
	if got := strings.Join(ids, ","); got != "AMI-001,AMI-007,AMI-002,AMI-004,SNAP-002,KMS-003,ACCT-003,AMI-009" {
		t.Errorf("rule order %s", got)
	}
	// Account A: AMI-001, AMI-004, SNAP-002 (expired waiver counts), AMI-009
	// open and AMI-002 waived; account B: AMI-007, KMS-003, ACCT-003.
	if c.perAcct[accountA] != 4 || c.waived[accountA] != 1 || c.perAcct[accountB] != 3 || c.waived[accountB] != 0 {
		t.Errorf("per account %v waived %v", c.perAcct, c.waived)
	}
	if c.total != 7 || c.waivedN != 1 || c.open[[2]string{accountA, "AMI-002"}] != 0 || c.open[[2]string{accountA, "SNAP-002"}] != 1 {
		t.Errorf("total %d waived %d open %v", c.total, c.waivedN, c.open)
	}
}

func TestSummaryFitsTheTerminal(t *testing.T) {
	// A large organization: 40 accounts, 12 rules.
	r := &finding.Report{}
	for a := 0; a < 40; a++ {
		for k := 0; k < 12; k++ {
			if (a+k)%3 == 0 {
				continue
			}
			r.Findings = append(r.Findings, finding.Finding{
				RuleID: fmt.Sprintf("RULE-%03d", k), Severity: finding.High, Title: "t",
				Resource: finding.Resource{Type: "ami", ARN: fmt.Sprintf("arn:%d:%d", a, k), Account: fmt.Sprintf("%012d", a)},
			})
		}
	}
	for _, width := range []int{80, 120, 200} {
		out := string(render(t, FormatTable, Options{Summary: true, Width: width}, r))
		for _, line := range strings.Split(out, "\n") {
			if w := twwidth.Width(line); w > width {
				t.Errorf("width %d: line of %d columns: %s", width, w, line)
			}
		}
		// Every rule appears in a header exactly once, and so does TOTAL.
		for k := 0; k < 12; k++ {
			if n := strings.Count(out, fmt.Sprintf("│ RULE-%03d ", k)); n != 1 {
				t.Errorf("width %d: RULE-%03d in %d headers", width, k, n)
			}
		}
		if n := strings.Count(out, "│ TOTAL │ WAIVED │"); n != 1 {
			t.Errorf("width %d: %d TOTAL columns", width, n)
		}
		if !strings.Contains(out, "│ 000000000039 ") {
			t.Errorf("width %d: an account row is missing", width)
		}
	}
}

func TestSummaryNoFindings(t *testing.T) {
	out := string(render(t, FormatTable, Options{Summary: true}, &finding.Report{}))
	if !strings.HasPrefix(out, "No findings.\n") {
		t.Errorf("got %q", out)
	}
}

func TestSummaryColor(t *testing.T) {
	plain := string(render(t, FormatTable, Options{Summary: true}, testReport()))
	if strings.Contains(plain, "\x1b") {
		t.Error("plain summary contains an escape code")
	}
	color := string(render(t, FormatTable, Options{Summary: true, Color: true}, testReport()))
	for _, want := range []string{"  AMI-001   \x1b[1;31mcritical\x1b[0m AMI is public\n", "  KMS-003   \x1b[33mmedium  \x1b[0m Key backing"} {
		if !strings.Contains(color, want) {
			t.Errorf("colour summary lacks %q:\n%s", want, color)
		}
	}
}
