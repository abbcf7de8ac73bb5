package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"reflect"
	"strings"

	"github.com/spf13/cobra"

	"github.com/amiaudit/amiaudit/evidence"
	"github.com/amiaudit/amiaudit/finding"
	"github.com/amiaudit/amiaudit/report"
	"github.com/amiaudit/amiaudit/snapshot"
)

func newDiffCommand(e *env) *cobra.Command {
	var f reportFlags
	cmd := &cobra.Command{
		Use:   "diff OLD NEW",
		Short: "List the findings that are new, resolved and unchanged between two runs",
		Long: `Compare two runs, each given as a JSON report ('--format json'), as a
snapshot document (.json or .json.gz), which is then evaluated with --config
and --policy as 'amiaudit evaluate' would, or as an evidence bundle directory
(its report.json), read as 'amiaudit report' reads a run. The kind of each
file is told from its top-level keys. Use - to read one from standard input.

A finding is the same in both runs when its rule, resource ARN and key (the
grantee, path, detector or statement that tells apart the rule's findings on
one resource) are, whatever its wording: an AMI shared with one more account
gives a new finding for that account, while a count that changed in a message
does not. Reports written before findings had keys are matched by message.

Exit codes: 0 no new unwaived finding at or above --fail-on; 1 there is one
(for nightly notifications); 2 usage, configuration, policy or input error.`,
		Example: `  amiaudit diff yesterday.json today.json
  amiaudit diff snapshots/2026-11-19.json.gz snapshots/2026-11-20.json.gz --config amiaudit.yaml
  amiaudit diff last-report.json today.json.gz --fail-on critical
  amiaudit diff evidence/2026-11-19 evidence/2026-11-20
  amiaudit diff yesterday.json today.json --output changes.json || notify-security-team changes.json`,
		Args: exactArgs(2, "two runs to compare: OLD NEW (JSON reports, snapshots or evidence bundles)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			out, err := f.resolve(diffKind)
			if err != nil {
				return err
			}
			if args[0] == "-" && args[1] == "-" {
				return usageError(errors.New("only one of OLD and NEW can be read from stdin"))
			}
			older, err := readRun(e.log, args[0], e.stdin)
			if err != nil {
				return err
			}
			newer, err := readRun(e.log, args[1], e.stdin)
			if err != nil {
				return err
			}
			if err := evaluateRuns(ctx, e, &f, older, newer); err != nil {
				return err
			}
			d := finding.Compare(older.findings, newer.findings)
			if err := out.deliver(e, "diff", report.Options{}, func(w io.Writer, opts report.Options) error {
				return report.WriteDiff(w, d, out.format, opts)
			}); err != nil {
				return err
			}
			e.log.Info("compared", "old", args[0], "new", args[1], "new_findings", d.Summary.New, "resolved", d.Summary.Resolved, "unchanged", d.Summary.Unchanged)
			return out.failure("new findings", d.NewFailsAt)
		},
	}
	fs := cmd.Flags()
	f.outputFlags.register(fs, diffKind, "a new unwaived finding")
	fs.StringVarP(&f.config, "config", "c", "", "configuration file for evaluating snapshots (ignored for reports)")
	fs.StringArrayVarP(&f.policies, "policy", "p", nil, "directory (or file) of extra Rego rules for evaluating snapshots; repeatable")
	return cmd
}

// diffKind is what diff writes: the changes as tables, or as JSON for scripts.
var diffKind = outputKind{what: "diff", writer: "diff", formats: []string{report.FormatTable, report.FormatJSON},
	hint: func(format string) string {
		if format == report.FormatHTML {
			return " (for a page that marks what is new and resolved: amiaudit report NEW --baseline OLD --format html)"
		}
		return ""
	}}

// run is one saved run (one side of a diff, a report's run, a --baseline):
// a recorded report, or a snapshot to evaluate.
type run struct {
	name     string
	doc      *snapshot.Document
	sum      string
	report   *finding.Report
	findings []finding.Finding
}

