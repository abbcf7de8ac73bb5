package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/amiaudit/amiaudit/collector"
	"github.com/amiaudit/amiaudit/internal/atomicfile"
	"github.com/amiaudit/amiaudit/internal/awsid"
	"github.com/amiaudit/amiaudit/report"
	"github.com/amiaudit/amiaudit/snapshot"
)

// scopeFlags are the flags of every command that reads AWS.
type scopeFlags struct {
	accounts    []string
	org         bool
	regions     []string
	role        string
	externalID  string
	profile     string
	concurrency int
	rate        float64
	burst       int
	shard       string
	faults      faultFlags
	incremental incrementalFlags
	deep        deepFlags // registered by scan only
}

// register adds the flags; onDeadline is what the command does at
// --max-duration (deadlineCollect, deadlineScan).
func (f *scopeFlags) register(fs *pflag.FlagSet, onDeadline string) {
	fs.StringSliceVar(&f.accounts, "accounts", nil, "account IDs to scan, comma-separated (default: the caller's own account)")
	fs.BoolVar(&f.org, "org", false, "scan every active account of the organization (from the management or a delegated administrator account)")
	fs.StringSliceVar(&f.regions, "regions", nil, "regions to scan, comma-separated (default: every region enabled for the caller's account)")
	fs.StringVar(&f.role, "role", "", "role name to assume in each account other than the caller's own, e.g. amiaudit-reader")
	fs.StringVar(&f.externalID, "external-id", "", "external ID for --role")
	fs.StringVar(&f.profile, "profile", "", "AWS shared config profile (default: the SDK's chain: AWS_PROFILE, env, SSO, IMDS)")
	fs.IntVar(&f.concurrency, "concurrency", collector.DefaultConcurrency, "account-regions read at once")
	fs.Float64Var(&f.rate, "api-rate", collector.DefaultRatePerSecond, "API calls per second per account-region (AWS's refill rate for EC2 describe calls)")
	fs.IntVar(&f.burst, "api-burst", collector.DefaultBurst, "API call burst per account-region (AWS's EC2 describe bucket size)")
	fs.StringVar(&f.shard, "shard", "", "scan only shard K of N of the accounts (K/N), for runs split across machines")
	f.faults.register(fs, 0, onDeadline)
}

func (f *scopeFlags) validate() error {
	for _, a := range f.accounts {
		if !awsid.IsAccountID(a) {
			return usageError(fmt.Errorf("--accounts: %q is not a 12-digit account ID", a))
		}
	}
	if len(f.accounts) > 0 && f.org {
		return usageError(errors.New("--accounts and --org exclude each other: name the accounts, or take them all from the organization"))
	}
	if f.externalID != "" && f.role == "" {
		return usageError(errors.New("--external-id goes with --role"))
	}
	if f.concurrency < 1 || f.rate <= 0 || f.burst < 1 {
		return usageError(errors.New("--concurrency, --api-rate and --api-burst must be positive"))
	}
	if f.shard != "" {
		if _, _, err := snapshot.ParseShard(f.shard); err != nil {
			return usageError(fmt.Errorf("--shard %q: %w", f.shard, err))
		}
	}
	if err := f.faults.validate(); err != nil {
		return err
	}
	if err := f.incremental.validate(); err != nil {
		return err
	}
	return f.deep.validate()
}

// collect reads AWS as the flags say. Nothing it reads is written anywhere yet.
func (f *scopeFlags) collect(ctx context.Context, e *env) (*snapshot.Document, error) {
	var loadOpts []func(*config.LoadOptions) error
	if f.profile != "" {
		loadOpts = append(loadOpts, config.WithSharedConfigProfile(f.profile))
	}
	start := e.now()
	cfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return nil, incompleteError(explainAWS(fmt.Errorf("load AWS configuration: %w", err), effectiveProfile(f.profile)))
	}
	opts := collector.Options{
		Accounts: f.accounts, Org: f.org, Regions: f.regions,
		Role: f.role, ExternalID: f.externalID,
		Concurrency: f.concurrency, RatePerSecond: f.rate, Burst: f.burst,
		Shard: f.shard, Log: e.log, Now: e.now, ToolVersion: toolVersion(),
	}
	f.deep.apply(&opts)
	f.faults.apply(&opts, start)
	if err := f.incremental.apply(e, &opts); err != nil {
		return nil, err
	}
	if e.stderrTerminal && os.Getenv("CI") == "" {
		opts.Progress = newProgressBar(e.stderr)
	}
	doc, err := collector.Collect(ctx, cfg, opts)
	if opts.Progress != nil {
		opts.Progress.(*progressBar).finish()
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, incompleteError(errors.New("interrupted: nothing was written"))
		}
		return nil, incompleteError(explainAWS(fmt.Errorf("collect: %w", err), effectiveProfile(f.profile)))
	}
	e.log.Info("collected", "accounts", len(doc.Scope.Accounts), "regions", len(doc.Scope.Regions),
		"images", len(doc.Images), "snapshots", len(doc.Snapshots), "keys", len(doc.Keys), "errors", len(doc.Errors))
	logIncremental(e, doc.Incremental)
	return doc, nil
}

