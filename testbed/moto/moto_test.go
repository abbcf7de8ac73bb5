package moto_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ebs"
	ebstypes "github.com/aws/aws-sdk-go-v2/service/ebs/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/amiaudit/amiaudit/testbed/awslocal"
	"github.com/amiaudit/amiaudit/testbed/moto"
)

// account returns a configuration acting as a new, empty account of the
// shared server, so tests keep apart without a server each.
func account(t *testing.T, region string) (aws.Config, string) {
	t.Helper()
	srv := moto.Shared(t)
	base, err := awslocal.Config(srv.URL(), region)
	if err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprintf("%012d", rand.Int64N(9e11)+1e11)
	cfg, err := awslocal.AssumeAccount(context.Background(), base, id)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, id
}

// call(f()).must(t) is f's result, or the end of the test if f failed.
func call[T any](v T, err error) result[T] { return result[T]{v, err} }

type result[T any] struct {
	v   T
	err error
}

func (r result[T]) must(t *testing.T) T {
	t.Helper()
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.v
}

// snapshotOf makes a volume and snapshots it, as AWS would.
func snapshotOf(t *testing.T, c *ec2.Client, region string, size int32, keyARN string, encrypted bool) ec2types.Snapshot {
	t.Helper()
	ctx := context.Background()
	in := &ec2.CreateVolumeInput{AvailabilityZone: aws.String(region + "a"), Size: aws.Int32(size)}
	if encrypted {
		in.Encrypted = aws.Bool(true)
	}
	if keyARN != "" {
		in.KmsKeyId = aws.String(keyARN)
	}
	vol := call(c.CreateVolume(ctx, in)).must(t)
	out := call(c.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: vol.VolumeId, Description: aws.String("test volume")})).must(t)
	return ec2types.Snapshot{SnapshotId: out.SnapshotId, Encrypted: out.Encrypted, KmsKeyId: out.KmsKeyId, VolumeSize: out.VolumeSize}
}

func ownSnapshots(t *testing.T, c *ec2.Client) map[string]ec2types.Snapshot {
	t.Helper()
	out := map[string]ec2types.Snapshot{}
	p := ec2.NewDescribeSnapshotsPaginator(c, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}})
	for p.HasMorePages() {
		page := call(p.NextPage(context.Background())).must(t)
		for _, s := range page.Snapshots {
			out[aws.ToString(s.SnapshotId)] = s
		}
	}
	return out
}

func describeImage(t *testing.T, c *ec2.Client, id string) ec2types.Image {
	t.Helper()
	out := call(c.DescribeImages(context.Background(), &ec2.DescribeImagesInput{ImageIds: []string{id}})).must(t)
	if len(out.Images) != 1 {
		t.Fatalf("DescribeImages %s: %d images", id, len(out.Images))
	}
	return out.Images[0]
}

func newKey(t *testing.T, cfg aws.Config) string {
	t.Helper()
	out := call(kms.NewFromConfig(cfg).CreateKey(context.Background(), &kms.CreateKeyInput{Description: aws.String("test CMK")})).must(t)
	return aws.ToString(out.KeyMetadata.Arn)
}

func TestAssumeRoleActsAsAnyAccountWithoutRole(t *testing.T) {
	cfg, id := account(t, "us-east-1")
	who := call(sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})).must(t)
	if got := aws.ToString(who.Account); got != id {
		t.Errorf("GetCallerIdentity account = %s, want %s", got, id)
	}
	if arn := aws.ToString(who.Arn); !strings.HasPrefix(arn, "arn:aws:sts::"+id+":assumed-role/"+awslocal.AccessRole+"/") {
		t.Errorf("GetCallerIdentity ARN = %s", arn)
	}
}

func TestNoDefaultAMIs(t *testing.T) {
	cfg, _ := account(t, "us-east-1")
	c := ec2.NewFromConfig(cfg)
	imgs := call(c.DescribeImages(context.Background(), &ec2.DescribeImagesInput{})).must(t)
	if len(imgs.Images) != 0 {
		t.Errorf("DescribeImages in a new account lists %d images (moto's default AMIs are loaded)", len(imgs.Images))
	}
	if snaps := ownSnapshots(t, c); len(snaps) != 0 {
		t.Errorf("DescribeSnapshots --owner-ids self lists %d snapshots in a new account", len(snaps))
	}
}

