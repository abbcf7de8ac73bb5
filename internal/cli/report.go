package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/amiaudit/amiaudit/evidence"
	"github.com/amiaudit/amiaudit/finding"
	"github.com/amiaudit/amiaudit/report"
)

// baselineFlag is --baseline, on the commands that write a report in a format
// that shows what changed since an earlier run (report.UsesBaseline).
type baselineFlag struct {
	path string
	// loaded is the run load read, for scan's incremental collection.
	loaded *run
}

// register adds --baseline; incremental (scan) adds that a snapshot baseline
// is also where an incremental collection starts.
func (b *baselineFlag) register(fs *pflag.FlagSet, incremental bool) {
	usage := baselineUsage()
	if incremental {
		usage += "; a snapshot is also where the incremental collection starts: only what changed since is read again (docs/scale.md)"
	}
	fs.StringVar(&b.path, "baseline", "", usage)
}

// baselineUsage is --baseline's help: which formats read it and what each
// does with it, as the report package says (report.BaselineUse).
func baselineUsage() string {
	formats := report.BaselineFormats()
	uses := make([]string, len(formats))
	for i, f := range formats {
		uses[i] = f + " " + report.BaselineUse(f)
	}
	return "an earlier run (JSON report, snapshot or evidence bundle directory) to compare with, for --format " + orList(formats) + ": " + strings.Join(uses, "; ")
}

// load reads the baseline into p, once the flags are prepared: a snapshot is
// evaluated with the same configuration and policies as the run it is
// compared with, so that only the state differs.
func (b *baselineFlag) load(ctx context.Context, e *env, p *prepared) error {
	if b.path == "" {
		return nil
	}
	if b.path == "-" {
		// Standard input is the run's to read (evaluate -, report -).
		return usageError(errors.New("--baseline names a file or an evidence bundle directory, not - (standard input)"))
	}
	if !report.UsesBaseline(p.format) {
		return usageError(fmt.Errorf("--baseline goes with --format %s (not %s); 'amiaudit diff OLD NEW' compares two runs as a table or JSON", orList(report.BaselineFormats()), p.format))
	}
	r, err := loadRun(ctx, e, p, b.path)
	if err != nil {
		return err
	}
	b.loaded = r
	p.baseline = r.baseline()
	return nil
}

// loadRun reads one run for the report command, --baseline or a trend, as
// readRun reads it (a JSON report, a snapshot document or an evidence bundle
// directory), and evaluates a snapshot with p's configuration and policies.
func loadRun(ctx context.Context, e *env, p *prepared, path string) (*run, error) {
	r, err := readRun(e.log, path, e.stdin)
	if err != nil {
		return nil, err
	}
	if r.doc != nil {
		a, err := p.engine.Audit(ctx, r.doc, r.sum, p.cfg, e.now(), toolVersion())
		if err != nil {
			return nil, usageError(fmt.Errorf("evaluate %s: %w", r.name, err))
		}
		r.report, r.findings = a.Report, a.Report.Findings
	} else if r.report.PolicyDigest != p.engine.Digest() {
		e.log.Warn("the run was evaluated with other policies than those loaded now", "run", r.name, "its", r.report.PolicyDigest, "now", p.engine.Digest())
	}
	return r, nil
}

func (r *run) baseline() *report.Baseline {
	return &report.Baseline{Name: r.name, CollectedAt: r.report.Snapshot.CollectedAt, Findings: r.findings}
}

func (r *run) trendPoint() report.TrendPoint {
	return report.TrendPoint{Name: r.name, CollectedAt: r.report.Snapshot.CollectedAt, Summary: finding.Summarize(r.findings)}
}

// trendPaths expands the arguments of 'report --trend': a directory that is
// not itself an evidence bundle stands for the bundles in it and the JSON
// reports and snapshots beside them, in name order.
func trendPaths(args []string) ([]string, error) {
	var out []string
	for _, arg := range args {
		fi, err := os.Stat(arg)
		if err != nil {
			return nil, usageError(fmt.Errorf("--trend: %w", err))
		}
		if !fi.IsDir() || evidence.IsBundle(arg) {
			out = append(out, arg)
			continue
		}
		entries, err := os.ReadDir(arg)
		if err != nil {
			return nil, usageError(fmt.Errorf("--trend: %w", err))
		}
		before := len(out)
		for _, ent := range entries {
			p := filepath.Join(arg, ent.Name())
			switch {
			case ent.IsDir() && evidence.IsBundle(p):
				out = append(out, p)
			case ent.Type().IsRegular() && isRunFile(ent.Name()):
				out = append(out, p)
			}
		}
		if len(out) == before {
			return nil, usageError(fmt.Errorf("--trend: %s holds no evidence bundle, JSON report (.json) or snapshot (.json.gz)", arg))
		}
	}
	return out, nil
}

