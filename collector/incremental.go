package collector

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"golang.org/x/time/rate"

	"github.com/amiaudit/amiaudit/internal/awsid"
	"github.com/amiaudit/amiaudit/snapshot"
)

// Defaults of an incremental collection.
const (
	// DefaultMaxBaselineAge: a baseline older than this is not trusted and
	// every account-region is read in full. CloudTrail's event history keeps
	// 90 days; a week bounds how long a missed event could go unnoticed.
	DefaultMaxBaselineAge = 7 * 24 * time.Hour
	// DefaultEventMargin is subtracted from the baseline's collected_at to
	// start the event window: a change made while the baseline was being
	// read is covered, and so is CloudTrail's delivery delay ("about 5
	// minutes … not guaranteed",
	// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-tutorial.html).
	DefaultEventMargin = time.Hour
	// lookupEventsRate is CloudTrail LookupEvents' own limit: "2 requests per
	// second per account per Region"
	// (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html).
	lookupEventsRate = 2
)

// The management events that change what the collector carries over from a
// baseline. Each is looked up by name (LookupEvents takes one attribute per
// call). What the listing calls return (images, snapshots, their metadata,
// encryption and state) is read fresh every time, so events that only create,
// delete, tag or describe need no lookup.
var (
	// imageEvents change an AMI's launch permissions (DisableImage removes
	// them all).
	imageEvents = []string{"ModifyImageAttribute", "ResetImageAttribute", "EnableImage", "DisableImage"}
	// snapshotEvents change a snapshot's createVolumePermission.
	snapshotEvents = []string{"ModifySnapshotAttribute", "ResetSnapshotAttribute"}
	// keyEvents change a key's policy, grants or state. DeleteKey is logged
	// when a key scheduled for deletion is deleted; the key-material calls
	// change the state of keys with imported material.
	keyEvents = []string{"PutKeyPolicy", "CreateGrant", "RevokeGrant", "RetireGrant", "EnableKey", "DisableKey",
		"ScheduleKeyDeletion", "CancelKeyDeletion", "DeleteKey", "ImportKeyMaterial", "DeleteImportedKeyMaterial"}
	// settingsEvents change the account-region settings.
	settingsEvents = []string{
		"EnableImageBlockPublicAccess", "DisableImageBlockPublicAccess",
		"EnableSnapshotBlockPublicAccess", "DisableSnapshotBlockPublicAccess",
		"EnableAllowedImagesSettings", "DisableAllowedImagesSettings", "ReplaceImageCriteriaInAllowedImagesSettings",
		"EnableEbsEncryptionByDefault", "DisableEbsEncryptionByDefault", "ModifyEbsDefaultKmsKeyId", "ResetEbsDefaultKmsKeyId",
	}
)

// EventNames are every management event name an incremental collection
// looks up, in the order it looks them up.
func EventNames() []string {
	var out []string
	for _, l := range [][]string{imageEvents, snapshotEvents, keyEvents, settingsEvents} {
		out = append(out, l...)
	}
	return out
}

// baseline is the previous document, indexed for carrying over.
type baseline struct {
	doc       *snapshot.Document
	sha256    string
	since     time.Time
	reason    string // non-empty: every account-region is read in full, for this reason
	images    map[string]*snapshot.Image
	snapshots map[string]*snapshot.Snapshot
	keys      map[string]*snapshot.Key // by key ID
	regions   map[string]*snapshot.AccountRegion
	// gaps are the account-regions the baseline did not read completely;
	// unread are the resources whose attributes it could not read.
	gaps   map[string]string
	unread map[string]bool
	// settingsUnread are the account-regions where a settings call failed.
	settingsUnread map[string]bool
}