func TestRegisterImageUsesBlockDeviceMappings(t *testing.T) {
	ctx := context.Background()
	cfg, _ := account(t, "us-east-1")
	c := ec2.NewFromConfig(cfg)
	cmk := newKey(t, cfg)
	root := snapshotOf(t, c, "us-east-1", 8, cmk, true)
	data := snapshotOf(t, c, "us-east-1", 20, "", true) // the account's aws/ebs key
	scratch := snapshotOf(t, c, "us-east-1", 4, "", false)

	id := call(c.RegisterImage(ctx, &ec2.RegisterImageInput{
		Name:           aws.String("registered"),
		RootDeviceName: aws.String("/dev/xvda"),
		BlockDeviceMappings: []ec2types.BlockDeviceMapping{
			{DeviceName: aws.String("/dev/xvda"), Ebs: &ec2types.EbsBlockDevice{SnapshotId: root.SnapshotId, VolumeType: ec2types.VolumeTypeGp3}},
			{DeviceName: aws.String("/dev/sdb"), Ebs: &ec2types.EbsBlockDevice{SnapshotId: data.SnapshotId, VolumeSize: aws.Int32(30), DeleteOnTermination: aws.Bool(false)}},
			{DeviceName: aws.String("/dev/sdc"), Ebs: &ec2types.EbsBlockDevice{SnapshotId: scratch.SnapshotId}},
		},
	})).must(t).ImageId

	img := describeImage(t, c, aws.ToString(id))
	if aws.ToString(img.RootDeviceName) != "/dev/xvda" || img.RootDeviceType != ec2types.DeviceTypeEbs {
		t.Errorf("root device %s (%s), want /dev/xvda (ebs)", aws.ToString(img.RootDeviceName), img.RootDeviceType)
	}
	type device struct {
		snapshot  string
		size      int32
		encrypted bool
		deleteOnT bool
	}
	var got []device
	for _, m := range img.BlockDeviceMappings {
		got = append(got, device{aws.ToString(m.Ebs.SnapshotId), aws.ToInt32(m.Ebs.VolumeSize), aws.ToBool(m.Ebs.Encrypted), aws.ToBool(m.Ebs.DeleteOnTermination)})
	}
	want := []device{
		{aws.ToString(root.SnapshotId), 8, true, true},
		{aws.ToString(data.SnapshotId), 30, true, false},
		{aws.ToString(scratch.SnapshotId), 4, false, true},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("block device mappings\n got %v\nwant %v", got, want)
	}
	// No invented "Auto-created snapshot for AMI …" next to ours.
	if snaps := ownSnapshots(t, c); len(snaps) != 3 {
		t.Errorf("account has %d snapshots, want the 3 registered", len(snaps))
	}

	_, err := c.RegisterImage(ctx, &ec2.RegisterImageInput{
		Name: aws.String("missing"),
		BlockDeviceMappings: []ec2types.BlockDeviceMapping{
			{DeviceName: aws.String("/dev/xvda"), Ebs: &ec2types.EbsBlockDevice{SnapshotId: aws.String("snap-0123456789abcdef0")}},
		},
	})
	if code := errorCode(err); code != "InvalidSnapshot.NotFound" {
		t.Errorf("RegisterImage with an unknown snapshot: error code %q (%v), want InvalidSnapshot.NotFound", code, err)
	}
}

