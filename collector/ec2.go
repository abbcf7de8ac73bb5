package collector

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"golang.org/x/sync/errgroup"

	"github.com/amiaudit/amiaudit/snapshot"
)

// attributeWorkers bounds the per-resource attribute calls in flight in one
// account-region; the account-region's limiter sets the actual pace.
const attributeWorkers = 8

// regionResult is what one account-region gave.
type regionResult struct {
	account, region string
	creds           aws.CredentialsProvider
	clients         clients
	settings        snapshot.AccountRegion
	images          []snapshot.Image
	snapshots       []snapshot.Snapshot
	lifecycle       lifecycle
	failed          bool // nothing could be read here
}

func (c *collector) collectRegion(ctx context.Context, creds aws.CredentialsProvider, account, region string) *regionResult {
	r := &regionResult{account: account, region: region, creds: creds, clients: c.clientsFor(creds, account, region)}
	r.settings = snapshot.AccountRegion{Account: account, Region: region}
	fail := c.failIn(ctx, account, region)

	images, err := c.describeImages(ctx, r.clients.ec2)
	if err != nil {
		fail("ec2", "DescribeImages", "", err)
		if regionGone(err) || c.isGap(account, region) {
			r.failed = true
			return r
		}
	}
	r.images = images
	r.snapshots = c.describeSnapshots(ctx, r.clients.ec2, fail)
	for i := range r.images {
		r.images[i].Region = region
	}
	for i := range r.snapshots {
		r.snapshots[i].Region = region
	}
	// With a baseline, only what is new or named by an event is read again.
	p := c.planRegion(ctx, r)
	if p == nil {
		c.launchPermissions(ctx, r.clients.ec2, r.images, fail)
		c.createVolumePermissions(ctx, r.clients.ec2, r.snapshots, fail)
		c.settings(ctx, r.clients.ec2, &r.settings, fail)
	} else {
		imgs := gather(r.images, p.carryImages(r.images))
		c.launchPermissions(ctx, r.clients.ec2, imgs.items, fail)
		imgs.scatter(r.images)
		snaps := gather(r.snapshots, p.carrySnapshots(r.snapshots))
		c.createVolumePermissions(ctx, r.clients.ec2, snaps.items, fail)
		snaps.scatter(r.snapshots)
		if !p.carrySettings(&r.settings) {
			p.scope.SettingsReRead = true
			c.settings(ctx, r.clients.ec2, &r.settings, fail)
		}
	}
	r.lifecycle = c.collectLifecycle(ctx, r.clients.ec2, account, region, r.snapshots, fail)
	if ctx.Err() != nil {
		// Cut short between calls: no call failed to say so.
		fail("ec2", "DescribeSnapshotAttribute", "", ctx.Err())
	}
	return r
}

type failFunc func(service, action, resource string, err error)

// subset is some items of a slice, copied out to be read and put back.
type subset[T any] struct {
	items []T
	index []int
}

func gather[T any](all []T, index []int) subset[T] {
	s := subset[T]{index: index, items: make([]T, len(index))}
	for i, j := range index {
		s.items[i] = all[j]
	}
	return s
}

func (s subset[T]) scatter(all []T) {
	for i, j := range s.index {
		all[j] = s.items[i]
	}
}

// failIn is c.fail for the calls of one account-region.
func (c *collector) failIn(ctx context.Context, account, region string) failFunc {
	return func(service, action, resource string, err error) {
		c.fail(ctx, snapshot.CollectionError{Account: account, Region: region, Service: service, Action: action, Resource: resource}, err)
	}
}

func (c *collector) describeImages(ctx context.Context, client *ec2.Client) ([]snapshot.Image, error) {
	var out []snapshot.Image
	p := ec2.NewDescribeImagesPaginator(client, &ec2.DescribeImagesInput{
		Owners:            []string{"self"},
		IncludeDeprecated: aws.Bool(true),
		IncludeDisabled:   aws.Bool(true),
		MaxResults:        aws.Int32(1000),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, err
		}
		for _, img := range page.Images {
			out = append(out, toImage(img))
		}
	}
	return out, nil
}

