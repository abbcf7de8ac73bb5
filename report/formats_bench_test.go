package report

import (
	"fmt"
	"testing"

	"github.com/amiaudit/amiaudit/finding"
)

// largeReport is a large organization's night: n findings spread over 500
// accounts, two regions and the fixture's rules, with evidence.
func largeReport(n int) *finding.Report {
	r := testReport()
	base := testFindings()
	r.Findings = make([]finding.Finding, n)
	for i := range r.Findings {
		f := base[i%len(base)]
		account := fmt.Sprintf("%012d", 100000000000+i%500)
		id := fmt.Sprintf("ami-%017x", i)
		f.Resource = amiResource(id, account, []string{region1, region2}[i%2])
		f.Message = fmt.Sprintf("AMI %s in %s: %s", id, account, f.Message)
		r.Findings[i] = f
	}
	finding.Sort(r.Findings)
	return r
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// BenchmarkFormats50k renders 50,000 findings in each format of this file's
// writers; bytes/finding is reported beside the time.
func BenchmarkFormats50k(b *testing.B) {
	r := largeReport(50_000)
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{FormatOCSF, Options{}}, {FormatASFF, Options{}}, {FormatJUnit, Options{}}, {FormatCSV, Options{}},
		{"table-summary", Options{Summary: true}},
	} {
		format := tc.name
		if format == "table-summary" {
			format = FormatTable
		}
		b.Run(tc.name, func(b *testing.B) {
			w, err := New(format, tc.opts)
			if err != nil {
				b.Fatal(err)
			}
			var size int64
			for b.Loop() {
				c := &countingWriter{}
				if err := w.Write(c, r); err != nil {
					b.Fatal(err)
				}
				size = c.n
			}
			b.ReportMetric(float64(size)/1e6, "MB")
		})
	}
}
