package cli

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/amiaudit/amiaudit/collector"
	"github.com/amiaudit/amiaudit/evidence"
	"github.com/amiaudit/amiaudit/snapshot"
)

// incrementalFlags make a collection incremental: only what changed since a
// baseline is read again.
type incrementalFlags struct {
	baseline string
	// read is the baseline when scan already read it for its report
	// (baselineFlag.load), so that the file is not read twice.
	read           *run
	full           bool
	maxBaselineAge time.Duration
	eventMargin    time.Duration
}

// register adds the flags; withBaseline adds --baseline too (scan has its
// own --baseline, shared with the report: see baselineFlag and fromRun).
func (f *incrementalFlags) register(fs *pflag.FlagSet, withBaseline bool) {
	if withBaseline {
		fs.StringVar(&f.baseline, "baseline", "", "previous snapshot (.json or .json.gz, or an evidence bundle directory: its snapshot): read again only what is new or was changed since, by CloudTrail's management events, and carry the rest over (see docs/scale.md)")
	}
	fs.BoolVar(&f.full, "full", false, "with --baseline, read everything all the same (the weekly full scan); the snapshot records it")
	fs.DurationVar(&f.maxBaselineAge, "max-baseline-age", collector.DefaultMaxBaselineAge, "read in full when the baseline is older than this")
	fs.DurationVar(&f.eventMargin, "event-margin", collector.DefaultEventMargin, "look for events from this long before the baseline's collection time (covers changes made while it was read, and CloudTrail's delivery delay)")
}

func (f *incrementalFlags) validate() error {
	if f.baseline == "" && f.full {
		return usageError(errors.New("--full goes with --baseline: without a baseline every scan is full"))
	}
	if f.maxBaselineAge <= 0 || f.eventMargin < 0 {
		return usageError(errors.New("--max-baseline-age must be positive and --event-margin not negative"))
	}
	return nil
}

// apply reads the baseline and sets the collector's options. The baseline is
// a snapshot, or (scan's --baseline) an earlier run: an evidence bundle gives
// its snapshot; a JSON report holds no state to carry over, so everything is
// read, as without a baseline.
func (f *incrementalFlags) apply(e *env, opts *collector.Options) error {
	if f.baseline == "" {
		return nil
	}
	path := f.baseline
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		b, err := evidence.Open(path)
		if err != nil {
			return usageError(fmt.Errorf("--baseline: a directory must be an evidence bundle: %w", err))
		}
		path = b.Snapshot
	}
	r := f.read
	if r == nil || path != f.baseline {
		var err error
		if r, err = readRun(e.log, path, e.stdin); err != nil {
			return fmt.Errorf("--baseline: %w", err)
		}
	}
	if r.doc == nil {
		e.log.Warn("--baseline is a report, not a snapshot: there is no state to carry over, so everything is read", "baseline", f.baseline)
		return nil
	}
	doc, sum := r.doc, r.sum
	opts.Baseline, opts.BaselineSHA256 = doc, sum
	opts.Full = f.full
	opts.MaxBaselineAge = f.maxBaselineAge
	opts.EventMargin = f.eventMargin
	if f.eventMargin == 0 {
		opts.EventMargin = -1 // none, not the default
	}
	return nil
}

// logIncremental says how an incremental collection was made.
func logIncremental(e *env, inc *snapshot.Incremental) {
	if inc == nil {
		return
	}
	full, events := 0, 0
	var reread, carried snapshot.ResourceCounts
	for _, s := range inc.AccountRegions {
		if s.Mode == snapshot.ModeFull {
			full++
			e.log.Warn("account-region read in full", "account", s.Account, "region", s.Region, "reason", s.FullReason)
		}
		events += s.Events
		reread.Images += s.ReRead.Images
		reread.Snapshots += s.ReRead.Snapshots
		reread.Keys += s.ReRead.Keys
		carried.Images += s.CarriedOver.Images
		carried.Snapshots += s.CarriedOver.Snapshots
		carried.Keys += s.CarriedOver.Keys
	}
	e.log.Info("incremental collection", "baseline_sha256", inc.BaselineSHA256, "account_regions", len(inc.AccountRegions), "read_in_full", full,
		"events", events, "re_read", fmt.Sprintf("%d images, %d snapshots, %d keys", reread.Images, reread.Snapshots, reread.Keys),
		"carried_over", fmt.Sprintf("%d images, %d snapshots, %d keys", carried.Images, carried.Snapshots, carried.Keys))
}