func TestCreateImageSnapshotsEveryInstanceVolume(t *testing.T) {
	ctx := context.Background()
	cfg, _ := account(t, "us-east-1")
	c := ec2.NewFromConfig(cfg)
	cmk := newKey(t, cfg)
	run := call(c.RunInstances(ctx, &ec2.RunInstancesInput{
		ImageId: aws.String("ami-12345678"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		BlockDeviceMappings: []ec2types.BlockDeviceMapping{
			{DeviceName: aws.String("/dev/xvda"), Ebs: &ec2types.EbsBlockDevice{VolumeSize: aws.Int32(8), Encrypted: aws.Bool(true), KmsKeyId: aws.String(cmk)}},
			{DeviceName: aws.String("/dev/sdf"), Ebs: &ec2types.EbsBlockDevice{VolumeSize: aws.Int32(50)}},
		},
	})).must(t)
	instance := aws.ToString(run.Instances[0].InstanceId)
	id := aws.ToString(call(c.CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(instance), Name: aws.String("from-instance")})).must(t).ImageId)

	img := describeImage(t, c, id)
	if len(img.BlockDeviceMappings) != 2 {
		t.Fatalf("image has %d devices, want 2: %+v", len(img.BlockDeviceMappings), img.BlockDeviceMappings)
	}
	snaps := ownSnapshots(t, c)
	desc := regexp.MustCompile(`^Created by CreateImage\(` + instance + `\) for ` + id + ` from vol-[0-9a-f]+$`)
	wantKey := map[string]string{"/dev/xvda": cmk, "/dev/sdf": ""}
	wantSize := map[string]int32{"/dev/xvda": 8, "/dev/sdf": 50}
	for _, m := range img.BlockDeviceMappings {
		dev := aws.ToString(m.DeviceName)
		s, ok := snaps[aws.ToString(m.Ebs.SnapshotId)]
		if !ok {
			t.Errorf("%s: snapshot %s not in DescribeSnapshots", dev, aws.ToString(m.Ebs.SnapshotId))
			continue
		}
		if !desc.MatchString(aws.ToString(s.Description)) {
			t.Errorf("%s: snapshot description %q, want AWS's %s", dev, aws.ToString(s.Description), desc)
		}
		if got := aws.ToString(s.KmsKeyId); got != wantKey[dev] {
			t.Errorf("%s: snapshot key %q, want %q", dev, got, wantKey[dev])
		}
		if got := aws.ToInt32(s.VolumeSize); got != wantSize[dev] {
			t.Errorf("%s: snapshot size %d, want %d", dev, got, wantSize[dev])
		}
		if aws.ToBool(m.Ebs.Encrypted) != (wantKey[dev] != "") {
			t.Errorf("%s: DescribeImages Encrypted = %v", dev, aws.ToBool(m.Ebs.Encrypted))
		}
	}
	if len(snaps) != 2 {
		t.Errorf("account has %d snapshots, want the image's 2", len(snaps))
	}
}

func TestCopyImageCopiesEverySnapshot(t *testing.T) {
	ctx := context.Background()
	cfg, _ := account(t, "us-east-1")
	east := ec2.NewFromConfig(cfg)
	euCfg := awslocal.InRegion(cfg, "eu-west-1")
	eu := ec2.NewFromConfig(euCfg)
	cmk := newKey(t, cfg)
	euKey := newKey(t, euCfg)
	root := snapshotOf(t, east, "us-east-1", 8, cmk, true)
	data := snapshotOf(t, east, "us-east-1", 16, "", false)
	src := aws.ToString(call(east.RegisterImage(ctx, &ec2.RegisterImageInput{
		Name: aws.String("golden"), RootDeviceName: aws.String("/dev/xvda"),
		BlockDeviceMappings: []ec2types.BlockDeviceMapping{
			{DeviceName: aws.String("/dev/xvda"), Ebs: &ec2types.EbsBlockDevice{SnapshotId: root.SnapshotId}},
			{DeviceName: aws.String("/dev/sdb"), Ebs: &ec2types.EbsBlockDevice{SnapshotId: data.SnapshotId}},
		},
	})).must(t).ImageId)

	tests := []struct {
		name     string
		in       ec2.CopyImageInput
		wantKeys []string // per device, "" unencrypted, "aws/ebs" the destination's AWS managed key
	}{
		{"with a key", ec2.CopyImageInput{Encrypted: aws.Bool(true), KmsKeyId: aws.String(euKey)}, []string{euKey, euKey}},
		{"without a key", ec2.CopyImageInput{}, []string{"aws/ebs", ""}},
	}
	euEBS := aws.ToString(call(kms.NewFromConfig(euCfg).DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/aws/ebs")})).must(t).KeyMetadata.Arn)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.SourceImageId, in.SourceRegion, in.Name = aws.String(src), aws.String("us-east-1"), aws.String("golden-eu")
			id := aws.ToString(call(eu.CopyImage(ctx, &in)).must(t).ImageId)
			img := describeImage(t, eu, id)
			if aws.ToString(img.SourceImageId) != src || aws.ToString(img.SourceImageRegion) != "us-east-1" {
				t.Errorf("copy's source = %s in %s, want %s in us-east-1", aws.ToString(img.SourceImageId), aws.ToString(img.SourceImageRegion), src)
			}
			if len(img.BlockDeviceMappings) != 2 {
				t.Fatalf("copy has %d devices, want 2", len(img.BlockDeviceMappings))
			}
			snaps := ownSnapshots(t, eu)
			sources := []string{aws.ToString(root.SnapshotId), aws.ToString(data.SnapshotId)}
			for i, m := range img.BlockDeviceMappings {
				s := snaps[aws.ToString(m.Ebs.SnapshotId)]
				desc := regexp.MustCompile(`^Copied for DestinationAmi ` + id + ` from SourceAmi ` + src + ` for SourceSnapshot ` + sources[i] + `\. Task created on [0-9,]+\.$`)
				if !desc.MatchString(aws.ToString(s.Description)) {
					t.Errorf("device %d: description %q, want AWS's %s", i, aws.ToString(s.Description), desc)
				}
				want := tt.wantKeys[i]
				if want == "aws/ebs" {
					want = euEBS
				}
				if got := aws.ToString(s.KmsKeyId); got != want || aws.ToBool(s.Encrypted) != (want != "") {
					t.Errorf("device %d: key %q (encrypted %v), want %q", i, got, aws.ToBool(s.Encrypted), want)
				}
			}
		})
	}
}