func newBaseline(opts *Options) *baseline {
	if opts.Baseline == nil {
		return nil
	}
	d := opts.Baseline
	b := &baseline{
		doc: d, sha256: opts.BaselineSHA256, since: d.CollectedAt.Add(-opts.EventMargin),
		images: map[string]*snapshot.Image{}, snapshots: map[string]*snapshot.Snapshot{}, keys: map[string]*snapshot.Key{},
		regions: map[string]*snapshot.AccountRegion{}, gaps: map[string]string{}, unread: map[string]bool{}, settingsUnread: map[string]bool{},
	}
	now := opts.Now()
	switch {
	case opts.Full:
		b.reason = "--full was given"
	case d.SchemaVersion != snapshot.SchemaVersion:
		b.reason = fmt.Sprintf("the baseline's schema version %q is not %q", d.SchemaVersion, snapshot.SchemaVersion)
	case now.Sub(d.CollectedAt) > opts.MaxBaselineAge:
		b.reason = fmt.Sprintf("the baseline was collected %s ago, more than --max-baseline-age %s", now.Sub(d.CollectedAt).Round(time.Minute), opts.MaxBaselineAge)
	case d.CollectedAt.After(now):
		b.reason = "the baseline's collected_at is in the future"
	}
	for i := range d.Images {
		b.images[d.Images[i].ID] = &d.Images[i]
	}
	for i := range d.Snapshots {
		b.snapshots[d.Snapshots[i].ID] = &d.Snapshots[i]
	}
	for i := range d.Keys {
		b.keys[d.Keys[i].ID] = &d.Keys[i]
	}
	for i := range d.AccountRegions {
		ar := &d.AccountRegions[i]
		b.regions[ar.Account+"/"+ar.Region] = ar
	}
	for _, e := range d.Errors {
		k := e.Account + "/" + e.Region
		switch {
		case e.Resource != "":
			b.unread[e.Resource] = true
		case e.Service == "ec2" && settingsCalls[e.Action]:
			b.settingsUnread[k] = true
		case e.Service == "ec2" && carriedCalls[e.Action], e.Code == CodeEndpointUnreachable, e.Code == CodeMaxDuration:
			if _, ok := b.gaps[k]; !ok {
				b.gaps[k] = fmt.Sprintf("the baseline did not read it completely (%s:%s %s)", e.Service, e.Action, e.Code)
			}
		}
		// Other failures (the Recycle Bin and lock listings, aliases, the
		// organization) concern what is read afresh every night anyway.
	}
	return b
}

// carriedCalls are the calls whose failure leaves the baseline without
// something an incremental collection would carry over from it.
var carriedCalls = map[string]bool{"DescribeImages": true, "DescribeSnapshots": true, "DescribeImageAttribute": true, "DescribeSnapshotAttribute": true}

// settingsCalls read the account-region settings: when one failed in the
// baseline, the settings are read again.
var settingsCalls = map[string]bool{"GetImageBlockPublicAccessState": true, "GetSnapshotBlockPublicAccessState": true,
	"GetAllowedImagesSettings": true, "GetEbsEncryptionByDefault": true, "GetEbsDefaultKmsKeyId": true}

// changes is what CloudTrail says changed in one account-region since the
// baseline.
type changes struct {
	events                           int
	images, snapshots, keys          map[string]bool // IDs named by events (keys by key ID)
	allImages, allSnapshots, allKeys bool            // an event named one the collector could not tell
	settings                         bool
}

// plan is how one account-region is collected.
type plan struct {
	base    *baseline
	scope   snapshot.IncrementalScope
	changes *changes // nil: read in full
}

// plan decides how to collect an account-region: in full, or incrementally
// from the baseline with the events since.
func (c *collector) plan(ctx context.Context, r *regionResult) *plan {
	b := c.base
	if b == nil {
		return nil
	}
	p := &plan{base: b, scope: snapshot.IncrementalScope{Account: r.account, Region: r.region, Mode: snapshot.ModeFull}}
	k := r.account + "/" + r.region
	switch {
	case b.reason != "":
		p.scope.FullReason = b.reason
	case b.regions[k] == nil:
		p.scope.FullReason = "the account-region is not in the baseline"
	case b.gaps[k] != "":
		p.scope.FullReason = b.gaps[k]
	case b.doc.Partition != "" && b.doc.Partition != c.partition:
		p.scope.FullReason = fmt.Sprintf("the baseline is of partition %s, not %s", b.doc.Partition, c.partition)
	}
	if p.scope.FullReason != "" {
		return p
	}
	ch, err := c.lookupChanges(ctx, r, b.since)
	if err != nil {
		p.scope.FullReason = "its CloudTrail events could not be read (" + errorCode(err) + ": " + errorMessage(err) + ")"
		c.opts.Log.Warn("reading in full: CloudTrail events unreadable", "account", r.account, "region", r.region, "error", err)
		return p
	}
	p.changes = ch
	p.scope.Mode = snapshot.ModeIncremental
	p.scope.Events = ch.events
	return p
}

