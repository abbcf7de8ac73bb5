package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/amiaudit/amiaudit/finding"
	"github.com/amiaudit/amiaudit/report"
	"github.com/amiaudit/amiaudit/rules"
	"github.com/amiaudit/amiaudit/snapshot"
)

// reportFlags are the flags of every command that evaluates and reports.
type reportFlags struct {
	outputFlags
	config   string
	policies []string
	summary  bool
}

func (f *reportFlags) register(fs *pflag.FlagSet) {
	f.outputFlags.register(fs, reportKind, "an unwaived finding")
	fs.StringVarP(&f.config, "config", "c", "", "configuration file (YAML): trusted accounts, organizations and OUs, thresholds, waivers")
	fs.StringArrayVarP(&f.policies, "policy", "p", nil, "directory (or file) of extra Rego rules, added to the built-in ones; repeatable. Rules run sealed: no network, clock or randomness (amiaudit rules --builtins)")
	fs.BoolVar(&f.summary, "summary", false, "table format: count findings per account and rule instead of listing them (for large organizations)")
}

// prepared is what every evaluating command needs before it reads AWS or a
// snapshot. The output (format, file, --fail-on) is the one every reporting
// command shares.
type prepared struct {
	*output
	flags  *reportFlags
	cfg    *rules.Config
	engine *rules.Engine
	// afterReport, when set, runs once the report is written (the evidence bundle).
	afterReport func(*finding.Report) error
	// baseline and trend feed the HTML report (--baseline, report --trend).
	baseline *report.Baseline
	trend    []report.TrendPoint
}

// prepare validates the report flags and loads the configuration and the
// policies, so that usage errors surface before any slow work.
func (f *reportFlags) prepare(ctx context.Context) (*prepared, error) {
	out, err := f.resolve(reportKind)
	if err != nil {
		return nil, err
	}
	p := &prepared{output: out, flags: f}
	if f.summary && p.format != report.FormatTable {
		return nil, usageError(fmt.Errorf("--summary: the summary is a view of the table format, not of --format %s", p.format))
	}
	p.cfg = rules.DefaultConfig()
	if f.config != "" {
		cfg, err := rules.LoadConfig(f.config)
		if err != nil {
			return nil, usageError(err)
		}
		p.cfg = cfg
	}
	engine, err := rules.Load(ctx, f.policies...)
	if err != nil {
		return nil, usageError(err)
	}
	p.engine = engine
	if err := p.cfg.CheckRules(f.config, engine.Rules()); err != nil {
		return nil, usageError(err)
	}
	return p, nil
}

// audit evaluates a snapshot and writes the report; it returns the exit error
// for findings at or above --fail-on.
func (p *prepared) audit(ctx context.Context, e *env, doc *snapshot.Document, docSHA string) error {
	a, err := p.engine.Audit(ctx, doc, docSHA, p.cfg, e.now(), toolVersion())
	if err != nil {
		var pe *rules.PolicyError
		if errors.As(err, &pe) {
			return usageError(err)
		}
		return err
	}
	if err := p.deliverAudit(e, a, rules.AllFindings); err != nil {
		return err
	}
	return p.failure("findings", a.Report.FailsAt)
}

// deliverAudit is how every evaluating command ends: it logs the waiver
// warnings that rules.WaiverWarnings decides for the report's scope (all
// findings, or only those a proposed change touches), then it writes the
// report and runs afterReport.
// The caller returns p.failure for the report's findings.
func (p *prepared) deliverAudit(e *env, a *rules.Audit, scope rules.WaiverScope) error {
	for _, w := range rules.WaiverWarnings(a.Waivers, scope) {
		e.log.Warn(w.Message, w.Attrs...)
	}
	if err := p.write(e, a.Report); err != nil {
		return err
	}
	if p.afterReport != nil {
		return p.afterReport(a.Report)
	}
	return nil
}

// write writes the report through the command's output.
func (p *prepared) write(e *env, r *finding.Report) error {
	opts := report.Options{Baseline: p.baseline, Trend: p.trend, Summary: p.flags.summary}
	return p.deliver(e, "report", opts, func(w io.Writer, opts report.Options) error {
		rw, err := report.New(p.format, opts)
		if err != nil {
			return err
		}
		return rw.Write(w, r)
	}, "findings", len(r.Findings))
}

// readInput reads a file, or standard input for "-", and returns the name to
// use in messages.
func readInput(name string, stdin io.Reader) ([]byte, string, error) {
	if name == "-" {
		data, err := io.ReadAll(stdin)
		return data, "<stdin>", err
	}
	data, err := os.ReadFile(name)
	return data, name, err
}