func TestCreateSnapshotKeepsVolumeKMSKey(t *testing.T) {
	cfg, _ := account(t, "eu-west-1")
	c := ec2.NewFromConfig(cfg)
	cmk := newKey(t, cfg)
	s := snapshotOf(t, c, "eu-west-1", 8, cmk, true)
	got := ownSnapshots(t, c)[aws.ToString(s.SnapshotId)]
	if aws.ToString(got.KmsKeyId) != cmk || !aws.ToBool(got.Encrypted) {
		t.Errorf("snapshot of a volume encrypted with %s: key %q, encrypted %v", cmk, aws.ToString(got.KmsKeyId), aws.ToBool(got.Encrypted))
	}
}

func TestImageDeprecation(t *testing.T) {
	ctx := context.Background()
	cfg, _ := account(t, "us-east-1")
	c := ec2.NewFromConfig(cfg)
	s := snapshotOf(t, c, "us-east-1", 8, "", false)
	id := call(c.RegisterImage(ctx, &ec2.RegisterImageInput{
		Name:                aws.String("deprecated"),
		BlockDeviceMappings: []ec2types.BlockDeviceMapping{{DeviceName: aws.String("/dev/xvda"), Ebs: &ec2types.EbsBlockDevice{SnapshotId: s.SnapshotId}}},
	})).must(t).ImageId
	if img := describeImage(t, c, aws.ToString(id)); img.DeprecationTime != nil {
		t.Errorf("new image has DeprecationTime %s", aws.ToString(img.DeprecationTime))
	}
	// A past time: the test bed's way to an AMI whose deprecation has passed.
	at := time.Date(2026, 9, 1, 0, 0, 40, 0, time.UTC)
	call(c.EnableImageDeprecation(ctx, &ec2.EnableImageDeprecationInput{ImageId: id, DeprecateAt: aws.Time(at)})).must(t)
	if got := aws.ToString(describeImage(t, c, aws.ToString(id)).DeprecationTime); got != "2026-09-01T00:01:00.000Z" {
		t.Errorf("DeprecationTime = %q, want 2026-09-01T00:01:00.000Z (rounded to the minute)", got)
	}
	call(c.DisableImageDeprecation(ctx, &ec2.DisableImageDeprecationInput{ImageId: id})).must(t)
	if img := describeImage(t, c, aws.ToString(id)); img.DeprecationTime != nil {
		t.Errorf("after DisableImageDeprecation, DeprecationTime = %s", aws.ToString(img.DeprecationTime))
	}
}