// planRegion records the plan of an account-region (see plan).
func (c *collector) planRegion(ctx context.Context, r *regionResult) *plan {
	p := c.plan(ctx, r)
	if p != nil {
		c.mu.Lock()
		c.plans[r.account+"/"+r.region] = p
		c.mu.Unlock()
	}
	return p
}

// cloudtrail is the CloudTrail client of an account-region, paced at
// LookupEvents' own limit and behind the account-region's breaker.
func (c *collector) cloudtrail(r *regionResult) *cloudtrail.Client {
	c.mu.Lock()
	k := "cloudtrail/" + r.account + "/" + r.region
	l, ok := c.limiters[k]
	if !ok {
		l = rate.NewLimiter(rate.Limit(lookupEventsRate*paceMargin), 1)
		c.limiters[k] = l
	}
	c.mu.Unlock()
	return cloudtrail.NewFromConfig(c.cfg, func(o *cloudtrail.Options) {
		o.Region = r.region
		o.Credentials = r.creds
		o.Retryer = c.retryer()
		o.APIOptions = append(o.APIOptions, rateLimit(l), c.breaker(r.account, r.region).middleware)
	})
}

// lookupChanges reads the account-region's management events named in
// EventNames since the given time, and the resources they name.
func (c *collector) lookupChanges(ctx context.Context, r *regionResult, since time.Time) (*changes, error) {
	client := c.cloudtrail(r)
	ch := &changes{images: map[string]bool{}, snapshots: map[string]bool{}, keys: map[string]bool{}}
	end := c.opts.Now().UTC()
	for _, name := range EventNames() {
		p := cloudtrail.NewLookupEventsPaginator(client, &cloudtrail.LookupEventsInput{
			LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String(name)}},
			StartTime:        aws.Time(since),
			EndTime:          aws.Time(end),
			MaxResults:       aws.Int32(50),
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			for _, ev := range page.Events {
				ch.events++
				ch.note(name, ev)
			}
		}
	}
	return ch, nil
}

// note records what one event names. An event whose resource cannot be
// told (an alias for a key, a request without an ID) makes every resource
// of its kind in the account-region be read again: never guess.
func (ch *changes) note(name string, ev cttypes.Event) {
	ids := eventResourceIDs(ev)
	switch {
	case contains(settingsEvents, name):
		ch.settings = true
	case contains(imageEvents, name):
		if !markAll(ids, awsid.ImageIDPrefix, ch.images) {
			ch.allImages = true
		}
	case contains(snapshotEvents, name):
		if !markAll(ids, awsid.SnapshotIDPrefix, ch.snapshots) {
			ch.allSnapshots = true
		}
	case contains(keyEvents, name):
		found := false
		for _, id := range ids {
			if kid := keyIDOf(id); kid != "" {
				ch.keys[kid] = true
				found = true
			}
		}
		if !found {
			ch.allKeys = true
		}
	}
}

// markAll marks the IDs with the prefix; false when there was none.
func markAll(ids []string, prefix string, set map[string]bool) bool {
	found := false
	for _, id := range ids {
		if strings.HasPrefix(id, prefix) {
			set[id] = true
			found = true
		}
	}
	return found
}