// isRunFile tells the JSON reports and snapshots (.json, or .json.gz) of a
// directory from the other formats that are often written beside them; the
// extensions are report.FormatForPath's, so a format added there is known here.
func isRunFile(name string) bool {
	n := strings.TrimSuffix(strings.ToLower(name), ".gz")
	format, ok := report.FormatForPath(n)
	return ok && format == report.FormatJSON
}

func newReportCommand(e *env) *cobra.Command {
	var f reportFlags
	var b baselineFlag
	var trend bool
	cmd := &cobra.Command{
		Use:   "report [--trend] RUN...",
		Short: "Render a saved run in any format, or an HTML page of several runs over time",
		Long: `Render a run again, in any format: a JSON report ('--format json'), a snapshot
document (.json or .json.gz, evaluated with --config and --policy as
'amiaudit evaluate' would) or an evidence bundle directory (its report.json).
Use - to read a report or snapshot from standard input.

With --format html and --baseline OLD, the page marks the findings that are
new since OLD and lists those resolved, matched as 'amiaudit diff' matches them
(same rule, resource ARN and key; by message for reports older than keys).

With --trend, the arguments are a series of runs, for instance one evidence
bundle per night: a directory that is not itself a bundle stands for the
bundles, JSON reports and snapshots in it. The runs are ordered by the time
their snapshot was collected; the page shows the newest, compared with the one
before it (unless --baseline says otherwise), and draws the open findings of
each severity, and the waived ones, over all of them.

Exit codes: 0 no unwaived finding at or above --fail-on in the run rendered;
1 there is one; 2 usage, configuration, policy or input error.`,
		Example: `  amiaudit report findings.json --format html --output findings.html
  amiaudit report today.json --baseline yesterday.json --output changes.html
  amiaudit report --trend audits/ --output trend.html --fail-on none
  amiaudit report --trend audits/2026-11-* --baseline audits/2026-11-01 --output november.html
  amiaudit report audits/2026-11-20 --format sarif --output amiaudit.sarif`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return argsError(errors.New("report expects a run to render (a JSON report, snapshot or evidence bundle), or --trend and several"))
			}
			if !trend && len(args) > 1 {
				return argsError(fmt.Errorf("report renders one run, got %d: add --trend to draw several over time", len(args)))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			p, err := f.prepare(ctx)
			if err != nil {
				return err
			}
			if trend && p.format != report.FormatHTML {
				return usageError(fmt.Errorf("--trend draws a chart: it goes with --format html (or an --output ending in .html), not %s", p.format))
			}
			if err := b.load(ctx, e, p); err != nil {
				return err
			}
			paths := args
			if trend {
				if paths, err = trendPaths(args); err != nil {
					return err
				}
			}
			runs := make([]*run, 0, len(paths))
			for _, path := range paths {
				r, err := loadRun(ctx, e, p, path)
				if err != nil {
					return err
				}
				runs = append(runs, r)
			}
			sort.SliceStable(runs, func(i, j int) bool {
				return runs[i].report.Snapshot.CollectedAt.Before(runs[j].report.Snapshot.CollectedAt)
			})
			current := runs[len(runs)-1]
			if trend {
				for _, r := range runs {
					p.trend = append(p.trend, r.trendPoint())
				}
				if b.path == "" && len(runs) > 1 {
					p.baseline = runs[len(runs)-2].baseline()
				}
			}
			rep := current.report
			if len(rep.Rules) == 0 && rep.PolicyDigest == p.engine.Digest() {
				// A JSON report does not carry the rules' metadata; the
				// policies it was evaluated with are loaded, so they give it.
				rep.Rules = p.engine.Rules()
			}
			if err := p.write(e, rep); err != nil {
				return err
			}
			e.log.Debug("rendered", "run", current.name, "collected_at", rep.Snapshot.CollectedAt.Format(time.RFC3339), "trend", len(p.trend))
			return p.failure("findings", rep.FailsAt)
		},
	}
	f.register(cmd.Flags())
	b.register(cmd.Flags(), false)
	cmd.Flags().BoolVar(&trend, "trend", false, "the arguments are a series of runs (evidence bundles, JSON reports, snapshots, or directories of them): draw their counts by severity over time (--format html)")
	return cmd
}
