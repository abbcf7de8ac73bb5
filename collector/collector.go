// Package collector reads, read-only, the AWS state amiaudit audits — AMIs and
// their launch permissions, EBS snapshots and their createVolumePermission, the
// KMS keys behind them, the account-region settings and the organization — and
// returns it as a snapshot document. It owns every AWS call of the product, and
// it only ever calls the read-only actions listed in docs/iam-policy.json.
//
// Every part of the scope that cannot be read becomes a CollectionError in the
// document (SCAN-001 reports it); only what makes collection meaningless (no
// credentials, cancellation) is returned as an error.
package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"golang.org/x/sync/errgroup"

	"github.com/amiaudit/amiaudit/snapshot"
)

// Options says what to collect and how fast.
type Options struct {
	// Accounts in scope. Empty with Org false: the caller's own account.
	Accounts []string
	// Org takes the account list from AWS Organizations (the caller must be the
	// management account or a delegated administrator).
	Org bool
	// Regions in scope. Empty: every region enabled for the caller's account.
	Regions []string
	// Role is the name of the role assumed in each account other than the
	// caller's own (arn:PARTITION:iam::ACCOUNT:role/ROLE); ExternalID goes with it.
	Role       string
	ExternalID string
	// Concurrency bounds the account-regions read at once (default
	// DefaultConcurrency).
	Concurrency int
	// RatePerSecond and Burst shape the client-side limiter of each
	// account-region (defaults DefaultRatePerSecond and DefaultBurst), so that
	// collection runs near the throttle limit without being throttled.
	RatePerSecond float64
	Burst         int
	// MaxAttempts is the SDK retryer's attempt limit per call (default 8, with
	// backoff up to 5 s: enough to ride out throttling, short enough that a
	// persistently failing call is recorded within half a minute).
	MaxAttempts int
	// MaxEndpointFailures is how many attempts in a row may fail at an
	// account-region's endpoint (unreachable, timed out, HTTP 5xx; throttling
	// does not count) before the account-region is abandoned and reported as
	// SCAN-001 (default DefaultMaxEndpointFailures).
	MaxEndpointFailures int
	// CallTimeout bounds each attempt of each call (default DefaultCallTimeout).
	CallTimeout time.Duration
	// Deadline, when set, is when collection stops: the account-regions not
	// read completely by then are left out and reported as SCAN-001, and the
	// document is returned complete with its gaps. (Cancelling ctx instead
	// abandons the collection: Collect returns the context's error.)
	Deadline time.Time
	// Baseline, when set, makes the collection incremental: per
	// account-region, images and snapshots are listed as always, but
	// attributes, keys and settings are read only for what is new or named
	// by a CloudTrail management event since the baseline (EventNames); the
	// rest is carried over. BaselineSHA256 goes into the record
	// (Document.Incremental). Full reads everything all the same;
	// MaxBaselineAge (default DefaultMaxBaselineAge) and EventMargin
	// (default DefaultEventMargin) bound what the baseline is trusted for.
	Baseline       *snapshot.Document
	BaselineSHA256 string
	Full           bool
	MaxBaselineAge time.Duration
	EventMargin    time.Duration
	// Shard, when set ("K/N"), keeps only the accounts of shard K of N.
	Shard string
	// Progress, when set, is told about each account-region as it starts and ends.
	Progress Progress
	// Log receives debug and warning messages (default: discard).
	Log *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// ToolVersion goes into the document.
	ToolVersion string
	// Deep reads inside the volumes of shared and public AMIs (all AMIs with
	// DeepAll) through the EBS direct APIs, looking for credentials
	// (AMI-008); DeepMaxBytes caps the bytes read per AMI (0: no cap).
	Deep         bool
	DeepAll      bool
	DeepMaxBytes int64
}

// Progress hears about collection as it goes. Implementations must be safe
// for concurrent use.
type Progress interface {
	// Planned is called once the account-regions are known.
	Planned(total int)
	// Done is called as each account-region ends.
	Done(account, region string, images, snapshots int)
}

// The defaults of Options.Concurrency, RatePerSecond and Burst (and of the
// CLI flags that set them). The rate and burst are AWS's refill rate and
// bucket size for EC2 non-mutating actions, 20 tokens a second into a
// bucket of 100
// (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html).
const (
	DefaultConcurrency   = 8
	DefaultRatePerSecond = 20
	DefaultBurst         = 100
)

