package report

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/amiaudit/amiaudit/finding"
)

// The summary view (--summary) counts findings per account (rows) and rule
// (columns) instead of listing them: an organization with hundreds of
// accounts gets one line per account. Counts are of unwaived findings, as the
// exit code sees them; waived findings are counted apart. When the rules do
// not fit the terminal's width, the matrix is split into several tables, each
// repeating the account column.

const (
	summaryAccountHeader = "ACCOUNT"
	summaryTotalHeader   = "TOTAL"
	summaryWaivedHeader  = "WAIVED"
	// noAccount names findings whose resource has no account.
	noAccount = "(none)"
	// summaryCellPadding is what borders and padding add to each column.
	summaryCellPadding = 3
)

type summaryCounts struct {
	accounts []string
	rules    []finding.Rule // rules that fired, critical first, then by ID
	open     map[[2]string]int
	waived   map[string]int // per account
	perRule  map[string]int
	perAcct  map[string]int
	total    int
	waivedN  int
}

func countSummary(r *finding.Report) *summaryCounts {
	c := &summaryCounts{
		open: map[[2]string]int{}, waived: map[string]int{},
		perRule: map[string]int{}, perAcct: map[string]int{},
	}
	loaded := rulesByID(r.Rules)
	seenAcct := map[string]bool{}
	seenRule := map[string]bool{}
	for i := range r.Findings {
		f := &r.Findings[i]
		acct := f.Resource.Account
		if acct == "" {
			acct = noAccount
		}
		if !seenAcct[acct] {
			seenAcct[acct] = true
			c.accounts = append(c.accounts, acct)
		}
		if !seenRule[f.RuleID] {
			seenRule[f.RuleID] = true
			rule, ok := loaded[f.RuleID]
			if !ok {
				rule = finding.Rule{ID: f.RuleID, Title: f.Title, Severity: f.Severity}
			}
			c.rules = append(c.rules, rule)
		}
		if f.Waived() {
			c.waived[acct]++
			c.waivedN++
			continue
		}
		c.open[[2]string{acct, f.RuleID}]++
		c.perRule[f.RuleID]++
		c.perAcct[acct]++
		c.total++
	}
	sort.Strings(c.accounts)
	sort.SliceStable(c.rules, func(i, j int) bool {
		a, b := c.rules[i], c.rules[j]
		if ra, rb := a.Severity.Rank(), b.Severity.Rank(); ra != rb {
			return ra > rb
		}
		return a.ID < b.ID
	})
	return c
}

func (tab *tableWriter) writeSummary(buf *bytes.Buffer, r *finding.Report) error {
	c := countSummary(r)
	width := tab.opts.Width
	if width <= 0 {
		width = defaultTableWidth
	}
	fmt.Fprintf(buf, "Unwaived findings per account and rule (%d accounts, %d rules):\n", len(c.accounts), len(c.rules))

	acctWidth := twwidth.Width(summaryAccountHeader)
	for _, a := range c.accounts {
		acctWidth = max(acctWidth, twwidth.Width(sanitize(a)))
	}
	tail := len(summaryTotalHeader) + len(summaryWaivedHeader) + 2*summaryCellPadding
	for _, chunk := range chunkRules(c, width-acctWidth-summaryCellPadding-1, tail) {
		if err := tab.summaryTable(buf, c, chunk.rules, chunk.last); err != nil {
			return err
		}
	}
	buf.WriteString("Rules:\n")
	for _, rule := range c.rules {
		sev := fmt.Sprintf("%-8s", sanitize(string(rule.Severity)))
		if color, ok := severityColors[rule.Severity]; ok && tab.opts.Color {
			sev = color + sev + ansiReset
		}
		fmt.Fprintf(buf, "  %-9s %s %s\n", sanitize(rule.ID), sev, sanitize(rule.Title))
	}
	return nil
}

type ruleChunk struct {
	rules []finding.Rule
	last  bool
}

// chunkRules splits the rule columns into tables that fit in room columns;
// the last table also holds the TOTAL and WAIVED columns (tail columns wide).
// A table always gets at least one rule, however narrow the terminal.
func chunkRules(c *summaryCounts, room, tail int) []ruleChunk {
	var chunks []ruleChunk
	var cur []finding.Rule
	used := 0
	for i, rule := range c.rules {
		w := max(twwidth.Width(rule.ID), len(strconv.Itoa(c.perRule[rule.ID]))) + summaryCellPadding
		need := w
		if i == len(c.rules)-1 {
			need += tail
		}
		if len(cur) > 0 && used+need > room {
			chunks = append(chunks, ruleChunk{rules: cur})
			cur, used = nil, 0
		}
		cur = append(cur, rule)
		used += w
	}
	return append(chunks, ruleChunk{rules: cur, last: true})
}

func (tab *tableWriter) summaryTable(buf *bytes.Buffer, c *summaryCounts, rules []finding.Rule, last bool) error {
	header := []string{summaryAccountHeader}
	for _, rule := range rules {
		header = append(header, sanitize(rule.ID))
	}
	if last {
		header = append(header, summaryTotalHeader, summaryWaivedHeader)
	}
	alignment := make([]tw.Align, len(header))
	for i := range alignment {
		alignment[i] = tw.AlignRight
	}
	alignment[0] = tw.AlignLeft
	table := tablewriter.NewTable(buf,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: alignment}),
		tablewriter.WithFooterAlignmentConfig(tw.CellAlignment{PerColumn: alignment}),
		tablewriter.WithFooterAutoFormat(tw.Off),
	)
	table.Header(header)
	for _, acct := range c.accounts {
		row := []string{sanitize(acct)}
		for _, rule := range rules {
			row = append(row, countCell(c.open[[2]string{acct, rule.ID}]))
		}
		if last {
			row = append(row, countCell(c.perAcct[acct]), countCell(c.waived[acct]))
		}
		if err := table.Append(row); err != nil {
			return err
		}
	}
	footer := []string{summaryTotalHeader}
	for _, rule := range rules {
		footer = append(footer, countCell(c.perRule[rule.ID]))
	}
	if last {
		footer = append(footer, countCell(c.total), countCell(c.waivedN))
	}
	table.Footer(footer)
	return table.Render()
}

// countCell leaves zeros as a dash, so that the counts stand out in a sparse
// matrix.
func countCell(n int) string {
	if n == 0 {
		return "-"
	}
	return strconv.Itoa(n)
}
