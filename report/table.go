package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/amiaudit/amiaudit/finding"
)

const (
	// defaultTableWidth is assumed when the output is not a terminal: wide
	// enough for CI logs, narrow enough to read in a pager.
	defaultTableWidth = 120
	// minMessageWidth keeps a sentence readable even when the other columns
	// already fill the terminal; the terminal then wraps the line instead.
	minMessageWidth = 30
	// tableOverhead is what the borders and cell padding of six columns take.
	tableOverhead = 3*4 + 1
)

// The account and region go under the resource ID, so that the message, the
// part people read, keeps most of the width.
var tableHeader = []string{"SEVERITY", "RULE", "RESOURCE", "MESSAGE"}

const (
	resourceColumn = 2
	messageColumn  = 3
	// maxResourceWidth fits a KMS key ID (36 characters) on one line.
	maxResourceWidth = 36
)

// Plain ANSI SGR sequences: one coloured cell needs no colour library.
const ansiReset = "\x1b[0m"

var severityColors = map[finding.Severity]string{
	finding.Critical: "\x1b[1;31m", // bold red
	finding.High:     "\x1b[31m",   // red
	finding.Medium:   "\x1b[33m",   // yellow
	finding.Low:      "\x1b[36m",   // cyan
	finding.Info:     "\x1b[2m",    // dim
}

// tableWriter writes findings as a table for people at a terminal.
type tableWriter struct {
	opts Options
}

func (tab *tableWriter) Write(w io.Writer, r *finding.Report) error {
	if r == nil {
		return errNilReport
	}
	// Rendered in memory first: tablewriter does not report a failing writer,
	// and a half-drawn table helps nobody.
	var buf bytes.Buffer
	switch {
	case len(r.Findings) == 0:
		buf.WriteString("No findings.\n")
	case tab.opts.Summary:
		if err := tab.writeSummary(&buf, r); err != nil {
			return fmt.Errorf("write summary table: %w", err)
		}
	default:
		if err := tab.writeTable(&buf, r.Findings); err != nil {
			return fmt.Errorf("write table report: %w", err)
		}
	}
	buf.WriteString(summaryLine(r.Findings) + "\n")
	if line := snapshotLine(r.Snapshot); line != "" {
		buf.WriteString(line + "\n")
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write table report: %w", err)
	}
	return nil
}

func (tab *tableWriter) writeTable(buf *bytes.Buffer, findings []finding.Finding) error {
	rows := make([][]string, 0, len(findings))
	for _, f := range groupBySeverity(findings) {
		rows = append(rows, []string{
			tab.severityCell(f),
			sanitize(f.RuleID),
			sanitize(f.Resource.ID),
			sanitize(strings.Trim(f.Resource.Account+" "+f.Resource.Region, " ")),
			sanitize(f.Message),
		})
	}
	// Resource IDs are short except KMS key IDs and SCAN-001 scopes; wrapping
	// those keeps the message column readable.
	for i, row := range rows {
		resource := wrap(row[resourceColumn], maxResourceWidth)
		if where := row[resourceColumn+1]; where != "" {
			resource = append(resource, where)
		}
		rows[i] = []string{row[0], row[1], strings.Join(resource, "\n"), row[messageColumn+1]}
	}
	width := tab.messageWidth(rows)
	for _, row := range rows {
		row[messageColumn] = strings.Join(wrap(row[messageColumn], width), "\n")
	}

	table := tablewriter.NewTable(buf,
		// The header is upper case as written; auto-format would also turn
		// "_" and "." into spaces.
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		// Messages are wrapped here, at word boundaries and to a width chosen
		// from the terminal; the library must neither re-wrap nor truncate.
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		// Without a line between rows, wrapped messages run together.
		tablewriter.WithRendition(tw.Rendition{Settings: tw.Settings{
			Separators: tw.Separators{BetweenRows: tw.On},
		}}),
	)
	table.Header(tableHeader)
	for _, row := range rows {
		if err := table.Append(row); err != nil {
			return err
		}
	}
	return table.Render()
}

// groupBySeverity orders findings critical first, keeping the report's order
// within a severity; unknown severities come last rather than vanish.
func groupBySeverity(findings []finding.Finding) []*finding.Finding {
	out := make([]*finding.Finding, 0, len(findings))
	for _, sev := range finding.Severities {
		for i := range findings {
			if findings[i].Severity == sev {
				out = append(out, &findings[i])
			}
		}
	}
	for i := range findings {
		if findings[i].Severity.Rank() < 0 {
			out = append(out, &findings[i])
		}
	}
	return out
}