func TestReservedAliasKeysAreAWSManaged(t *testing.T) {
	ctx := context.Background()
	cfg, id := account(t, "us-east-1")
	k := kms.NewFromConfig(cfg)

	// AWS creates aws/ebs on first use; moto does on the first DescribeKey.
	ebs := call(k.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/aws/ebs")})).must(t).KeyMetadata
	if ebs.KeyManager != "AWS" {
		t.Errorf("alias/aws/ebs KeyManager = %s, want AWS", ebs.KeyManager)
	}
	if !strings.HasPrefix(aws.ToString(ebs.Description), "Default key that protects my EBS volumes") {
		t.Errorf("alias/aws/ebs description = %q", aws.ToString(ebs.Description))
	}
	policy := aws.ToString(call(k.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: ebs.KeyId, PolicyName: aws.String("default")})).must(t).Policy)
	for _, want := range []string{`"kms:CallerAccount": "` + id + `"`, `"kms:ViaService": "ec2.us-east-1.amazonaws.com"`} {
		if !strings.Contains(policy, want) {
			t.Errorf("aws/ebs key policy lacks %s:\n%s", want, policy)
		}
	}
	cmk := newKey(t, cfg)
	if m := call(k.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(cmk)})).must(t).KeyMetadata.KeyManager; m != "CUSTOMER" {
		t.Errorf("customer key KeyManager = %s, want CUSTOMER", m)
	}

	// The other way AWS makes it: an encrypted volume with no key, in a
	// region where aws/ebs does not exist yet.
	eu := awslocal.InRegion(cfg, "eu-west-1")
	s := snapshotOf(t, ec2.NewFromConfig(eu), "eu-west-1", 8, "", true)
	m := call(kms.NewFromConfig(eu).DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: s.KmsKeyId})).must(t).KeyMetadata
	if m.KeyManager != "AWS" {
		t.Errorf("key of a volume encrypted by default: KeyManager = %s, want AWS", m.KeyManager)
	}

	// Like AWS, nobody may create an alias/aws/… alias for their own key.
	_, err := k.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/aws/ebs"), TargetKeyId: aws.String(cmk)})
	if err == nil {
		t.Error("CreateAlias alias/aws/ebs succeeded")
	}
}

func TestCreateAccountWithFixedID(t *testing.T) {
	ctx := context.Background()
	cfg, _ := account(t, "us-east-1")
	o := organizations.NewFromConfig(cfg)
	call(o.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll})).must(t)
	want := fmt.Sprintf("%012d", rand.Int64N(9e11)+1e11)
	tag := []orgtypes.Tag{{Key: aws.String("amiaudit-testbed:account-id"), Value: aws.String(want)}}
	st := call(o.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String("fixed"), Email: aws.String("fixed@example.com"), Tags: tag})).must(t).CreateAccountStatus
	if got := aws.ToString(st.AccountId); got != want {
		t.Fatalf("CreateAccount with the fixed-ID tag made account %s, want %s", got, want)
	}
	tags := call(o.ListTagsForResource(ctx, &organizations.ListTagsForResourceInput{ResourceId: aws.String(want)})).must(t).Tags
	if len(tags) != 0 {
		t.Errorf("the hook's tag was stored: %v", tags)
	}
	_, err := o.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String("again"), Email: aws.String("again@example.com"), Tags: tag})
	if code := errorCode(err); code != "InvalidInputException" {
		t.Errorf("second account with ID %s: error %q (%v), want InvalidInputException", want, code, err)
	}
	st = call(o.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String("random"), Email: aws.String("random@example.com")})).must(t).CreateAccountStatus
	if !regexp.MustCompile(`^[0-9]{12}$`).MatchString(aws.ToString(st.AccountId)) || aws.ToString(st.AccountId) == want {
		t.Errorf("CreateAccount without the tag made account %q", aws.ToString(st.AccountId))
	}
}

