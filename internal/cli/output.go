package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/amiaudit/amiaudit/finding"
	"github.com/amiaudit/amiaudit/internal/atomicfile"
	"github.com/amiaudit/amiaudit/report"
)

// outputFlags are --format, --output and --fail-on: how every command that
// reports (evaluate, scan, report, gate, demo, diff, rules, verify) writes
// what it reports. They are read in one place (resolve) and the result
// written in one place (output.deliver), so that format inference, the
// terminal's colour and width, atomic files and the exit code for findings
// behave alike on every command.
type outputFlags struct {
	format string
	output string
	failOn string
}

// outputKind is what a command writes.
type outputKind struct {
	// what names it in help and logs: "report", "diff", "rule list".
	what string
	// writer names the command in the refusal of a format: "diff writes table or json".
	writer string
	// formats are the --format values accepted; the first is the default.
	formats []string
	// hint, when set, adds advice to the refusal of a format.
	hint func(format string) string
}

// reportKind is the finding report of evaluate, scan, report, gate and demo:
// every format of the report package.
var reportKind = outputKind{what: "report", writer: "amiaudit", formats: report.Formats()}

// defaultFailOn is --fail-on's default: the findings that fail a pipeline
// unless it says otherwise.
const defaultFailOn = finding.High

// failOnNone is the --fail-on value that never fails on findings.
const failOnNone = "none"

// register adds --format and --output, and --fail-on when failing is set: it
// names the findings that fail ("an unwaived finding"), and a command whose
// output has no findings ("") has no --fail-on.
func (f *outputFlags) register(fs *pflag.FlagSet, k outputKind, failing string) {
	fs.StringVarP(&f.format, "format", "f", "", fmt.Sprintf("%s format: %s (default %s, or from the --output file's extension)", k.what, strings.Join(k.formats, ", "), k.formats[0]))
	fs.StringVarP(&f.output, "output", "o", "", "write the "+k.what+" to this file, atomically (default stdout)")
	if failing != "" {
		fs.StringVar(&f.failOn, "fail-on", string(defaultFailOn), fmt.Sprintf("exit 1 when %s is at or above this severity: %s, or %s",
			failing, strings.Join(finding.SeverityNames(), ", "), failOnNone))
	}
}

// output is where and how a command writes, once the flags are checked.
type output struct {
	// format is the --format given, or the one the --output file's name
	// implies, or the kind's default; always one of the kind's formats.
	format string
	// path is the --output file; "" or "-" is standard output.
	path string
	// failOn is the --fail-on severity, "" for none.
	failOn finding.Severity
}

// resolve checks the flags, before any slow work, and settles the format:
// --format when given, else the one the --output file's extension names
// (results.sarif, changes.json), else the default. An --output file whose
// extension names a format the command does not write (rules --output
// r.sarif) is refused, whatever --format says: a file named for SARIF that
// holds a table misleads whoever opens it.
func (f *outputFlags) resolve(k outputKind) (*output, error) {
	o := &output{path: f.output, format: strings.ToLower(strings.TrimSpace(f.format))}
	inferred, named := report.FormatForPath(f.output)
	if named && !slices.Contains(k.formats, inferred) {
		var exts []string
		for _, format := range k.formats {
			exts = append(exts, report.Extension(format))
		}
		return nil, usageError(fmt.Errorf("--output %s: the name says %s, and %s writes %s: name the file %s", f.output, inferred, k.writer, orList(k.formats), orList(exts)))
	}
	if o.format == "" {
		o.format = k.formats[0]
		if named {
			o.format = inferred
		}
	}
	if !slices.Contains(k.formats, o.format) {
		hint := ""
		if k.hint != nil {
			hint = k.hint(o.format)
		}
		return nil, usageError(fmt.Errorf("--format: %s writes %s, not %q%s", k.writer, orList(k.formats), f.format, hint))
	}
	if f.failOn != "" && !strings.EqualFold(f.failOn, failOnNone) {
		sev, err := finding.ParseSeverity(f.failOn)
		if err != nil {
			return nil, usageError(fmt.Errorf("--fail-on: %w", err))
		}
		o.failOn = sev
	}
	return o, nil
}

// toStdout is true when the output goes to standard output.
func (o *output) toStdout() bool { return o.path == "" || o.path == "-" }

// deliver renders to standard output, with colour and the terminal's width
// when it is a terminal, or to the --output file, atomically: a failing
// render leaves the file as it was. logAttrs are logged with the file written.
func (o *output) deliver(e *env, what string, opts report.Options, render func(io.Writer, report.Options) error, logAttrs ...any) error {
	if o.toStdout() {
		opts.Color = colorWanted(e.stdoutTerminal)
		opts.Width = terminalWidth(e.stdout)
		return render(e.stdout, opts)
	}
	if err := atomicfile.WriteFile(o.path, func(w io.Writer) error { return render(w, opts) }); err != nil {
		return fmt.Errorf("write %s: %w", what, err)
	}
	e.log.Info(what+" written", append([]any{"file", o.path, "format", o.format}, logAttrs...)...)
	return nil
}

// failure is the exit error (code 1) when fails says there is a finding at or
// above --fail-on; nil when there is none, or with --fail-on none.
func (o *output) failure(what string, fails func(finding.Severity) bool) error {
	if o.failOn == "" || !fails(o.failOn) {
		return nil
	}
	return &exitError{code: exitFindings, err: fmt.Errorf("%s at or above %s", what, o.failOn)}
}

// orList joins names as "a, b or c".
func orList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
