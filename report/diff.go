package report

import (
	"bytes"
	"fmt"
	"io"

	"github.com/amiaudit/amiaudit/finding"
)

// WriteDiff renders what changed between two runs: as tables of the new,
// resolved and unchanged findings (format table), or as the JSON object
// {"new", "resolved", "unchanged", "summary"} (format json).
func WriteDiff(w io.Writer, d *finding.Diff, format string, opts Options) error {
	if d == nil {
		return fmt.Errorf("write diff: nil diff")
	}
	asJSON := func() any {
		out := *d
		out.New, out.Resolved, out.Unchanged = withEvidence(d.New), withEvidence(d.Resolved), withEvidence(d.Unchanged)
		return &out
	}
	return writeTableOrJSON(w, format, "diff", asJSON, func(buf *bytes.Buffer) error {
		tab := &tableWriter{opts: opts}
		fmt.Fprintf(buf, "%d new, %d resolved, %d unchanged\n", d.Summary.New, d.Summary.Resolved, d.Summary.Unchanged)
		for _, section := range []struct {
			title    string
			findings []finding.Finding
		}{{"New", d.New}, {"Resolved", d.Resolved}, {"Unchanged", d.Unchanged}} {
			if len(section.findings) == 0 {
				fmt.Fprintf(buf, "\n%s: none.\n", section.title)
				continue
			}
			fmt.Fprintf(buf, "\n%s (%d):\n", section.title, len(section.findings))
			if err := tab.writeTable(buf, section.findings); err != nil {
				return err
			}
		}
		if n := d.Summary.NewBySeverity; d.Summary.New > 0 {
			fmt.Fprintf(buf, "\nNew findings: %s\n", severityCounts(n))
		}
		return nil
	})
}

// withEvidence gives every finding an evidence object, as the JSON report does.
func withEvidence(fs []finding.Finding) []finding.Finding {
	out := make([]finding.Finding, len(fs))
	copy(out, fs)
	for i := range out {
		if out[i].Evidence == nil {
			out[i].Evidence = map[string]any{}
		}
	}
	return out
}