// TestMotoBehaviour pins the moto behaviours the test bed and the collector
// rely on, or work around, without a patch (testbed/README.md lists them). A
// moto upgrade that changes one fails here first.
func TestMotoBehaviour(t *testing.T) {
	ctx := context.Background()
	cfg, _ := account(t, "us-east-1")
	c := ec2.NewFromConfig(cfg)
	s := snapshotOf(t, c, "us-east-1", 8, "", false)
	id := call(c.RegisterImage(ctx, &ec2.RegisterImageInput{
		Name:                aws.String("shared"),
		BlockDeviceMappings: []ec2types.BlockDeviceMapping{{DeviceName: aws.String("/dev/xvda"), Ebs: &ec2types.EbsBlockDevice{SnapshotId: s.SnapshotId}}},
	})).must(t).ImageId

	t.Run("launch permissions of every kind round-trip", func(t *testing.T) {
		perms := []ec2types.LaunchPermission{
			{UserId: aws.String("999988887777")},
			{Group: ec2types.PermissionGroupAll},
			{OrganizationArn: aws.String("arn:aws:organizations::555566667777:organization/o-partner9xyz12")},
			{OrganizationalUnitArn: aws.String("arn:aws:organizations::555566667777:ou/o-partner9xyz12/ou-ab12-cdef3456")},
		}
		call(c.ModifyImageAttribute(ctx, &ec2.ModifyImageAttributeInput{ImageId: id, LaunchPermission: &ec2types.LaunchPermissionModifications{Add: perms}})).must(t)
		got := call(c.DescribeImageAttribute(ctx, &ec2.DescribeImageAttributeInput{ImageId: id, Attribute: ec2types.ImageAttributeNameLaunchPermission})).must(t).LaunchPermissions
		if len(got) != len(perms) {
			t.Errorf("DescribeImageAttribute launchPermission: %d entries, want %d", len(got), len(perms))
		}
		if !aws.ToBool(describeImage(t, c, aws.ToString(id)).Public) {
			t.Error("Group=all does not make DescribeImages report Public")
		}
	})
	t.Run("createVolumePermission: only the OperationType form works", func(t *testing.T) {
		call(c.ModifySnapshotAttribute(ctx, &ec2.ModifySnapshotAttributeInput{
			SnapshotId: s.SnapshotId, Attribute: ec2types.SnapshotAttributeNameCreateVolumePermission,
			CreateVolumePermission: &ec2types.CreateVolumePermissionModifications{Add: []ec2types.CreateVolumePermission{{UserId: aws.String("111122223333")}}},
		})).must(t)
		call(c.ModifySnapshotAttribute(ctx, &ec2.ModifySnapshotAttributeInput{
			SnapshotId: s.SnapshotId, Attribute: ec2types.SnapshotAttributeNameCreateVolumePermission,
			OperationType: ec2types.OperationTypeAdd, UserIds: []string{"999988887777"}, GroupNames: []string{"all"},
		})).must(t)
		got := call(c.DescribeSnapshotAttribute(ctx, &ec2.DescribeSnapshotAttributeInput{SnapshotId: s.SnapshotId, Attribute: ec2types.SnapshotAttributeNameCreateVolumePermission})).must(t).CreateVolumePermissions
		if len(got) != 2 {
			t.Errorf("createVolumePermission = %+v, want the OperationType form's 2 entries (all, 999988887777) and not the structured form's", got)
		}
	})
	t.Run("DeregisterImage leaves the snapshots", func(t *testing.T) {
		call(c.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: id})).must(t)
		if _, ok := ownSnapshots(t, c)[aws.ToString(s.SnapshotId)]; !ok {
			t.Error("snapshot gone with its AMI")
		}
	})
	t.Run("account settings moto does not serve", func(t *testing.T) {
		_, err := c.GetImageBlockPublicAccessState(ctx, &ec2.GetImageBlockPublicAccessStateInput{})
		if err == nil {
			t.Error("GetImageBlockPublicAccessState now works in moto: the proxy's settings may be unnecessary")
		}
		if _, err := c.GetEbsEncryptionByDefault(ctx, &ec2.GetEbsEncryptionByDefaultInput{}); err != nil {
			t.Errorf("GetEbsEncryptionByDefault: %v", err)
		}
	})
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// TestEBSBlockListingsMatchAWS: blocks uploaded through the EBS direct APIs
// are listed with integer indexes in ascending order and AWS's 512 KiB block
// size, and GetSnapshotBlock returns the data with its SHA-256 checksum.
func TestEBSBlockListingsMatchAWS(t *testing.T) {
	ctx := context.Background()
	cfg, _ := account(t, "us-east-1")
	c := ebs.NewFromConfig(cfg)
	start := call(c.StartSnapshot(ctx, &ebs.StartSnapshotInput{VolumeSize: aws.Int64(1)})).must(t)
	id := start.SnapshotId
	const blockSize = 512 << 10
	data := map[int32][]byte{}
	for _, i := range []int32{11, 2, 7} {
		b := bytes.Repeat([]byte{byte(i)}, blockSize)
		sum := sha256.Sum256(b)
		data[i] = b
		call(c.PutSnapshotBlock(ctx, &ebs.PutSnapshotBlockInput{
			SnapshotId: id, BlockIndex: aws.Int32(i), BlockData: bytes.NewReader(b), DataLength: aws.Int32(blockSize),
			Checksum: aws.String(base64.StdEncoding.EncodeToString(sum[:])), ChecksumAlgorithm: ebstypes.ChecksumAlgorithmChecksumAlgorithmSha256,
		})).must(t)
	}
	call(c.CompleteSnapshot(ctx, &ebs.CompleteSnapshotInput{SnapshotId: id, ChangedBlocksCount: aws.Int32(3)})).must(t)
	list := call(c.ListSnapshotBlocks(ctx, &ebs.ListSnapshotBlocksInput{SnapshotId: id})).must(t)
	if aws.ToInt32(list.BlockSize) != blockSize || aws.ToInt64(list.VolumeSize) != 1 {
		t.Errorf("block size %d, volume size %d", aws.ToInt32(list.BlockSize), aws.ToInt64(list.VolumeSize))
	}
	var order []int32
	for _, b := range list.Blocks {
		order = append(order, aws.ToInt32(b.BlockIndex))
	}
	if fmt.Sprint(order) != "[2 7 11]" {
		t.Errorf("blocks %v, want [2 7 11]", order)
	}
	for _, b := range list.Blocks {
		out := call(c.GetSnapshotBlock(ctx, &ebs.GetSnapshotBlockInput{SnapshotId: id, BlockIndex: b.BlockIndex, BlockToken: b.BlockToken})).must(t)
		got, err := io.ReadAll(out.BlockData)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(got)
		if !bytes.Equal(got, data[aws.ToInt32(b.BlockIndex)]) || aws.ToString(out.Checksum) != base64.StdEncoding.EncodeToString(sum[:]) ||
			out.ChecksumAlgorithm != ebstypes.ChecksumAlgorithmChecksumAlgorithmSha256 {
			t.Errorf("block %d: %d bytes, checksum %s %s", aws.ToInt32(b.BlockIndex), len(got), aws.ToString(out.Checksum), out.ChecksumAlgorithm)
		}
	}
}

