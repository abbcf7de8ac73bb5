package report

import (
	"bytes"
	"os"
	"path/filepath"
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
			got := render(t, tt.format, tt.opts, tt.report())
			if again := render(t, tt.format, tt.opts, tt.report()); !bytes.Equal(got, again) {
				t.Fatal("two writes of the same report differ")
			}
			path := filepath.Join("testdata", tt.golden)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./report -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the output (review, then go test ./report -update):\n%s", path, firstDiff(want, got))
			}
		})
	}
}