func toImage(img types.Image) snapshot.Image {
	out := snapshot.Image{
		ID:              aws.ToString(img.ImageId),
		Account:         aws.ToString(img.OwnerId),
		Name:            aws.ToString(img.Name),
		Description:     aws.ToString(img.Description),
		State:           string(img.State),
		CreationDate:    parseTime(img.CreationDate),
		DeprecationTime: parseTime(img.DeprecationTime),
		Public:          aws.ToBool(img.Public),
		Platform:        aws.ToString(img.PlatformDetails),
		Architecture:    string(img.Architecture),
		RootDeviceType:  string(img.RootDeviceType),
		ImageLocation:   aws.ToString(img.ImageLocation),
		SourceImageID:   aws.ToString(img.SourceImageId),
		SourceRegion:    aws.ToString(img.SourceImageRegion),

		PlatformDetails:          aws.ToString(img.PlatformDetails),
		UsageOperation:           aws.ToString(img.UsageOperation),
		DeregistrationProtection: aws.ToString(img.DeregistrationProtection),
		LastLaunchedTime:         parseTime(img.LastLaunchedTime),
	}
	for _, pc := range img.ProductCodes {
		out.ProductCodes = append(out.ProductCodes, snapshot.ProductCode{ID: aws.ToString(pc.ProductCodeId), Type: string(pc.ProductCodeType)})
	}
	for _, t := range img.Tags {
		out.Tags = append(out.Tags, snapshot.Tag{Key: aws.ToString(t.Key), Value: aws.ToString(t.Value)})
	}
	for _, b := range img.BlockDeviceMappings {
		m := snapshot.BlockDeviceMapping{DeviceName: aws.ToString(b.DeviceName), VirtualName: aws.ToString(b.VirtualName)}
		if b.Ebs != nil {
			m.SnapshotID = aws.ToString(b.Ebs.SnapshotId)
			m.VolumeSize = aws.ToInt32(b.Ebs.VolumeSize)
			m.VolumeType = string(b.Ebs.VolumeType)
			m.Encrypted = aws.ToBool(b.Ebs.Encrypted)
			m.KMSKeyID = aws.ToString(b.Ebs.KmsKeyId)
		}
		out.BlockDeviceMappings = append(out.BlockDeviceMappings, m)
	}
	return out
}

// parseTime reads EC2's ISO 8601 times; one it cannot read is left out rather
// than guessed.
func parseTime(s *string) *time.Time {
	if s == nil || *s == "" {
		return nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000Z", "2006-01-02T15:04:05Z"} {
		if t, err := time.Parse(layout, *s); err == nil {
			t = t.UTC()
			return &t
		}
	}
	return nil
}

func (c *collector) describeSnapshots(ctx context.Context, client *ec2.Client, fail failFunc) []snapshot.Snapshot {
	var out []snapshot.Snapshot
	p := ec2.NewDescribeSnapshotsPaginator(client, &ec2.DescribeSnapshotsInput{
		OwnerIds:   []string{"self"},
		MaxResults: aws.Int32(1000),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			fail("ec2", "DescribeSnapshots", "", err)
			return out
		}
		for _, s := range page.Snapshots {
			out = append(out, toSnapshot(s, ""))
		}
	}
	return out
}

func toSnapshot(s types.Snapshot, region string) snapshot.Snapshot {
	snap := snapshot.Snapshot{
		ID:          aws.ToString(s.SnapshotId),
		Account:     aws.ToString(s.OwnerId),
		Region:      region,
		Description: aws.ToString(s.Description),
		VolumeID:    aws.ToString(s.VolumeId),
		VolumeSize:  aws.ToInt32(s.VolumeSize),
		State:       string(s.State),
		Encrypted:   aws.ToBool(s.Encrypted),
		KMSKeyID:    aws.ToString(s.KmsKeyId),
	}
	if s.StartTime != nil {
		t := s.StartTime.UTC()
		snap.StartTime = &t
	}
	for _, t := range s.Tags {
		snap.Tags = append(snap.Tags, snapshot.Tag{Key: aws.ToString(t.Key), Value: aws.ToString(t.Value)})
	}
	return snap
}