// TestKeyPolicyDenyAppliesOnlyWhenItsConditionsHold: a conditional Deny (the
// "Deny kms:* unless aws:PrincipalOrgID is ours" guard) does not stop the
// key's own account from DescribeKey; an unconditional Deny for "*" still does.
func TestKeyPolicyDenyAppliesOnlyWhenItsConditionsHold(t *testing.T) {
	ctx := context.Background()
	cfg, id := account(t, "us-east-1")
	k := kms.NewFromConfig(cfg)
	policy := func(deny string) string {
		return `{"Version":"2012-10-17","Statement":[` +
			`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + id + `:root"},"Action":"kms:*","Resource":"*"},` + deny + `]}`
	}
	guarded := call(k.CreateKey(ctx, &kms.CreateKeyInput{Policy: aws.String(policy(
		`{"Sid":"DenyOutsideOrg","Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-exampleorg1"}}}`))})).must(t)
	if _, err := k.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: guarded.KeyMetadata.KeyId}); err != nil {
		t.Errorf("DescribeKey under a conditional Deny: %v", err)
	}
	closed := call(k.CreateKey(ctx, &kms.CreateKeyInput{Policy: aws.String(policy(
		`{"Sid":"DenyAll","Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*"}`)), BypassPolicyLockoutSafetyCheck: true})).must(t)
	if _, err := k.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: closed.KeyMetadata.KeyId}); err == nil {
		t.Error("DescribeKey under an unconditional Deny for * succeeded")
	}
}
