package report

import (
	"testing"

	"github.com/amiaudit/amiaudit/finding"
)

// TestGoldenFormats pins the OCSF, ASFF, JUnit and CSV writers and the
// summary table on the fixture, as TestGolden does for the others.
func TestGoldenFormats(t *testing.T) {
	tests := []struct {
		golden string
		format string
		opts   Options
		report func() *finding.Report
	}{
		{"report.ocsf.golden", FormatOCSF, Options{}, testReport},
		{"empty.ocsf.golden", FormatOCSF, Options{}, emptyReport},
		{"report.asff.golden", FormatASFF, Options{}, testReport},
		{"report.junit.golden", FormatJUnit, Options{}, testReport},
		{"report.csv.golden", FormatCSV, Options{}, testReport},
		{"report.table-summary.golden", FormatTable, Options{Summary: true}, testReport},
		{"report.table-summary-narrow.golden", FormatTable, Options{Summary: true, Width: 50}, testReport},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			checkGolden(t, tt.golden, "go test ./report", func() []byte { return render(t, tt.format, tt.opts, tt.report()) })
		})
	}
}