func (tab *tableWriter) severityCell(f *finding.Finding) string {
	cell := sanitize(string(f.Severity))
	if color, ok := severityColors[f.Severity]; ok && tab.opts.Color {
		cell = color + cell + ansiReset
	}
	switch {
	case f.Waived():
		cell += "\nwaived"
	case f.ExpiredWaiver():
		cell += "\nwaiver expired"
	}
	return cell
}

// messageWidth gives the message column what the terminal has left.
func (tab *tableWriter) messageWidth(rows [][]string) int {
	total := tab.opts.Width
	if total <= 0 {
		total = defaultTableWidth
	}
	widths := make([]int, len(tableHeader))
	for i, h := range tableHeader {
		widths[i] = twwidth.Width(h)
	}
	for _, row := range rows {
		for i, cell := range row[:messageColumn] {
			for _, line := range strings.Split(cell, "\n") {
				widths[i] = max(widths[i], twwidth.Width(line))
			}
		}
	}
	left := total - tableOverhead
	for _, w := range widths[:messageColumn] {
		left -= w
	}
	return max(left, minMessageWidth)
}

// wrap breaks text into lines of at most width columns at spaces, and cuts
// words longer than a line (ARNs, key policies) where they must.
func wrap(text string, width int) []string {
	var lines []string
	for _, para := range strings.Split(text, "\n") {
		var line strings.Builder
		lineWidth := 0
		flush := func() {
			lines = append(lines, line.String())
			line.Reset()
			lineWidth = 0
		}
		words := strings.Fields(para)
		if len(words) == 0 {
			flush()
			continue
		}
		for _, word := range words {
			ww := twwidth.Width(word)
			if lineWidth > 0 && lineWidth+1+ww > width {
				flush()
			}
			if lineWidth > 0 {
				line.WriteByte(' ')
				lineWidth++
			}
			for ww > width-lineWidth {
				head, rest := cutWidth(word, width-lineWidth)
				line.WriteString(head)
				flush()
				word, ww = rest, twwidth.Width(rest)
			}
			line.WriteString(word)
			lineWidth += ww
		}
		flush()
	}
	return lines
}

// cutWidth splits s after at most width columns, and after at least one rune
// so that wrapping always progresses.
func cutWidth(s string, width int) (head, rest string) {
	used := 0
	for i, r := range s {
		rw := twwidth.Width(string(r))
		if used+rw > width && i > 0 {
			return s[:i], s[i:]
		}
		used += rw
	}
	return s, ""
}

// sanitize makes control characters visible. Messages quote AMI names and
// tags, which anyone sharing an image controls: an escape sequence in them
// must not reach the terminal. Newlines survive; they only split the cell.
func sanitize(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return r != '\n' && unicode.IsControl(r) }) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteRune(r)
		case r == '\t':
			b.WriteByte(' ')
		case unicode.IsControl(r):
			fmt.Fprintf(&b, "\\x%02x", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// summaryLine counts findings the way the exit code sees them: waived
// findings are counted apart from their severity.
func summaryLine(findings []finding.Finding) string {
	s := finding.Summarize(findings)
	noun := "findings"
	if len(findings) == 1 {
		noun = "finding"
	}
	return fmt.Sprintf("%d %s: %s", len(findings), noun, severityCounts(s))
}

// severityCounts writes a summary as the table and diff summaries print it:
// "1 critical, 2 high, 0 medium, 0 low, 0 info; 3 waived", the severity
// scale highest first.
func severityCounts(s finding.Summary) string {
	parts := make([]string, len(finding.Severities))
	for i, sev := range finding.Severities {
		parts[i] = fmt.Sprintf("%d %s", s.Count(sev), sev)
	}
	return fmt.Sprintf("%s; %d waived", strings.Join(parts, ", "), s.Waived)
}

func snapshotLine(s finding.SnapshotInfo) string {
	line := "Snapshot"
	sum := strings.TrimPrefix(s.SHA256, "sha256:")
	if sum != "" {
		if len(sum) > 12 {
			sum = sum[:12]
		}
		line += " sha256:" + sanitize(sum)
	}
	if !s.CollectedAt.IsZero() {
		if sum != "" {
			line += ","
		}
		line += " collected " + s.CollectedAt.UTC().Format(time.RFC3339)
	}
	if line == "Snapshot" {
		return ""
	}
	if inc := s.Incremental; inc != nil {
		base := strings.TrimPrefix(inc.BaselineSHA256, "sha256:")
		if len(base) > 12 {
			base = base[:12]
		}
		line += fmt.Sprintf(", incremental from sha256:%s (%d of %d account-regions read in full, %d events, %d resources read, %d carried over)",
			sanitize(base), inc.ReadInFull, inc.AccountRegions, inc.Events, inc.ReRead, inc.CarriedOver)
	}
	return line
}
