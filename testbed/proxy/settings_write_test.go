package proxy

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// TestSettingWrites: the settings calls moto lacks change what the proxy
// answers for that account-region only, and are CloudTrail events
// (settings_write.go cites the EC2 API reference pages).
func TestSettingWrites(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	p := startProxy(t, Config{
		Throttle: &Throttle{RatePerSecond: 1e9, Burst: 1 << 30, Now: clock.now},
		Settings: []Setting{{ImageBlockPublicAccess: aws.String("block-new-sharing")}},
	})
	const region = "il-central-1"
	cfg := sdkConfig(t, p, region, false)
	c := ec2.NewFromConfig(cfg)
	other := ec2.NewFromConfig(sdkConfig(t, p, "af-south-1", false))

	if out, err := c.DisableImageBlockPublicAccess(ctx, &ec2.DisableImageBlockPublicAccessInput{}); err != nil {
		t.Fatal(err)
	} else if out.ImageBlockPublicAccessState != ec2types.ImageBlockPublicAccessDisabledStateUnblocked {
		t.Errorf("DisableImageBlockPublicAccess answered %q", out.ImageBlockPublicAccessState)
	}
	if out, err := c.EnableSnapshotBlockPublicAccess(ctx, &ec2.EnableSnapshotBlockPublicAccessInput{State: ec2types.SnapshotBlockPublicAccessStateBlockAllSharing}); err != nil {
		t.Fatal(err)
	} else if out.State != ec2types.SnapshotBlockPublicAccessStateBlockAllSharing {
		t.Errorf("EnableSnapshotBlockPublicAccess answered %q", out.State)
	}
	if _, err := c.EnableAllowedImagesSettings(ctx, &ec2.EnableAllowedImagesSettingsInput{AllowedImagesSettingsState: ec2types.AllowedImagesSettingsEnabledStateAuditMode}); err != nil {
		t.Fatal(err)
	}
	const key = "arn:aws:kms:il-central-1:123456789012:key/0b1e8c2a-5b5f-4a41-9a6b-1b0c2f6c9e11"
	if _, err := c.ModifyEbsDefaultKmsKeyId(ctx, &ec2.ModifyEbsDefaultKmsKeyIdInput{KmsKeyId: aws.String(key)}); err != nil {
		t.Fatal(err)
	}
	_, err := c.EnableSnapshotBlockPublicAccess(ctx, &ec2.EnableSnapshotBlockPublicAccessInput{State: "block-everything"})
	if err == nil {
		t.Fatal("an invalid snapshot block state was accepted")
	}
	if code, status := apiError(t, err); code != "InvalidParameterValue" || status != 400 {
		t.Errorf("invalid state: %s %d", code, status)
	}

	img, err := c.GetImageBlockPublicAccessState(ctx, &ec2.GetImageBlockPublicAccessStateInput{})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := c.GetSnapshotBlockPublicAccessState(ctx, &ec2.GetSnapshotBlockPublicAccessStateInput{})
	if err != nil {
		t.Fatal(err)
	}
	allowed, err := c.GetAllowedImagesSettings(ctx, &ec2.GetAllowedImagesSettingsInput{})
	if err != nil {
		t.Fatal(err)
	}
	ebs, err := c.GetEbsDefaultKmsKeyId(ctx, &ec2.GetEbsDefaultKmsKeyIdInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(img.ImageBlockPublicAccessState) != "unblocked" || snap.State != "block-all-sharing" ||
		aws.ToString(allowed.State) != "audit-mode" || aws.ToString(ebs.KmsKeyId) != key {
		t.Errorf("after the changes: image %q snapshot %q allowed %q key %q", aws.ToString(img.ImageBlockPublicAccessState), snap.State, aws.ToString(allowed.State), aws.ToString(ebs.KmsKeyId))
	}
	// Another region keeps Config.Settings.
	if img, err := other.GetImageBlockPublicAccessState(ctx, &ec2.GetImageBlockPublicAccessStateInput{}); err != nil {
		t.Fatal(err)
	} else if got := aws.ToString(img.ImageBlockPublicAccessState); got != "block-new-sharing" {
		t.Errorf("other region: image block %q, want the configured block-new-sharing", got)
	}

	var names []string
	for _, e := range p.Events(baseAccount, region) {
		names = append(names, e.Name)
	}
	want := []string{"ModifyEbsDefaultKmsKeyId", "EnableAllowedImagesSettings", "EnableSnapshotBlockPublicAccess", "DisableImageBlockPublicAccess"}
	if len(names) != len(want) {
		t.Fatalf("events %v, want %v (the refused call is not one)", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Errorf("events %v, want %v", names, want)
			break
		}
	}
	e := lookupName(t, cfg, "EnableSnapshotBlockPublicAccess", clock.now().Add(-time.Hour), clock.now())
	if len(e) != 1 {
		t.Fatalf("%d EnableSnapshotBlockPublicAccess events", len(e))
	}
	rec := record(t, e[0])
	if got := field(rec, "requestParameters.state"); got != "block-all-sharing" {
		t.Errorf("requestParameters.state %#v", got)
	}
	if got := field(rec, "responseElements.state"); got != "block-all-sharing" {
		t.Errorf("responseElements.state %#v", got)
	}
}