// eventResourceIDs are the resource names an event lists, and the IDs its
// request parameters name (imageId, snapshotId, keyId): LookupEvents does not
// always fill Resources.
func eventResourceIDs(ev cttypes.Event) []string {
	var out []string
	for _, r := range ev.Resources {
		if n := aws.ToString(r.ResourceName); n != "" {
			out = append(out, n)
		}
	}
	var record struct {
		RequestParameters map[string]any `json:"requestParameters"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(ev.CloudTrailEvent)), &record); err == nil {
		for _, field := range []string{"imageId", "snapshotId", "keyId"} {
			if v, ok := record.RequestParameters[field].(string); ok && v != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

// keyIDOf returns the key ID in a key ID or key ARN, "" for anything else
// (an alias names a key only through the alias table).
func keyIDOf(s string) string {
	if strings.HasPrefix(s, "arn:") {
		if i := strings.Index(s, ":key/"); i >= 0 {
			return s[i+len(":key/"):]
		}
		return ""
	}
	if strings.HasPrefix(s, "alias/") || s == "" {
		return ""
	}
	return s
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// carryImages takes from the baseline the launch permissions of the images
// that are neither new nor named by an event (nor unread in the baseline),
// and returns the indexes of those that must be read.
func (p *plan) carryImages(images []snapshot.Image) []int {
	var read []int
	for i := range images {
		img := &images[i]
		old := p.base.images[img.ID]
		if p.changes == nil || p.changes.allImages || p.changes.images[img.ID] || old == nil || p.base.unread[img.ID] ||
			old.Account != img.Account || old.Region != img.Region {
			read = append(read, i)
			continue
		}
		img.LaunchPermissions = append([]snapshot.LaunchPermission{}, old.LaunchPermissions...)
		p.scope.CarriedOver.Images++
	}
	p.scope.ReRead.Images += len(read)
	return read
}

// carrySnapshots does for createVolumePermission what carryImages does for
// launch permissions.
func (p *plan) carrySnapshots(snaps []snapshot.Snapshot) []int {
	var read []int
	for i := range snaps {
		s := &snaps[i]
		old := p.base.snapshots[s.ID]
		if p.changes == nil || p.changes.allSnapshots || p.changes.snapshots[s.ID] || old == nil || p.base.unread[s.ID] ||
			old.Account != s.Account || old.Region != s.Region {
			read = append(read, i)
			continue
		}
		s.CreateVolumePermissions = append([]snapshot.CreateVolumePermission{}, old.CreateVolumePermissions...)
		p.scope.CarriedOver.Snapshots++
	}
	p.scope.ReRead.Snapshots += len(read)
	return read
}

// carrySettings takes the account-region settings from the baseline when no
// event changed them.
func (p *plan) carrySettings(s *snapshot.AccountRegion) bool {
	if p == nil || p.changes == nil || p.changes.settings {
		return false
	}
	k := s.Account + "/" + s.Region
	old := p.base.regions[k]
	if old == nil || p.base.settingsUnread[k] {
		return false
	}
	*s = *old
	return true
}

// carryKey returns the baseline's copy of a key owned in an account-region
// collected incrementally when no event named it, or nil.
func (c *collector) carryKey(arn string) *snapshot.Key {
	account, region, ok := keyOwner(arn)
	if !ok {
		return nil
	}
	c.mu.Lock()
	p := c.plans[account+"/"+region]
	c.mu.Unlock()
	kid := keyIDOf(arn)
	if p == nil || p.changes == nil || p.changes.allKeys || p.changes.keys[kid] || p.base.unread[kid] {
		return nil
	}
	old := p.base.keys[kid]
	if old == nil || old.Account != account || old.Region != region || old.Policy == "" {
		return nil
	}
	k := *old
	k.Grants = append([]snapshot.Grant{}, old.Grants...)
	c.mu.Lock()
	p.scope.CarriedOver.Keys++
	c.mu.Unlock()
	return &k
}

// countKeyRead counts a key read from AWS in its account-region's record.
func (c *collector) countKeyRead(arn string) {
	account, region, ok := keyOwner(arn)
	if !ok {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.plans[account+"/"+region]; p != nil {
		p.scope.ReRead.Keys++
	}
}

// incrementalRecord is the document's record of how it was made.
func (c *collector) incrementalRecord() *snapshot.Incremental {
	if c.base == nil {
		return nil
	}
	out := &snapshot.Incremental{BaselineSHA256: c.base.sha256, BaselineCollectedAt: c.base.doc.CollectedAt.UTC(), EventsSince: c.base.since.UTC(),
		AccountRegions: []snapshot.IncrementalScope{}}
	c.mu.Lock()
	for _, p := range c.plans {
		out.AccountRegions = append(out.AccountRegions, p.scope)
	}
	c.mu.Unlock()
	sort.Slice(out.AccountRegions, func(i, j int) bool {
		a, b := out.AccountRegions[i], out.AccountRegions[j]
		return a.Account+"/"+a.Region < b.Account+"/"+b.Region
	})
	return out
}
