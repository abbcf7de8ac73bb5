package collector

import (
	"context"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/amiaudit/amiaudit/snapshot"
)

// CopyContext reads, for the gate, what a proposed copy depends on beyond
// the AMI itself (issue 11), as the caller (the copying account):
//
//   - in each destination region, EBS encryption by default and the default
//     KMS key, which CopyImage uses when the request names no key; they are
//     added to doc.AccountRegions;
//   - for each source AMI owned by another account, which of its snapshots
//     the caller may restore: DescribeSnapshots answers a snapshot the caller
//     may restore and InvalidSnapshot.NotFound for one it may not
//     (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSnapshots.html);
//     the answer is recorded in the copy changes of that AMI
//     (RestorableSnapshots, UnrestorableSnapshots).
//
// A call that fails otherwise is a collection error in doc.Errors.
func (g *GateReader) CopyContext(ctx context.Context, doc *snapshot.Document, changes []snapshot.ProposedChange) {
	if len(doc.Scope.Accounts) != 1 {
		return
	}
	caller := doc.Scope.Accounts[0]
	c, ctx, stop := g.begin(ctx)
	defer stop()
	defer g.appendErrors(doc)
	client := func(region string) *ec2.Client { return c.clientsFor(c.cfg.Credentials, caller, region).ec2 }
	fail := func(region, action, resource string, err error) {
		c.failIn(ctx, caller, region)("ec2", action, resource, err)
	}
	dests := map[string]bool{}
	// What the caller may restore of each source AMI another account owns,
	// by "REGION/ami-…": the snapshots it may (createVolumePermission to it
	// or to all) and those it may not.
	type snapshotAccess struct{ restorable, unrestorable []string }
	access := map[string]snapshotAccess{}
	for _, c := range changes {
		if c.Kind != snapshot.ChangeCopy {
			continue
		}
		if c.DestinationRegion != "" {
			dests[c.DestinationRegion] = true
		}
		img := findImage(doc, c.Region, c.ImageID)
		if img == nil || img.Account == caller {
			continue
		}
		key := c.Region + "/" + c.ImageID
		if _, done := access[key]; done {
			continue
		}
		var a snapshotAccess
		for _, b := range img.BlockDeviceMappings {
			if b.SnapshotID == "" {
				continue
			}
			_, err := client(c.Region).DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{SnapshotIds: []string{b.SnapshotID}})
			switch {
			case err == nil:
				a.restorable = append(a.restorable, b.SnapshotID)
			case errorCode(err) == "InvalidSnapshot.NotFound":
				a.unrestorable = append(a.unrestorable, b.SnapshotID)
			default:
				fail(c.Region, "DescribeSnapshots", b.SnapshotID, err)
			}
		}
		access[key] = a
	}
	regions := make([]string, 0, len(dests))
	for r := range dests {
		regions = append(regions, r)
	}
	sort.Strings(regions)
	for _, region := range regions {
		ar := accountRegionOf(doc, caller, region)
		if ar.EBSEncryptionByDefault == nil {
			if out, err := client(region).GetEbsEncryptionByDefault(ctx, &ec2.GetEbsEncryptionByDefaultInput{}); err != nil {
				fail(region, "GetEbsEncryptionByDefault", "", err)
			} else {
				ar.EBSEncryptionByDefault = out.EbsEncryptionByDefault
			}
		}
		if ar.EBSDefaultKMSKeyID == nil {
			if out, err := client(region).GetEbsDefaultKmsKeyId(ctx, &ec2.GetEbsDefaultKmsKeyIdInput{}); err != nil {
				fail(region, "GetEbsDefaultKmsKeyId", "", err)
			} else {
				ar.EBSDefaultKMSKeyID = out.KmsKeyId
			}
		}
	}
	for i := range changes {
		c := &changes[i]
		if a, ok := access[c.Region+"/"+c.ImageID]; ok && c.Kind == snapshot.ChangeCopy {
			c.RestorableSnapshots, c.UnrestorableSnapshots = a.restorable, a.unrestorable
		}
	}
}

