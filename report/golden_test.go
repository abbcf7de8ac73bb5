package report

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/olekukonko/tablewriter/pkg/twwidth"

	"github.com/amiaudit/amiaudit/finding"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func TestMain(m *testing.M) {
	// tablewriter guesses East Asian widths from the locale and terminal; the
	// ambiguous-width "…" in the fixture would then pad differently, so the
	// golden tables are pinned to the narrow widths of a Western locale.
	twwidth.SetOptions(twwidth.Options{})
	os.Exit(m.Run())
}

func TestGolden(t *testing.T) {
	tests := []struct {
		golden string
		format string
		opts   Options
		report func() *finding.Report
	}{
		{"report.table.golden", FormatTable, Options{}, testReport},
		{"report.table-color.golden", FormatTable, Options{Color: true, Width: 100}, testReport},
		{"empty.table.golden", FormatTable, Options{}, emptyReport},
		{"report.json.golden", FormatJSON, Options{}, testReport},
		{"report.sarif.golden", FormatSARIF, Options{}, testReport},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			checkGolden(t, tt.golden, "go test ./report", func() []byte { return render(t, tt.format, tt.opts, tt.report()) })
		})
	}
}

// checkGolden renders twice (same input, same bytes: the output is evidence
// and is diffed) and compares with testdata/golden, or rewrites it under
// -update; rerun is the go test command that -update is added to.
func checkGolden(t *testing.T, golden, rerun string, render func() []byte) {
	t.Helper()
	got := render()
	if again := render(); !bytes.Equal(got, again) {
		t.Fatal("two writes of the same report differ")
	}
	path := filepath.Join("testdata", golden)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run %s -update to create it)", err, rerun)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (review, then %s -update):\n%s", path, rerun, firstDiff(want, got))
	}
}

func render(t testing.TB, format string, opts Options, r *finding.Report) []byte {
	t.Helper()
	w, err := New(format, opts)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := w.Write(&buf, r); err != nil {
		t.Fatalf("write %s: %v", format, err)
	}
	return buf.Bytes()
}

func firstDiff(want, got []byte) string {
	wl := strings.Split(string(want), "\n")
	gl := strings.Split(string(got), "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\n  want: %q\n  got:  %q", i+1, w, g)
		}
	}
	return "(no line differs)"
}
