// Package report renders a finding.Report for its audiences: a table for
// people at a terminal, the JSON report for scripts and CI gates, SARIF for
// code scanning dashboards, an HTML page, OCSF for Security Lake and SIEMs,
// ASFF for Security Hub, JUnit for CI test reports and CSV for spreadsheets.
// It also draws what the other commands print, so that the CLI draws nothing
// itself: the changes between two runs (WriteDiff) and the rule and sandbox
// lists of 'amiaudit rules' (WriteRules, WriteBuiltins).
// Writers are pure: they only turn a report into bytes, so the same report
// always gives the same output. Where the bytes go (stdout or a file written
// atomically) is the CLI's one output path, not the writers' concern.
package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/amiaudit/amiaudit/finding"
)

// Writer renders a report in one format.
type Writer interface {
	Write(w io.Writer, r *finding.Report) error
}

// Options tune the human-oriented output. Machine formats ignore them, so that
// JSON and SARIF never depend on the terminal they happen to be written from.
type Options struct {
	// Color enables ANSI colours in the table.
	Color bool
	// Width is the terminal width in columns, 0 when unknown.
	Width int
	// Summary makes the table count findings per rule and account instead of
	// listing them: the view for large organizations.
	Summary bool
	// Baseline is an earlier run, for the formats UsesBaseline names: the
	// HTML page marks the findings that are new since then and lists those
	// resolved; ASFF and OCSF write the resolved ones as closed.
	Baseline *Baseline
	// Trend, for the HTML report, are runs whose counts the page draws over time.
	Trend []TrendPoint
}

// Format names, as accepted by --format.
const (
	FormatTable = "table"
	FormatJSON  = "json"
	FormatSARIF = "sarif"
	FormatOCSF  = "ocsf"
	FormatASFF  = "asff"
	FormatJUnit = "junit"
	FormatCSV   = "csv"
)

// formats is ordered as the names should appear in help and error messages;
// the first is the default. baseline, on the formats whose writers read
// Options.Baseline, says what they do with it (for help and messages).
var formats = []struct {
	name     string
	new      func(Options) Writer
	baseline string
}{
	{FormatTable, func(o Options) Writer { return &tableWriter{opts: o} }, ""},
	{FormatJSON, func(Options) Writer { return jsonWriter{} }, ""},
	{FormatSARIF, func(Options) Writer { return sarifWriter{} }, ""},
	{FormatHTML, func(o Options) Writer { return &htmlWriter{opts: o} }, "marks the findings new since it and lists those resolved"},
	{FormatOCSF, func(o Options) Writer { return ocsfWriter{opts: o} }, "writes the findings resolved since as Close events"},
	{FormatASFF, func(o Options) Writer { return asffWriter{opts: o} }, "writes the findings resolved since as archived, to close them in Security Hub"},
	{FormatJUnit, func(Options) Writer { return junitWriter{} }, ""},
	{FormatCSV, func(Options) Writer { return csvWriter{} }, ""},
}

// DefaultFormat is the format written when none is asked for (the first of Formats).
func DefaultFormat() string { return formats[0].name }

// UsesBaseline reports whether a format shows what is new and resolved
// since Options.Baseline; the others ignore it.
func UsesBaseline(format string) bool {
	return BaselineUse(format) != ""
}

// BaselineUse says what a format does with Options.Baseline, as a phrase
// ("marks the findings new since it…"); "" for the formats that ignore it.
func BaselineUse(format string) string {
	for _, f := range formats {
		if f.name == format {
			return f.baseline
		}
	}
	return ""
}

// BaselineFormats lists the formats UsesBaseline names, in the order of Formats.
func BaselineFormats() []string {
	var names []string
	for _, f := range formats {
		if f.baseline != "" {
			names = append(names, f.name)
		}
	}
	return names
}

// Formats lists the format names New accepts, the default first.
func Formats() []string {
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = f.name
	}
	return names
}

// New returns the writer for a format name.
func New(format string, opts Options) (Writer, error) {
	name := strings.ToLower(strings.TrimSpace(format))
	for _, f := range formats {
		if f.name == name {
			return f.new(opts), nil
		}
	}
	return nil, fmt.Errorf("unknown report format %q: expected one of %s", format, strings.Join(Formats(), ", "))
}

// FormatForPath guesses a format from an output file name, so that
// --output results.sarif needs no --format.
func FormatForPath(path string) (string, bool) {
	base := strings.ToLower(filepath.Base(path))
	switch {
	// Checked before .json: a .sarif.json file is SARIF, and so on. OCSF and
	// ASFF are JSON too, so only their double extensions name them.
	case strings.HasSuffix(base, ".sarif.json"), strings.HasSuffix(base, ".sarif"):
		return FormatSARIF, true
	case strings.HasSuffix(base, ".ocsf.json"):
		return FormatOCSF, true
	case strings.HasSuffix(base, ".asff.json"):
		return FormatASFF, true
	// JUnit is the only XML format amiaudit writes.
	case strings.HasSuffix(base, ".xml"):
		return FormatJUnit, true
	case strings.HasSuffix(base, ".csv"):
		return FormatCSV, true
	case strings.HasSuffix(base, ".json"):
		return FormatJSON, true
	case strings.HasSuffix(base, ".html"), strings.HasSuffix(base, ".htm"):
		return FormatHTML, true
	case strings.HasSuffix(base, ".txt"):
		return FormatTable, true
	}
	return "", false
}

// Extension is the file extension that names format for FormatForPath
// (".sarif" for sarif), "" for a name it does not know.
func Extension(format string) string {
	switch format {
	case FormatTable:
		return ".txt"
	case FormatOCSF, FormatASFF:
		return "." + format + ".json"
	case FormatJUnit:
		return ".xml"
	case FormatJSON, FormatSARIF, FormatHTML, FormatCSV:
		return "." + format
	}
	return ""
}

var errNilReport = errors.New("write report: nil report")

// writeTableOrJSON writes what a command prints, as JSON (the value asJSON
// gives, indented) or as the table draws it. Either is rendered in memory
// first, since tablewriter does not report a failing writer and half a table
// helps nobody, then written to w in one call.
func writeTableOrJSON(w io.Writer, format, what string, asJSON func() any, table func(*bytes.Buffer) error) error {
	var buf bytes.Buffer
	switch strings.ToLower(strings.TrimSpace(format)) {
	case FormatJSON:
		if err := encodeIndented(&buf, asJSON()); err != nil {
			return fmt.Errorf("write JSON %s: %w", what, err)
		}
	case FormatTable:
		if err := table(&buf); err != nil {
			return fmt.Errorf("write %s: %w", what, err)
		}
	default:
		return fmt.Errorf("unknown %s format %q: expected %s or %s", what, format, FormatTable, FormatJSON)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write %s: %w", what, err)
	}
	return nil
}
