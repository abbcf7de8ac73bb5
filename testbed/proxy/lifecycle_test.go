package proxy

import (
	"context"
	"encoding/xml"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// TestRewrittenAnswerIsWellFormed: the DescribeImages rewrite keeps one
// xmlns on the root and none below it.
func TestRewrittenAnswerIsWellFormed(t *testing.T) {
	var root node
	in := `<?xml version="1.0"?><DescribeImagesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>x</requestId><imagesSet><item><imageId>ami-1</imageId></item></imagesSet></DescribeImagesResponse>`
	if err := xml.Unmarshal([]byte(in), &root); err != nil {
		t.Fatal(err)
	}
	root.plain()
	root.child("imagesSet").Nodes[0].set("imageState", "disabled")
	out, err := xml.Marshal(&root)
	if err != nil {
		t.Fatal(err)
	}
	want := `<DescribeImagesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>x</requestId><imagesSet><item><imageId>ami-1</imageId><imageState>disabled</imageState></item></imagesSet></DescribeImagesResponse>`
	if string(out) != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}
}

// TestLifecycle: the calls moto lacks are answered in shapes the real SDK
// parses, per account-region; DescribeImages carries the overrides and hides
// a disabled AMI unless IncludeDisabled is set, as AWS does.
func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	const region = "ca-central-1"
	// The AMIs must exist in moto before the proxy knows their IDs.
	seed := startProxy(t, Config{})
	c0 := ec2.NewFromConfig(sdkConfig(t, seed, region, false))
	var ids []string
	for _, name := range []string{"lifecycle-disabled", "lifecycle-windows"} {
		reg, err := c0.RegisterImage(ctx, &ec2.RegisterImageInput{Name: aws.String(name), RootDeviceName: aws.String("/dev/sda1")})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, aws.ToString(reg.ImageId))
	}
	enter := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	exit := enter.Add(7 * 24 * time.Hour)
	launched := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	p := startProxy(t, Config{
		Settings: []Setting{{
			Account: baseAccount, Region: region, AllowedImages: aws.String("enabled"), ManagedBy: aws.String("declarative-policy"),
			AllowedImagesCriteria: []ImageCriterion{{ImageProviders: []string{"amazon", "aws-marketplace"}}, {ImageNames: []string{"golden-*"}, ImageProviders: []string{"111122223333"}}},
		}},
		Lifecycle: Lifecycle{
			Images: []ImageState{
				{ImageID: ids[0], Disabled: true, DeregistrationProtection: "enabled"},
				{ImageID: ids[1], PlatformDetails: "Windows", UsageOperation: "RunInstances:0002", LastLaunchedTime: &launched},
			},
			RecycleBinImages:    []BinnedImage{{Account: baseAccount, Region: region, ImageID: "ami-0b1b1b1b1b1b1b1b1", Name: "old", Description: "binned", EnterTime: enter, ExitTime: exit}},
			RecycleBinSnapshots: []BinnedSnapshot{{Account: baseAccount, Region: region, SnapshotID: "snap-0b1b1b1b1b1b1b1b1", VolumeID: "vol-0123", EnterTime: enter, ExitTime: exit}},
			Locks:               []SnapshotLock{{Account: baseAccount, Region: region, SnapshotID: "snap-0c0c0c0c0c0c0c0c0", State: "compliance", CreatedOn: enter, ExpiresOn: exit}},
		},
	})
	c := ec2.NewFromConfig(sdkConfig(t, p, region, false))

	byID := func(in *ec2.DescribeImagesInput) map[string]ec2types.Image {
		t.Helper()
		out, err := c.DescribeImages(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]ec2types.Image{}
		for _, i := range out.Images {
			m[aws.ToString(i.ImageId)] = i
		}
		return m
	}
	plain := byID(&ec2.DescribeImagesInput{Owners: []string{"self"}})
	if _, ok := plain[ids[0]]; ok {
		t.Errorf("a disabled AMI is listed without IncludeDisabled")
	}
	win, ok := plain[ids[1]]
	if !ok {
		t.Fatalf("%s missing", ids[1])
	}
	if aws.ToString(win.PlatformDetails) != "Windows" || aws.ToString(win.UsageOperation) != "RunInstances:0002" || aws.ToString(win.LastLaunchedTime) != "2026-05-01T12:00:00.000Z" {
		t.Errorf("overrides not applied: %q %q %q", aws.ToString(win.PlatformDetails), aws.ToString(win.UsageOperation), aws.ToString(win.LastLaunchedTime))
	}
	all := byID(&ec2.DescribeImagesInput{Owners: []string{"self"}, IncludeDisabled: aws.Bool(true)})
	if d, ok := all[ids[0]]; !ok || d.State != ec2types.ImageStateDisabled || aws.ToString(d.DeregistrationProtection) != "enabled" {
		t.Errorf("disabled AMI with IncludeDisabled: present %v, state %q, protection %q", ok, d.State, aws.ToString(d.DeregistrationProtection))
	}

	bin, err := c.ListImagesInRecycleBin(ctx, &ec2.ListImagesInRecycleBinInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(bin.Images) != 1 || aws.ToString(bin.Images[0].ImageId) != "ami-0b1b1b1b1b1b1b1b1" || !aws.ToTime(bin.Images[0].RecycleBinExitTime).Equal(exit) || aws.ToString(bin.Images[0].Description) != "binned" {
		t.Errorf("ListImagesInRecycleBin: %+v", bin.Images)
	}
	other, err := c.ListImagesInRecycleBin(ctx, &ec2.ListImagesInRecycleBinInput{ImageIds: []string{"ami-0000000000000000f"}})
	if err != nil || len(other.Images) != 0 {
		t.Errorf("ImageIds filter: %v %+v", err, other)
	}
	sbin, err := c.ListSnapshotsInRecycleBin(ctx, &ec2.ListSnapshotsInRecycleBinInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sbin.Snapshots) != 1 || aws.ToString(sbin.Snapshots[0].VolumeId) != "vol-0123" || !aws.ToTime(sbin.Snapshots[0].RecycleBinEnterTime).Equal(enter) {
		t.Errorf("ListSnapshotsInRecycleBin: %+v", sbin.Snapshots)
	}
	locks, err := c.DescribeLockedSnapshots(ctx, &ec2.DescribeLockedSnapshotsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(locks.Snapshots) != 1 || locks.Snapshots[0].LockState != ec2types.LockStateCompliance || !aws.ToTime(locks.Snapshots[0].LockExpiresOn).Equal(exit) || aws.ToInt32(locks.Snapshots[0].LockDuration) != 7 {
		t.Errorf("DescribeLockedSnapshots: %+v", locks.Snapshots)
	}
	allowed, err := c.GetAllowedImagesSettings(ctx, &ec2.GetAllowedImagesSettingsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if allowed.ManagedBy != ec2types.ManagedByDeclarativePolicy || len(allowed.ImageCriteria) != 2 ||
		!slices.Equal(allowed.ImageCriteria[0].ImageProviders, []string{"amazon", "aws-marketplace"}) ||
		!slices.Equal(allowed.ImageCriteria[1].ImageNames, []string{"golden-*"}) {
		t.Errorf("GetAllowedImagesSettings: managed by %q, criteria %+v", allowed.ManagedBy, allowed.ImageCriteria)
	}

	// Another region of the same account sees none of it.
	elsewhere := ec2.NewFromConfig(sdkConfig(t, p, "ap-south-1", false))
	if b, err := elsewhere.ListImagesInRecycleBin(ctx, &ec2.ListImagesInRecycleBinInput{}); err != nil || len(b.Images) != 0 {
		t.Errorf("other region: %v %+v", err, b)
	}
}