// effectiveProfile is the shared config profile the SDK uses: --profile, or
// AWS_PROFILE.
func effectiveProfile(flag string) string {
	if flag != "" {
		return flag
	}
	return os.Getenv("AWS_PROFILE")
}

// whyNothingRead names the common cause when every error is the same
// first-run mistake: a --role that no account lets the caller assume.
func whyNothingRead(doc *snapshot.Document, role string) string {
	codes := map[string]bool{}
	for _, e := range doc.Errors {
		if e.Service != "sts" || e.Action != "AssumeRole" {
			return ""
		}
		codes[e.Code] = true
	}
	if len(codes) == 0 {
		return ""
	}
	return fmt.Sprintf(": role %q could not be assumed in any account (%s); deploy it to the member accounts (docs/deploy) with a trust policy for the scanning identity, or check --role and --external-id",
		role, strings.Join(slices.Sorted(maps.Keys(codes)), ", "))
}

// writeSnapshot writes the document atomically (gzip for .gz) and returns the
// sha256 of the bytes written.
func writeSnapshot(path string, doc *snapshot.Document, stdout io.Writer) (string, error) {
	h := sha256.New()
	write := func(w io.Writer) error { return doc.Encode(io.MultiWriter(w, h), path) }
	if path == "-" {
		// Written first: the digest is of the bytes written.
		if err := write(stdout); err != nil {
			return "", fmt.Errorf("write snapshot: %w", err)
		}
		return hex.EncodeToString(h.Sum(nil)), nil
	}
	if err := atomicfile.WriteFile(path, write); err != nil {
		return "", fmt.Errorf("write snapshot: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func newCollectCommand(e *env) *cobra.Command {
	var f scopeFlags
	var out string
	cmd := &cobra.Command{
		Use:   "collect --output FILE",
		Short: "Read AWS (read-only) and write a snapshot document",
		Long: `Read the AMIs, snapshots, KMS keys, account-region settings and the
organization of the scope, read-only, and write them as a snapshot document
that 'amiaudit evaluate' audits offline. A FILE ending in .gz is compressed.

Credentials, region and profile come from the AWS SDK's standard chain
(environment, shared config and SSO, IMDS); AWS_ENDPOINT_URL and
AWS_ENDPOINT_URL_<SERVICE> are honoured. The permissions needed are in
docs/iam-policy.json.

Whatever cannot be read (access denied, region not enabled, throttled past
retries, an endpoint that keeps failing, the --max-duration deadline) is
recorded in the snapshot, which 'amiaudit evaluate' reports as SCAN-001; the
file is written atomically, and an interrupted run (Ctrl-C) writes nothing.
See docs/faults.md.

Credentials found in AMI and snapshot names, descriptions and tags are
replaced in the snapshot by their redacted form (first 4 characters and a
hash) and listed in the resource's detections, so that the file can be
archived and handed to an auditor; AMI-007 and SNAP-004 still report them.

Exit codes: 0 written; 2 usage error; 3 collection failed entirely or was interrupted.`,
		Example: `  amiaudit collect --output snapshot.json.gz
  amiaudit collect --org --role amiaudit-reader --regions us-east-1,eu-west-1 --output org.json.gz
  amiaudit collect --accounts 111122223333,444455556666 --role amiaudit-reader --external-id s3cret --output two.json
  amiaudit collect --org --role amiaudit-reader --baseline org.json.gz --output org-next.json.gz   # read again only what changed`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return argsError(errors.New("collect needs --output FILE (or --output - for stdout)"))
			}
			if err := f.validate(); err != nil {
				return err
			}
			doc, err := f.collect(cmd.Context(), e)
			if err != nil {
				return err
			}
			if _, err := writeSnapshot(out, doc, e.stdout); err != nil {
				return err
			}
			if doc.NothingRead() {
				return incompleteError(fmt.Errorf("nothing in the scope could be read (%d errors recorded in %s)%s", len(doc.Errors), out, whyNothingRead(doc, f.role)))
			}
			return nil
		},
	}
	f.register(cmd.Flags(), deadlineCollect)
	f.incremental.register(cmd.Flags(), true)
	outputFlag(cmd.Flags(), &out, "snapshot file to write (.json, or .json.gz to compress; - for stdout)")
	return cmd
}

