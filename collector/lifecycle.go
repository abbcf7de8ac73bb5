package collector

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/amiaudit/amiaudit/snapshot"
)

// Lifecycle reads (issue 11): the Recycle Bin, snapshot locks, and the
// managed-by and image criteria of the account settings. Each is a read-only
// call listed in docs/iam-policy.json.

// lifecycle is what the lifecycle calls gave in one account-region.
type lifecycle struct {
	binImages    []snapshot.RecycleBinImage
	binSnapshots []snapshot.RecycleBinSnapshot
}

// collectLifecycle reads the Recycle Bin of the account-region and the locks
// of its snapshots (written into snaps).
func (c *collector) collectLifecycle(ctx context.Context, client *ec2.Client, account, region string, snaps []snapshot.Snapshot, fail failFunc) lifecycle {
	var out lifecycle
	// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ListImagesInRecycleBin.html
	imgs := ec2.NewListImagesInRecycleBinPaginator(client, &ec2.ListImagesInRecycleBinInput{MaxResults: aws.Int32(1000)})
	for imgs.HasMorePages() {
		page, err := imgs.NextPage(ctx)
		if err != nil {
			fail("ec2", "ListImagesInRecycleBin", "", err)
			break
		}
		for _, i := range page.Images {
			out.binImages = append(out.binImages, snapshot.RecycleBinImage{
				ID: aws.ToString(i.ImageId), Account: account, Region: region,
				Name: aws.ToString(i.Name), Description: aws.ToString(i.Description),
				EnterTime: utc(i.RecycleBinEnterTime), ExitTime: utc(i.RecycleBinExitTime),
			})
		}
	}
	// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ListSnapshotsInRecycleBin.html
	sn := ec2.NewListSnapshotsInRecycleBinPaginator(client, &ec2.ListSnapshotsInRecycleBinInput{MaxResults: aws.Int32(1000)})
	for sn.HasMorePages() {
		page, err := sn.NextPage(ctx)
		if err != nil {
			fail("ec2", "ListSnapshotsInRecycleBin", "", err)
			break
		}
		for _, s := range page.Snapshots {
			out.binSnapshots = append(out.binSnapshots, snapshot.RecycleBinSnapshot{
				ID: aws.ToString(s.SnapshotId), Account: account, Region: region,
				Description: aws.ToString(s.Description), VolumeID: aws.ToString(s.VolumeId),
				EnterTime: utc(s.RecycleBinEnterTime), ExitTime: utc(s.RecycleBinExitTime),
			})
		}
	}
	c.snapshotLocks(ctx, client, snaps, fail)
	return out
}

// snapshotLocks reads DescribeLockedSnapshots for the account-region (it has
// no paginator in the SDK; NextToken is followed by hand).
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeLockedSnapshots.html
func (c *collector) snapshotLocks(ctx context.Context, client *ec2.Client, snaps []snapshot.Snapshot, fail failFunc) {
	byID := make(map[string]*snapshot.Snapshot, len(snaps))
	for i := range snaps {
		byID[snaps[i].ID] = &snaps[i]
	}
	in := &ec2.DescribeLockedSnapshotsInput{MaxResults: aws.Int32(1000)}
	for {
		out, err := client.DescribeLockedSnapshots(ctx, in)
		if err != nil {
			fail("ec2", "DescribeLockedSnapshots", "", err)
			return
		}
		for _, l := range out.Snapshots {
			if s := byID[aws.ToString(l.SnapshotId)]; s != nil {
				s.Lock = toLock(l)
			}
		}
		if aws.ToString(out.NextToken) == "" {
			return
		}
		in.NextToken = out.NextToken
	}
}

func toLock(l types.LockedSnapshotsInfo) *snapshot.SnapshotLock {
	return &snapshot.SnapshotLock{
		State:                  string(l.LockState),
		CreatedOn:              utc(l.LockCreatedOn),
		ExpiresOn:              utc(l.LockExpiresOn),
		CoolOffPeriodExpiresOn: utc(l.CoolOffPeriodExpiresOn),
	}
}

// toCriteria converts the Allowed AMIs image criteria.
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ImageCriterion.html
func toCriteria(in []types.ImageCriterion) []snapshot.ImageCriterion {
	var out []snapshot.ImageCriterion
	for _, c := range in {
		ic := snapshot.ImageCriterion{
			ImageProviders:          c.ImageProviders,
			MarketplaceProductCodes: c.MarketplaceProductCodes,
			ImageNames:              c.ImageNames,
		}
		if c.CreationDateCondition != nil {
			ic.CreationDateMaximumDaysSinceCreated = aws.ToInt32(c.CreationDateCondition.MaximumDaysSinceCreated)
		}
		if c.DeprecationTimeCondition != nil {
			ic.DeprecationTimeMaximumDaysSinceDeprecated = aws.ToInt32(c.DeprecationTimeCondition.MaximumDaysSinceDeprecated)
		}
		out = append(out, ic)
	}
	return out
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