// readSnapshot reads and strictly decodes a snapshot file, returning it with
// the sha256 of its bytes.
func readSnapshot(log *slog.Logger, name string, stdin io.Reader) (*snapshot.Document, string, error) {
	data, name, err := readInput(name, stdin)
	if err != nil {
		return nil, "", usageError(fmt.Errorf("read snapshot: %w", err))
	}
	return decodeSnapshot(log, name, data)
}

// decodeSnapshot decodes a snapshot's bytes (gzip or not) and returns it with
// the sha256 of those bytes, as they were read. Credentials an older document
// holds in clear are masked (maskSecrets).
func decodeSnapshot(log *slog.Logger, name string, data []byte) (*snapshot.Document, string, error) {
	doc, err := snapshot.Decode(name, data)
	if err != nil {
		return nil, "", usageError(err)
	}
	maskSecrets(log, name, doc)
	return doc, snapshot.FileDigest(data), nil
}

// maskSecrets masks the credentials that a snapshot written before the
// collector masked them (or edited by hand) holds in clear in AMI and snapshot
// metadata, before anything evaluates or writes the document, and warns that
// the file holds them. The findings are the same (the document records what it
// masked); reports, logs and evidence bundles get only redacted forms. The
// warning says where, never what.
func maskSecrets(log *slog.Logger, name string, doc *snapshot.Document) {
	where := doc.Mask()
	if len(where) == 0 {
		return
	}
	const shown = 5
	list := strings.Join(where[:min(len(where), shown)], ", ")
	if len(where) > shown {
		list += fmt.Sprintf(", and %d more", len(where)-shown)
	}
	log.Warn("the snapshot file holds credentials in clear: they are masked before evaluation, so reports and evidence hold only redacted forms, "+
		"but the file itself must be treated as secret: delete it, or collect again (amiaudit collect masks them)",
		"file", name, "credentials", len(where), "where", list)
}

func newEvaluateCommand(e *env) *cobra.Command {
	var f reportFlags
	var ev evidenceFlags
	var baseline baselineFlag
	cmd := &cobra.Command{
		Use:   "evaluate SNAPSHOT",
		Short: "Evaluate a snapshot offline and report findings (the linter)",
		Long: `Evaluate a snapshot document (written by 'amiaudit collect') against the
built-in rules and any --policy directories, and report the findings.

Nothing here calls AWS: the same snapshot gives the same findings on any
machine, at any later time. Age-based rules measure against the snapshot's
collected_at; waivers expire against the current time (or SOURCE_DATE_EPOCH).

Use - to read the snapshot from standard input.

A snapshot written before the collector masked credentials may hold some in
clear in AMI or snapshot metadata: amiaudit warns that the file holds secrets
(where, never what) and evaluates a masked copy, so that reports and evidence
bundles hold only redacted forms; the findings are the same.

Exit codes: 0 no unwaived finding at or above --fail-on; 1 there is one;
2 usage, configuration, policy or input error.`,
		Example: `  amiaudit evaluate snapshot.json
  amiaudit evaluate snapshot.json --config amiaudit.yaml --format json --output report.json
  amiaudit evaluate snapshot.json --policy ./our-rules --fail-on critical
  gunzip -c snapshot.json.gz | amiaudit evaluate -
  amiaudit evaluate snapshot.json.gz --config amiaudit.yaml --evidence audit-2026-11-20 --sign-key audit.key
  amiaudit evaluate today.json.gz --config amiaudit.yaml --baseline yesterday.json --output findings.html`,
		Args: exactArgs(1, "a snapshot file (or - for stdin)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if err := ev.validate(); err != nil {
				return err
			}
			p, err := f.prepare(ctx)
			if err != nil {
				return err
			}
			if err := baseline.load(ctx, e, p); err != nil {
				return err
			}
			doc, sum, err := readSnapshot(e.log, args[0], e.stdin)
			if err != nil {
				return err
			}
			e.log.Debug("snapshot read", "file", args[0], "images", len(doc.Images), "snapshots", len(doc.Snapshots), "keys", len(doc.Keys))
			ev.attach(e, p, doc)
			return p.audit(ctx, e, doc, sum)
		},
	}
	f.register(cmd.Flags())
	ev.register(cmd.Flags())
	baseline.register(cmd.Flags(), false)
	return cmd
}

func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return argsError(fmt.Errorf("%s expects %s, got %d arguments", cmd.CommandPath(), what, len(args)))
		}
		return nil
	}
}