func newScanCommand(e *env) *cobra.Command {
	var f scopeFlags
	var rf reportFlags
	var ev evidenceFlags
	var baseline baselineFlag
	var snapshotOut string
	cmd := &cobra.Command{
		Use:   "scan",
		Short: "Collect, evaluate and report in one go (the nightly job)",
		Long: `Read the scope from AWS (read-only), evaluate every rule over it and report,
as 'amiaudit collect' followed by 'amiaudit evaluate' would.

Exit codes: 0 no unwaived finding at or above --fail-on; 1 there is one;
2 usage, configuration or policy error; 3 nothing could be read, or interrupted.`,
		Example: `  amiaudit scan
  amiaudit scan --org --role amiaudit-reader --format sarif --output amiaudit.sarif
  amiaudit scan --regions us-east-1 --config amiaudit.yaml --snapshot-out evidence/snapshot.json.gz
  amiaudit scan --org --role amiaudit-reader --config amiaudit.yaml --evidence evidence/2026-11-20 --sign-key audit.key
  amiaudit scan --org --role amiaudit-reader --baseline evidence/2026-11-19 --output findings.html
  amiaudit scan --org --role amiaudit-reader --baseline nights/2026-11-30.json.gz --snapshot-out nights/2026-12-01.json.gz   # incremental night
  amiaudit scan --org --role amiaudit-reader --summary
  amiaudit scan --org --role amiaudit-reader --output findings.asff.json   # then import per account: docs/report-formats.md`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			f.incremental.baseline = baseline.path
			if err := f.validate(); err != nil {
				return err
			}
			if err := ev.validate(); err != nil {
				return err
			}
			p, err := rf.prepare(ctx)
			if err != nil {
				return err
			}
			// One --baseline, last night's run: the state an incremental
			// collection starts from (when it holds a snapshot) and, for the
			// formats that show it, what new and resolved are measured against.
			// Read before collecting: a bad baseline fails in a second, not after the scan.
			if report.UsesBaseline(p.format) {
				if err := baseline.load(ctx, e, p); err != nil {
					return err
				}
				f.incremental.read = baseline.loaded
			}
			doc, err := f.collect(ctx, e)
			if err != nil {
				return err
			}
			var sum string
			if snapshotOut != "" {
				sum, err = writeSnapshot(snapshotOut, doc, e.stdout)
			} else {
				sum, err = doc.Digest()
			}
			if err != nil {
				return err
			}
			ev.attach(e, p, doc)
			auditErr := p.audit(ctx, e, doc, sum)
			if doc.NothingRead() {
				return incompleteError(fmt.Errorf("nothing in the scope could be read (%d errors, reported as SCAN-001)%s", len(doc.Errors), whyNothingRead(doc, f.role)))
			}
			return auditErr
		},
	}
	f.register(cmd.Flags(), deadlineScan)
	f.incremental.register(cmd.Flags(), false)
	f.deep.register(cmd.Flags(), "shared and public AMIs", true)
	rf.register(cmd.Flags())
	ev.register(cmd.Flags())
	baseline.register(cmd.Flags(), true)
	cmd.Flags().StringVar(&snapshotOut, "snapshot-out", "", "also keep the snapshot document in this file (.gz to compress)")
	return cmd
}

// progressBar shows account-regions done on stderr.
type progressBar struct {
	mu  sync.Mutex
	bar *progressbar.ProgressBar
	w   io.Writer
}

func newProgressBar(w io.Writer) *progressBar { return &progressBar{w: w} }

func (p *progressBar) Planned(total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bar = progressbar.NewOptions(total,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription("collecting"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetItsString("account-regions"),
		progressbar.OptionShowIts(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish(),
	)
}

func (p *progressBar) Done(account, region string, images, snapshots int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Describe(fmt.Sprintf("collecting %s/%s", account, strings.TrimSpace(region)))
		_ = p.bar.Add(1)
	}
}

func (p *progressBar) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
