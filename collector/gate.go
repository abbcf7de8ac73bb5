package collector

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/amiaudit/amiaudit/snapshot"
)

// GateReader reads, as the caller, what the gate's decision needs and no
// more, with the collector's clients (retries, pacing, circuit breaker, call
// timeout) and Options.Deadline for every read, so that a gate cannot hang a
// pipeline. It is the gate's live gate.Reader; the gate decides, in
// gate.Judge, what to read and in which order.
//
// One gate's reads share one collector, made by the first read: one pacing
// per account-region, one circuit breaker per endpoint (so
// --max-endpoint-failures counts across the reads) and one record of what
// could not be read, each error added to the document once. Use a new
// GateReader for each gate.
type GateReader struct {
	Config  aws.Config
	Options Options

	c    *collector // the reads' collector, made by the first read
	errs int        // how many of c's errors the document holds
}

// Images reads only what a pre-share decision needs, in the caller's
// account: the AMIs named in images (region → AMI IDs, read with one
// DescribeImages per region), their snapshots and the keys behind them, the keys
// named in keyARNs (say, a copy's destination key), the image and snapshot
// block public access of their account-regions, and the organization. For an
// AMI one account owns with two snapshots under one key that is 13 API calls.
// Whatever cannot be read is a collection error, as in Collect.
func (g *GateReader) Images(ctx context.Context, images map[string][]string, keyARNs []string) (*snapshot.Document, error) {
	opts := g.Options
	c, caller, doc, err := begin(ctx, g.Config, &opts)
	if err != nil {
		return nil, err
	}
	g.c = c
	parent := ctx
	ctx, stop := withDeadline(ctx, opts.Deadline)
	defer stop()
	doc.Scope = snapshot.Scope{Accounts: []string{caller}}
	doc.Organization = c.organizationShallow(ctx)

	var results []*regionResult
	for _, region := range sortedKeys(images) {
		doc.Scope.Regions = append(doc.Scope.Regions, region)
		r := &regionResult{account: caller, region: region, creds: c.cfg.Credentials, clients: c.clientsFor(c.cfg.Credentials, caller, region)}
		r.settings = snapshot.AccountRegion{Account: caller, Region: region}
		fail := c.failIn(ctx, caller, region)
		out, err := r.clients.ec2.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: images[region], IncludeDeprecated: aws.Bool(true), IncludeDisabled: aws.Bool(true)})
		if err != nil {
			fail("ec2", "DescribeImages", "", err)
		} else {
			found := map[string]bool{}
			var snapIDs []string
			for _, img := range out.Images {
				im := toImage(img)
				im.Region = region
				found[im.ID] = true
				r.images = append(r.images, im)
				// Only the owner can read an AMI's launch permissions and its
				// snapshots; for another account's AMI (a copy source) the image
				// itself is what the decision needs.
				if im.Account == caller {
					for _, b := range im.BlockDeviceMappings {
						if b.SnapshotID != "" {
							snapIDs = append(snapIDs, b.SnapshotID)
						}
					}
				}
			}
			for _, id := range images[region] {
				if !found[id] {
					fail("ec2", "DescribeImages", id, fmt.Errorf("AMI %s is not visible to account %s in %s", id, caller, region))
				}
			}
			var owned []snapshot.Image
			for _, im := range r.images {
				if im.Account == caller {
					owned = append(owned, im)
				}
			}
			c.launchPermissions(ctx, r.clients.ec2, owned, fail)
			for i := range r.images {
				for _, o := range owned {
					if o.ID == r.images[i].ID {
						r.images[i].LaunchPermissions = o.LaunchPermissions
					}
				}
			}
			if len(snapIDs) > 0 {
				snaps, err := r.clients.ec2.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{SnapshotIds: snapIDs})
				if err != nil {
					fail("ec2", "DescribeSnapshots", "", err)
				} else {
					for _, s := range snaps.Snapshots {
						r.snapshots = append(r.snapshots, toSnapshot(s, region))
					}
					c.createVolumePermissions(ctx, r.clients.ec2, r.snapshots, fail)
				}
			}
		}
		if o, err := r.clients.ec2.GetImageBlockPublicAccessState(ctx, &ec2.GetImageBlockPublicAccessStateInput{}); err != nil {
			fail("ec2", "GetImageBlockPublicAccessState", "", err)
		} else {
			r.settings.ImageBlockPublicAccess = o.ImageBlockPublicAccessState
			r.settings.ImageBlockPublicAccessManagedBy = string(o.ManagedBy)
		}
		if o, err := r.clients.ec2.GetSnapshotBlockPublicAccessState(ctx, &ec2.GetSnapshotBlockPublicAccessStateInput{}); err != nil {
			fail("ec2", "GetSnapshotBlockPublicAccessState", "", err)
		} else {
			r.settings.SnapshotBlockPublicAccess = aws.String(string(o.State))
			r.settings.SnapshotBlockPublicAccessManagedBy = string(o.ManagedBy)
		}
		if ctx.Err() != nil {
			fail("ec2", "DescribeImages", "", ctx.Err())
		}
		doc.AccountRegions = append(doc.AccountRegions, r.settings)
		if c.isGap(caller, region) {
			continue // the gate fails closed on the gap (SCAN-001)
		}
		results = append(results, r)
		doc.Images = append(doc.Images, r.images...)
		doc.Snapshots = append(doc.Snapshots, r.snapshots...)
	}
	if err := parent.Err(); err != nil {
		return nil, err
	}
	doc.Keys = c.keysFor(ctx, results, keyARNs, caller)
	if opts.Deep {
		// A gate judges the image about to be shared: every gated AMI the
		// caller owns is scanned, shared yet or not.
		c.deepScans(ctx, doc, results, func(img snapshot.Image) bool { return img.Account == caller })
	}
	doc.Errors = c.errors()
	g.errs = len(doc.Errors)
	doc.CollectedAt = opts.Now().UTC()
	doc.Sort()
	if err := doc.Normalize(); err != nil {
		return nil, err
	}
	c.mask(doc)
	return doc, parent.Err()
}

func sortedKeys(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