func (o *Options) defaults() {
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.RatePerSecond <= 0 {
		o.RatePerSecond = DefaultRatePerSecond
	}
	if o.Burst <= 0 {
		o.Burst = DefaultBurst
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 8
	}
	if o.MaxEndpointFailures <= 0 {
		o.MaxEndpointFailures = DefaultMaxEndpointFailures
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = DefaultCallTimeout
	}
	if o.MaxBaselineAge <= 0 {
		o.MaxBaselineAge = DefaultMaxBaselineAge
	}
	if o.EventMargin < 0 {
		o.EventMargin = 0
	} else if o.EventMargin == 0 {
		o.EventMargin = DefaultEventMargin
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// DefaultCallTimeout bounds one attempt of one call. AWS does not prescribe a
// value: the SDK's FAQ says it depends on the workload
// (https://aws.github.io/aws-sdk-go-v2/docs/faq/), its default dialer gives a
// connection 30 s (https://docs.aws.amazon.com/sdk-for-go/v2/developer-guide/configure-http.html),
// and the AWS CLI waits 60 s for a socket read (--cli-read-timeout,
// https://docs.aws.amazon.com/cli/latest/reference/). The calls amiaudit makes
// answer in well under a second (a 1,000-item Describe page, a 512 KiB
// snapshot block), so 30 s from connecting to the end of the answer is a
// bound only a hung connection reaches.
const DefaultCallTimeout = 30 * time.Second

// ErrNoAccess is returned when the caller's own identity cannot be read:
// nothing can be collected.
var ErrNoAccess = errors.New("cannot read the caller's identity")

// begin starts a collection: it reads the caller's identity and returns the
// collector, the caller's account and an empty document.
func begin(ctx context.Context, cfg aws.Config, opts *Options) (*collector, string, *snapshot.Document, error) {
	opts.defaults()
	started := opts.Now().UTC()
	c := newCollector(cfg, opts)
	caller, partition, err := c.callerIdentity(ctx)
	if err != nil {
		return nil, "", nil, err
	}
	c.partition = partition
	return c, caller, &snapshot.Document{
		SchemaVersion: snapshot.SchemaVersion,
		Tool:          snapshot.Tool{Name: "amiaudit", Version: opts.ToolVersion},
		StartedAt:     &started,
		Partition:     partition,
	}, nil
}

// Collect reads the scope and returns the snapshot document.
func Collect(ctx context.Context, cfg aws.Config, opts Options) (*snapshot.Document, error) {
	c, caller, doc, err := begin(ctx, cfg, &opts)
	if err != nil {
		return nil, err
	}
	// run ends at the deadline; ctx itself ends only when the caller gives up
	// (Ctrl-C), and then nothing is returned.
	run, stop := withDeadline(ctx, opts.Deadline)
	defer stop()

	doc.Organization = c.organization(run, caller, opts.Org)
	accounts, err := c.accounts(caller, doc.Organization)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if run.Err() != nil {
			// Without the account list there is no scope to report gaps in.
			return nil, fmt.Errorf("%w before the organization's accounts were listed", context.Cause(run))
		}
		return nil, err
	}
	regions, err := c.regions(run, caller)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	doc.Scope = snapshot.Scope{Accounts: accounts, Regions: regions, Organization: opts.Org, Shard: opts.Shard}

	if opts.Progress != nil {
		opts.Progress.Planned(len(accounts) * len(regions))
	}
	results := make([]*regionResult, 0, len(accounts)*len(regions))
	var mu sync.Mutex
	var g errgroup.Group
	g.SetLimit(opts.Concurrency)
	for _, account := range accounts {
		creds, err := c.credentials(run, caller, account)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if run.Err() != nil {
				for _, region := range regions {
					c.fail(run, snapshot.CollectionError{Account: account, Region: region, Service: "sts", Action: "AssumeRole"}, err)
				}
			} else {
				c.record(snapshot.CollectionError{Account: account, Service: "sts", Action: "AssumeRole", Code: errorCode(err), Message: errorMessage(err)})
			}
			if opts.Progress != nil {
				for _, region := range regions {
					opts.Progress.Done(account, region, 0, 0)
				}
			}
			continue
		}
		for _, region := range regions {
			g.Go(func() error {
				r := c.collectRegion(run, creds, account, region)
				mu.Lock()
				results = append(results, r)
				mu.Unlock()
				if opts.Progress != nil {
					opts.Progress.Done(account, region, len(r.images), len(r.snapshots))
				}
				return nil
			})
		}
	}
	_ = g.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// An account-region abandoned or cut short is a gap (SCAN-001), not a
	// partial inventory: an image whose launch permissions were never read
	// would pass for a private one.
	complete := results[:0]
	for _, r := range results {
		doc.AccountRegions = append(doc.AccountRegions, r.settings)
		if c.isGap(r.account, r.region) {
			r.failed = true
			continue
		}
		complete = append(complete, r)
		doc.Images = append(doc.Images, r.images...)
		doc.Snapshots = append(doc.Snapshots, r.snapshots...)
		doc.RecycleBinImages = append(doc.RecycleBinImages, r.lifecycle.binImages...)
		doc.RecycleBinSnapshots = append(doc.RecycleBinSnapshots, r.lifecycle.binSnapshots...)
	}
	doc.Keys = c.keys(run, complete)
	if opts.Deep {
		c.deepScans(run, doc, complete, func(img snapshot.Image) bool { return opts.DeepAll || sharedImage(img) })
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	doc.Errors = c.errors()
	doc.Incremental = c.incrementalRecord()
	doc.CollectedAt = opts.Now().UTC()
	doc.Sort()
	if err := doc.Normalize(); err != nil {
		return nil, err
	}
	c.mask(doc)
	return doc, nil
}

// withDeadline is ctx ending at deadline too, with ErrMaxDuration as its
// cause; a zero deadline adds nothing.
func withDeadline(ctx context.Context, deadline time.Time) (context.Context, context.CancelFunc) {
	if deadline.IsZero() {
		return context.WithCancel(ctx)
	}
	return context.WithDeadlineCause(ctx, deadline, ErrMaxDuration)
}

// mask replaces the credentials in the metadata just read with their redacted
// forms before the document leaves the collector, so that nothing written
// from it (snapshot, report, evidence bundle) holds a whole secret; the
// document records what it masked for AMI-007 and SNAP-004.
func (c *collector) mask(doc *snapshot.Document) {
	if where := doc.Mask(); len(where) > 0 {
		c.opts.Log.Warn("credentials found in AMI or snapshot metadata were masked in the snapshot (reported as AMI-007 and SNAP-004)", "credentials", len(where))
	}
}
