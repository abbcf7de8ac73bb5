package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/amiaudit/amiaudit/finding"
)

// CSVColumns are the columns of the CSV report, in order. They are a contract
// (spreadsheets and scripts address them by name): add columns at the end,
// never rename or reorder them. docs/report-formats.md describes each.
var CSVColumns = []string{
	"rule_id", "severity", "title",
	"resource_type", "resource_id", "resource_arn", "account", "region",
	"message", "remediation",
	"waiver_status", "waiver_reason", "waiver_approved_by", "waiver_expires",
	"location_file", "location_address",
	"finding_id", "evidence",
}

// csvWriter writes one row per finding, in the report's order, as RFC 4180
// CSV (CRLF line ends, quotes where needed).
type csvWriter struct{}

func (csvWriter) Write(w io.Writer, r *finding.Report) error {
	if r == nil {
		return errNilReport
	}
	rep := normalize(r)
	// Rendered in memory: encoding/csv reports a failing writer only at Flush,
	// and a file cut after some rows would look complete to a spreadsheet.
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	cw.UseCRLF = true
	if err := cw.Write(CSVColumns); err != nil {
		return fmt.Errorf("write CSV report: %w", err)
	}
	for i := range rep.Findings {
		if err := cw.Write(csvRow(&rep.Findings[i])); err != nil {
			return fmt.Errorf("write CSV report: finding %d: %w", i, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write CSV report: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write CSV report: %w", err)
	}
	return nil
}

func csvRow(f *finding.Finding) []string {
	var waiverStatus, reason, approvedBy, expires string
	if w := f.Waiver; w != nil {
		waiverStatus, reason, approvedBy, expires = w.Status, w.Reason, w.ApprovedBy, w.Expires
	}
	var file, address string
	if l := f.Location; l != nil {
		file, address = l.File, l.Address
	}
	evidence := "{}"
	if len(f.Evidence) > 0 {
		if ev, err := compactJSON(f.Evidence); err == nil {
			evidence = ev
		}
	}
	row := []string{
		f.RuleID, string(f.Severity), f.Title,
		f.Resource.Type, f.Resource.ID, f.Resource.ARN, f.Resource.Account, f.Resource.Region,
		f.Message, f.Remediation,
		waiverStatus, reason, approvedBy, expires,
		file, address,
		findingID(f), evidence,
	}
	for i := range row {
		row[i] = csvSafe(csvCap(row[i]))
	}
	return row
}

// csvMaxCell is the most characters a spreadsheet cell holds (Excel's limit);
// a longer one would be cut by the spreadsheet without a word.
const csvMaxCell = 32767

// csvCap cuts a cell that a spreadsheet could not hold, and says so in it.
// Only evidence (a large key policy, say) gets this long; the JSON report
// always has it whole.
func csvCap(s string) string {
	n := utf8.RuneCountInString(s)
	if n <= csvMaxCell {
		return s
	}
	note := fmt.Sprintf(" …[cut: %d characters; the JSON report has them all]", n)
	return string([]rune(s)[:csvMaxCell-utf8.RuneCountInString(note)]) + note
}

// csvSafe defuses formula injection: a spreadsheet evaluates a cell that
// starts with =, +, - or @ (and, in some, a tab or carriage return) as a
// formula, and AMI names, tags and descriptions are chosen by whoever shares
// an image. Such a cell gets a leading apostrophe, which spreadsheets show as
// text (OWASP, "CSV Injection").
func csvSafe(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// compactJSON writes v on one line, keeping <, > and & as they are: evidence
// quotes AMI names, and \u003c would only make them harder to read.
func compactJSON(v any) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}