// launchPermissions reads each image's launchPermission attribute.
func (c *collector) launchPermissions(ctx context.Context, client *ec2.Client, images []snapshot.Image, fail failFunc) {
	forEach(ctx, len(images), func(i int) {
		img := &images[i]
		out, err := client.DescribeImageAttribute(ctx, &ec2.DescribeImageAttributeInput{
			ImageId:   aws.String(img.ID),
			Attribute: types.ImageAttributeNameLaunchPermission,
		})
		if err != nil {
			fail("ec2", "DescribeImageAttribute", img.ID, err)
			return
		}
		perms := make([]snapshot.LaunchPermission, 0, len(out.LaunchPermissions))
		for _, p := range out.LaunchPermissions {
			perms = append(perms, snapshot.LaunchPermission{
				UserID:                aws.ToString(p.UserId),
				Group:                 string(p.Group),
				OrganizationARN:       aws.ToString(p.OrganizationArn),
				OrganizationalUnitARN: aws.ToString(p.OrganizationalUnitArn),
			})
		}
		img.LaunchPermissions = perms
	})
}

// createVolumePermissions reads each snapshot's createVolumePermission attribute.
func (c *collector) createVolumePermissions(ctx context.Context, client *ec2.Client, snaps []snapshot.Snapshot, fail failFunc) {
	forEach(ctx, len(snaps), func(i int) {
		s := &snaps[i]
		out, err := client.DescribeSnapshotAttribute(ctx, &ec2.DescribeSnapshotAttributeInput{
			SnapshotId: aws.String(s.ID),
			Attribute:  types.SnapshotAttributeNameCreateVolumePermission,
		})
		if err != nil {
			fail("ec2", "DescribeSnapshotAttribute", s.ID, err)
			return
		}
		perms := make([]snapshot.CreateVolumePermission, 0, len(out.CreateVolumePermissions))
		for _, p := range out.CreateVolumePermissions {
			perms = append(perms, snapshot.CreateVolumePermission{UserID: aws.ToString(p.UserId), Group: string(p.Group)})
		}
		s.CreateVolumePermissions = perms
	})
}

// settings reads the account-region settings; one that cannot be read stays
// null and is recorded.
func (c *collector) settings(ctx context.Context, client *ec2.Client, s *snapshot.AccountRegion, fail failFunc) {
	if out, err := client.GetImageBlockPublicAccessState(ctx, &ec2.GetImageBlockPublicAccessStateInput{}); err != nil {
		fail("ec2", "GetImageBlockPublicAccessState", "", err)
	} else {
		s.ImageBlockPublicAccess = out.ImageBlockPublicAccessState
		s.ImageBlockPublicAccessManagedBy = string(out.ManagedBy)
	}
	if out, err := client.GetSnapshotBlockPublicAccessState(ctx, &ec2.GetSnapshotBlockPublicAccessStateInput{}); err != nil {
		fail("ec2", "GetSnapshotBlockPublicAccessState", "", err)
	} else {
		s.SnapshotBlockPublicAccess = aws.String(string(out.State))
		s.SnapshotBlockPublicAccessManagedBy = string(out.ManagedBy)
	}
	if out, err := client.GetAllowedImagesSettings(ctx, &ec2.GetAllowedImagesSettingsInput{}); err != nil {
		fail("ec2", "GetAllowedImagesSettings", "", err)
	} else {
		s.AllowedImages = out.State
		s.AllowedImagesManagedBy = string(out.ManagedBy)
		s.AllowedImagesCriteria = toCriteria(out.ImageCriteria)
	}
	if out, err := client.GetEbsEncryptionByDefault(ctx, &ec2.GetEbsEncryptionByDefaultInput{}); err != nil {
		fail("ec2", "GetEbsEncryptionByDefault", "", err)
	} else {
		s.EBSEncryptionByDefault = out.EbsEncryptionByDefault
	}
	if out, err := client.GetEbsDefaultKmsKeyId(ctx, &ec2.GetEbsDefaultKmsKeyIdInput{}); err != nil {
		fail("ec2", "GetEbsDefaultKmsKeyId", "", err)
	} else {
		s.EBSDefaultKMSKeyID = out.KmsKeyId
	}
}

// forEach runs fn(0..n-1) on a few workers and returns when all are done or
// ctx is cancelled.
func forEach(ctx context.Context, n int, fn func(i int)) {
	var g errgroup.Group
	g.SetLimit(attributeWorkers)
	for i := 0; i < n && ctx.Err() == nil; i++ {
		g.Go(func() error { fn(i); return nil })
	}
	_ = g.Wait()
}
