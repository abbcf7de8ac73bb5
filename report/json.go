package report

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/amiaudit/amiaudit/finding"
)

// jsonWriter writes the JSON report of the interface contract.
type jsonWriter struct{}

func (jsonWriter) Write(w io.Writer, r *finding.Report) error {
	if r == nil {
		return errNilReport
	}
	out := normalize(r)
	if err := encodeIndented(w, &out); err != nil {
		return fmt.Errorf("write JSON report: %w", err)
	}
	return nil
}

// encodeIndented writes v as JSON indented by two spaces, the shape of every
// JSON document amiaudit writes for people and scripts alike. Evidence quotes
// AMI names and key policies verbatim; \u003c in place of < would only make
// them harder to read and grep.
func encodeIndented(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// normalize returns a copy of r in the shape the contract promises, whatever
// the caller left unset: lists are [] rather than null, times are UTC, and the
// summary counts exactly the findings listed (it is recomputed rather than
// trusted, so that the two can never disagree). Findings keep their order.
func normalize(r *finding.Report) finding.Report {
	out := *r
	if out.SchemaVersion == "" {
		out.SchemaVersion = finding.ReportSchemaVersion
	}
	if out.Tool.Name == "" {
		out.Tool.Name = toolName
	}
	out.GeneratedAt = out.GeneratedAt.UTC()
	out.Snapshot.CollectedAt = out.Snapshot.CollectedAt.UTC()
	out.Snapshot.Accounts = nonNil(out.Snapshot.Accounts)
	out.Snapshot.Regions = nonNil(out.Snapshot.Regions)
	out.Summary = finding.Summarize(r.Findings)
	out.Findings = make([]finding.Finding, len(r.Findings))
	copy(out.Findings, r.Findings)
	for i := range out.Findings {
		if out.Findings[i].Evidence == nil {
			out.Findings[i].Evidence = map[string]any{}
		}
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
