package rules

import (
	"context"
	"time"

	"github.com/amiaudit/amiaudit/finding"
	"github.com/amiaudit/amiaudit/snapshot"
)

// Audit is one evaluation's outcome: the report and how each waiver fared.
type Audit struct {
	Report  *finding.Report
	Waivers []WaiverUse
}

// Audit evaluates a snapshot, applies the configuration's waivers as of now,
// and assembles the report. snapshotSHA256 is the hex digest of the snapshot
// file as read.
func (e *Engine) Audit(ctx context.Context, doc *snapshot.Document, snapshotSHA256 string, cfg *Config, now time.Time, toolVersion string) (*Audit, error) {
	if cfg == nil {
		cfg = DefaultConfig()
	}
	fs, err := e.Evaluate(ctx, doc, cfg)
	if err != nil {
		return nil, err
	}
	return e.AuditFindings(doc, snapshotSHA256, cfg, now, toolVersion, fs), nil
}

// AuditFindings applies the waivers to findings already evaluated (and
// perhaps filtered, as the gate does) and assembles the report.
func (e *Engine) AuditFindings(doc *snapshot.Document, snapshotSHA256 string, cfg *Config, now time.Time, toolVersion string, fs []finding.Finding) *Audit {
	if cfg == nil {
		cfg = DefaultConfig()
	}
	finding.Sort(fs)
	uses := ApplyWaivers(fs, cfg.Waivers, now)
	if fs == nil {
		fs = []finding.Finding{}
	}
	r := &finding.Report{
		SchemaVersion: finding.ReportSchemaVersion,
		Tool:          finding.Tool{Name: finding.ToolName, Version: toolVersion},
		GeneratedAt:   now.UTC(),
		Snapshot: finding.SnapshotInfo{
			SHA256:      snapshotSHA256,
			CollectedAt: doc.CollectedAt.UTC(),
			Accounts:    nonNil(doc.Scope.Accounts),
			Regions:     nonNil(doc.Scope.Regions),
			Incremental: incrementalInfo(doc.Incremental),
		},
		PolicyDigest: e.Digest(),
		Summary:      finding.Summarize(fs),
		Findings:     fs,
		Rules:        e.Rules(),
	}
	return &Audit{Report: r, Waivers: uses}
}

// incrementalInfo summarises a snapshot's incremental record for reports.
func incrementalInfo(inc *snapshot.Incremental) *finding.IncrementalInfo {
	if inc == nil {
		return nil
	}
	out := &finding.IncrementalInfo{BaselineSHA256: inc.BaselineSHA256, AccountRegions: len(inc.AccountRegions)}
	for _, s := range inc.AccountRegions {
		if s.Mode == snapshot.ModeFull {
			out.ReadInFull++
		}
		out.Events += s.Events
		out.ReRead += s.ReRead.Images + s.ReRead.Snapshots + s.ReRead.Keys
		out.CarriedOver += s.CarriedOver.Images + s.CarriedOver.Snapshots + s.CarriedOver.Keys
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