// readRun reads one saved run, alike for every command that takes one
// (report, diff, --baseline, --trend): an evidence bundle directory stands for
// its JSON report (evidence.Open knows where it is); a file (or - for standard
// input) is a JSON report or a snapshot document, gzip-compressed or not.
func readRun(log *slog.Logger, path string, stdin io.Reader) (*run, error) {
	if fi, err := os.Stat(path); err != nil || !fi.IsDir() {
		return decodeRun(log, path, stdin)
	}
	b, err := evidence.Open(path)
	if err != nil {
		return nil, usageError(fmt.Errorf("a directory given as a run must be an evidence bundle: %w", err))
	}
	r, err := decodeRun(log, b.Report, stdin)
	if err != nil {
		return nil, err
	}
	r.name = path
	return r, nil
}

// decodeRun reads a JSON report or a snapshot document, telling them apart by
// their top-level keys.
func decodeRun(log *slog.Logger, name string, stdin io.Reader) (*run, error) {
	data, name, err := readInput(name, stdin)
	if err != nil {
		return nil, usageError(fmt.Errorf("read %s: %w", name, err))
	}
	plain, err := snapshot.Inflate(name, data)
	if err != nil {
		return nil, usageError(err)
	}
	r := &run{name: name}
	switch documentKind(plain) {
	case "report":
		if r.report, err = finding.DecodeReport(name, plain); err != nil {
			return nil, usageError(err)
		}
		r.findings = r.report.Findings
	case "snapshot":
		if r.doc, r.sum, err = decodeSnapshot(log, name, data); err != nil {
			return nil, err
		}
	default:
		return nil, usageError(fmt.Errorf("%s: neither a JSON report (top-level findings) nor a snapshot document (top-level collected_at)", name))
	}
	return r, nil
}

// The top-level keys that tell a JSON report from a snapshot document: those
// of one type and not the other (both have schema_version and tool), read
// from the types' JSON tags so that a field added to either is known here.
var (
	reportKeys   = onlyKeys(reflect.TypeFor[finding.Report](), reflect.TypeFor[snapshot.Document]())
	snapshotKeys = onlyKeys(reflect.TypeFor[snapshot.Document](), reflect.TypeFor[finding.Report]())
)

// onlyKeys are the JSON keys of struct a that struct b does not have.
func onlyKeys(a, b reflect.Type) map[string]bool {
	keys := func(t reflect.Type) map[string]bool {
		out := map[string]bool{}
		for f := range t.Fields() {
			if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
				out[name] = true
			}
		}
		return out
	}
	only, other := keys(a), keys(b)
	for k := range other {
		delete(only, k)
	}
	return only
}

// documentKind reads top-level keys until one tells a report from a
// snapshot, without decoding the rest.
func documentKind(data []byte) string {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return ""
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		key, _ := tok.(string)
		switch {
		case reportKeys[key]:
			return "report"
		case snapshotKeys[key]:
			return "snapshot"
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return ""
		}
	}
	return ""
}

// evaluateRuns evaluates the snapshots among the runs, with the one
// configuration and policy bundle, as of now.
func evaluateRuns(ctx context.Context, e *env, f *reportFlags, runs ...*run) error {
	var snapshots []*run
	for _, r := range runs {
		if r.doc != nil {
			snapshots = append(snapshots, r)
		}
	}
	if len(snapshots) == 0 {
		if f.config != "" || len(f.policies) > 0 {
			e.log.Warn("--config and --policy apply to snapshots only; both runs are reports")
		}
		if a, b := runs[0].report.PolicyDigest, runs[1].report.PolicyDigest; a != b {
			e.log.Warn("the reports were evaluated with different policies: some changes may come from the rules", "old", a, "new", b)
		}
		return nil
	}
	p, err := (&reportFlags{outputFlags: outputFlags{format: report.FormatJSON}, config: f.config, policies: f.policies}).prepare(ctx)
	if err != nil {
		return err
	}
	for _, r := range snapshots {
		a, err := p.engine.Audit(ctx, r.doc, r.sum, p.cfg, e.now(), toolVersion())
		if err != nil {
			return usageError(fmt.Errorf("evaluate %s: %w", r.name, err))
		}
		r.findings = a.Report.Findings
	}
	for _, r := range runs {
		if r.report != nil && r.report.PolicyDigest != p.engine.Digest() {
			e.log.Warn("the report was evaluated with other policies than the snapshot: some changes may come from the rules", "report", r.name)
		}
	}
	return nil
}