// begin returns the collector of the gate's reads (the one Images made, or a
// new one when it did not run) and a context that ends at the run's deadline,
// so that these reads cannot hang a pipeline either.
func (g *GateReader) begin(ctx context.Context) (*collector, context.Context, context.CancelFunc) {
	if g.c == nil {
		opts := g.Options
		opts.defaults()
		g.c = newCollector(g.Config, &opts)
	}
	run, stop := withDeadline(ctx, g.c.opts.Deadline)
	return g.c, run, stop
}

// appendErrors adds to doc what the gate's reads could not read since the
// document last took their errors.
func (g *GateReader) appendErrors(doc *snapshot.Document) {
	errs := g.c.errors()
	doc.Errors = append(doc.Errors, errs[g.errs:]...)
	g.errs = len(errs)
	doc.Sort()
}

// accountRegionOf returns the document's entry for account and region,
// adding an empty one.
func accountRegionOf(doc *snapshot.Document, account, region string) *snapshot.AccountRegion {
	for i := range doc.AccountRegions {
		if doc.AccountRegions[i].Account == account && doc.AccountRegions[i].Region == region {
			return &doc.AccountRegions[i]
		}
	}
	doc.AccountRegions = append(doc.AccountRegions, snapshot.AccountRegion{Account: account, Region: region})
	return &doc.AccountRegions[len(doc.AccountRegions)-1]
}

func findImage(doc *snapshot.Document, region, id string) *snapshot.Image {
	for i := range doc.Images {
		if doc.Images[i].ID == id && doc.Images[i].Region == region {
			return &doc.Images[i]
		}
	}
	return nil
}

// DestinationKeys reads, as the caller, the keys that proposed copies will
// use in their destination regions (refs: region → key ARN, key ID, alias
// name or alias ARN, as CopyImage's KmsKeyId or GetEbsDefaultKmsKeyId give
// them), so that sharing a copy is judged on its key (AMI-004, AMI-005): the
// key itself (DescribeKey resolves an alias; the AWS managed aws/ebs key
// included), and for a customer managed key of the caller its policy and
// grants. A key the document holds already (by ARN) is not read again.
// Whatever cannot be read is a collection error in doc.Errors: the gate
// fails closed (SCAN-001).
func (g *GateReader) DestinationKeys(ctx context.Context, doc *snapshot.Document, refs map[string][]string) {
	if len(doc.Scope.Accounts) != 1 || len(refs) == 0 {
		return
	}
	caller := doc.Scope.Accounts[0]
	c, ctx, stop := g.begin(ctx)
	defer stop()
	defer g.appendErrors(doc)
	have := func(arn string) *snapshot.Key {
		for i := range doc.Keys {
			if doc.Keys[i].ARN == arn {
				return &doc.Keys[i]
			}
		}
		return nil
	}
	regions := make([]string, 0, len(refs))
	for r := range refs {
		regions = append(regions, r)
	}
	sort.Strings(regions)
	for _, region := range regions {
		client := c.clientsFor(c.cfg.Credentials, caller, region).kms
		failIn := c.failIn(ctx, caller, region)
		fail := func(action, resource string, err error) { failIn("kms", action, resource, err) }
		for _, ref := range refs[region] {
			if ref == "" || have(ref) != nil {
				continue
			}
			alias := ""
			if i := strings.Index(ref, "alias/"); i >= 0 {
				alias = ref[i:]
			}
			desc, err := client.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(ref)})
			if err != nil {
				fail("DescribeKey", ref, err)
				continue
			}
			m := desc.KeyMetadata
			if k := have(aws.ToString(m.Arn)); k != nil {
				if alias != "" && !slices.Contains(k.Aliases, alias) {
					k.Aliases = append(k.Aliases, alias)
				}
				continue
			}
			key := snapshot.Key{
				ARN: aws.ToString(m.Arn), ID: aws.ToString(m.KeyId), Account: aws.ToString(m.AWSAccountId), Region: region,
				KeyManager: string(m.KeyManager), KeyState: string(m.KeyState), Description: aws.ToString(m.Description),
				Grants: []snapshot.Grant{},
			}
			if alias != "" {
				key.Aliases = []string{alias}
			}
			if key.KeyManager == string(kmstypes.KeyManagerTypeCustomer) && key.Account == caller {
				readPolicyAndGrants(ctx, client, &key, fail, c.opts.Log)
			}
			doc.Keys = append(doc.Keys, key)
		}
	}
	doc.Sort()
}
