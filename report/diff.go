package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/amiaudit/amiaudit/finding"
)

// WriteDiff renders what changed between two runs: as tables of the new,
// resolved and unchanged findings (format table), or as the JSON object
// {"new", "resolved", "unchanged", "summary"} (format json).
func WriteDiff(w io.Writer, d *finding.Diff, format string, opts Options) error {
	if d == nil {
		return fmt.Errorf("write diff: nil diff")
	}
	var buf bytes.Buffer
	switch strings.ToLower(strings.TrimSpace(format)) {
	case FormatJSON:
		out := *d
		out.New, out.Resolved, out.Unchanged = withEvidence(d.New), withEvidence(d.Resolved), withEvidence(d.Unchanged)
		if err := encodeIndented(&buf, &out); err != nil {
			return fmt.Errorf("write JSON diff: %w", err)
		}
	case FormatTable:
		tab := &tableWriter{opts: opts}
		fmt.Fprintf(&buf, "%d new, %d resolved, %d unchanged\n", d.Summary.New, d.Summary.Resolved, d.Summary.Unchanged)
		for _, section := range []struct {
			title    string
			findings []finding.Finding
		}{{"New", d.New}, {"Resolved", d.Resolved}, {"Unchanged", d.Unchanged}} {
			if len(section.findings) == 0 {
				fmt.Fprintf(&buf, "\n%s: none.\n", section.title)
				continue
			}
			fmt.Fprintf(&buf, "\n%s (%d):\n", section.title, len(section.findings))
			if err := tab.writeTable(&buf, section.findings); err != nil {
				return fmt.Errorf("write table diff: %w", err)
			}
		}
		if n := d.Summary.NewBySeverity; d.Summary.New > 0 {
			fmt.Fprintf(&buf, "\nNew findings: %d critical, %d high, %d medium, %d low, %d info; %d waived\n",
				n.Critical, n.High, n.Medium, n.Low, n.Info, n.Waived)
		}
	default:
		return fmt.Errorf("unknown diff format %q: expected %s or %s", format, FormatTable, FormatJSON)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write diff: %w", err)
	}
	return nil
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
