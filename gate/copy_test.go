package gate

import (
	"strings"
	"testing"

	"github.com/amiaudit/amiaudit/snapshot"
)

// copyPlan is a plan with one aws_ami_copy whose planned encrypted is false
// (what Terraform writes when the configuration leaves it out) and whose
// configuration writes the given expressions.
func copyPlan(module bool, expressions string) string {
	address, config := "aws_ami_copy.eu", `"root_module": {"resources": [{"address": "aws_ami_copy.eu", "expressions": {`+expressions+`}}]}`
	if module {
		address = "module.images.aws_ami_copy.eu"
		config = `"root_module": {"module_calls": {"images": {"module": {"resources": [{"address": "aws_ami_copy.eu", "expressions": {` + expressions + `}}]}}}}`
	}
	return `{"format_version": "1.2", "resource_changes": [{"address": "` + address + `", "mode": "managed", "type": "aws_ami_copy",
	  "change": {"actions": ["create"], "after": {"source_ami_id": "ami-0a1b2c3d4e5f60001", "source_ami_region": "us-east-1", "region": "eu-west-1", "encrypted": false}, "after_unknown": {}}}],
	  "configuration": {` + config + `}}`
}

// TestPlanEncryptedOnlyWhenWritten: GATE-001 must see an unencrypted copy
// only when the Terraform code asks for one, never for the provider default.
func TestPlanEncryptedOnlyWhenWritten(t *testing.T) {
	for _, tc := range []struct {
		name, plan string
		want       string // "", "false", "true"
	}{
		{"default", copyPlan(false, `"name": {"constant_value": "copy"}`), ""},
		{"written false", copyPlan(false, `"encrypted": {"constant_value": false}`), "false"},
		{"written by a variable", copyPlan(false, `"encrypted": {"references": ["var.encrypted"]}`), "false"},
		{"written false in a module", copyPlan(true, `"encrypted": {"constant_value": false}`), "false"},
		{"default in a module", copyPlan(true, ``), ""},
		{"no configuration section", strings.Replace(copyPlan(false, ``), `"configuration"`, `"other"`, 1), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			changes, err := ParsePlan("plan.json", []byte(tc.plan), "us-east-1")
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if e := changes[0].Encrypted; e != nil {
				got = map[bool]string{true: "true", false: "false"}[*e]
			}
			if got != tc.want {
				t.Errorf("encrypted = %q, want %q", got, tc.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestCopyVolumes pins the CopyImage key choice of each documented case.
func TestCopyVolumes(t *testing.T) {
	const owner, other = "111111111111", "222222222222"
	srcKey := "arn:aws:kms:us-east-1:111111111111:key/src"
	doc := &snapshot.Document{
		Snapshots: []snapshot.Snapshot{
			{ID: "snap-enc", Account: owner, Region: "us-east-1", Encrypted: true, KMSKeyID: srcKey},
			{ID: "snap-plain", Account: owner, Region: "us-east-1"},
		},
	}
	img := &snapshot.Image{ID: "ami-1", Account: owner, Region: "us-east-1", BlockDeviceMappings: []snapshot.BlockDeviceMapping{
		{DeviceName: "/dev/xvda", SnapshotID: "snap-enc"}, {DeviceName: "/dev/sdb", SnapshotID: "snap-plain"},
	}}
	destKey := "arn:aws:kms:eu-west-1:111111111111:key/default"
	dest := &snapshot.AccountRegion{Account: owner, Region: "eu-west-1", EBSDefaultKMSKeyID: &destKey, EBSEncryptionByDefault: ptr(false)}
	show := func(v snapshot.CopyVolume) string {
		if v.Encrypted == nil {
			return "undetermined"
		}
		if !*v.Encrypted {
			return "plain"
		}
		return v.KMSKeyID
	}
	for _, tc := range []struct {
		name       string
		c          snapshot.ProposedChange
		copier     string
		dest       *snapshot.AccountRegion
		enc, plain string
	}{
		{"cross-region, encrypted=false asked", snapshot.ProposedChange{DestinationRegion: "eu-west-1", Encrypted: ptr(false)}, owner, dest, destKey, "plain"},
		{"same region own AMI keeps the key", snapshot.ProposedChange{DestinationRegion: "us-east-1"}, owner, &snapshot.AccountRegion{EBSDefaultKMSKeyID: &destKey}, srcKey, "undetermined"},
		{"named key", snapshot.ProposedChange{DestinationRegion: "eu-west-1", Encrypted: ptr(true), KMSKeyID: "arn:k"}, owner, dest, "arn:k", "arn:k"},
		{"encrypted without key", snapshot.ProposedChange{DestinationRegion: "eu-west-1", Encrypted: ptr(true)}, owner, dest, destKey, destKey},
		{"shared AMI, same region", snapshot.ProposedChange{DestinationRegion: "us-east-1"}, other, &snapshot.AccountRegion{EBSDefaultKMSKeyID: ptr("alias/aws/ebs"), EBSEncryptionByDefault: ptr(true)}, "alias/aws/ebs", "alias/aws/ebs"},
		{"destination unread", snapshot.ProposedChange{DestinationRegion: "eu-west-1"}, owner, nil, "", "undetermined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vs := copyVolumes(doc, img, &tc.c, tc.copier, tc.dest)
			if len(vs) != 2 {
				t.Fatalf("%d volumes", len(vs))
			}
			if vs[0].Encrypted == nil || !*vs[0].Encrypted {
				t.Errorf("an encrypted snapshot must be copied encrypted: %+v", vs[0])
			}
			if got := vs[0].KMSKeyID; got != tc.enc {
				t.Errorf("encrypted source: key %q, want %q (%s)", got, tc.enc, vs[0].Why)
			}
			if got := show(vs[1]); got != tc.plain {
				t.Errorf("unencrypted source: %q, want %q (%s)", got, tc.plain, vs[1].Why)
			}
		})
	}
}

// TestRefusedPublicShares: AWS refuses these public shares; the overlay
// leaves the AMI private and records why.
func TestRefusedPublicShares(t *testing.T) {
	const owner = "111111111111"
	base := func() *snapshot.Document {
		return &snapshot.Document{
			Scope:     snapshot.Scope{Accounts: []string{owner}, Regions: []string{"us-east-1"}},
			Images:    []snapshot.Image{{ID: "ami-1", Account: owner, Region: "us-east-1", LaunchPermissions: []snapshot.LaunchPermission{}, BlockDeviceMappings: []snapshot.BlockDeviceMapping{{DeviceName: "/dev/xvda", SnapshotID: "snap-1"}}}},
			Snapshots: []snapshot.Snapshot{{ID: "snap-1", Account: owner, Region: "us-east-1"}},
		}
	}
	for _, tc := range []struct {
		name   string
		change func(*snapshot.Document)
		want   string
	}{
		{"plain AMI is shared", func(*snapshot.Document) {}, ""},
		{"encrypted", func(d *snapshot.Document) { d.Snapshots[0].Encrypted = true }, "encrypted snapshots (snap-1)"},
		{"product code", func(d *snapshot.Document) {
			d.Images[0].ProductCodes = []snapshot.ProductCode{{ID: "pc1", Type: "marketplace"}}
		}, "product code (pc1)"},
		{"disabled", func(d *snapshot.Document) { d.Images[0].State = "disabled" }, "a disabled AMI can't be shared"},
		{"block public access", func(d *snapshot.Document) {
			d.AccountRegions = []snapshot.AccountRegion{{Account: owner, Region: "us-east-1", ImageBlockPublicAccess: ptr("block-new-sharing")}}
		}, "block-new-sharing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := base()
			tc.change(d)
			if _, err := apply(d, []snapshot.ProposedChange{{Kind: snapshot.ChangeLaunchPermission, Source: "flags", ImageID: "ami-1", Region: "us-east-1", Grantee: "all"}}); err != nil {
				t.Fatal(err)
			}
			refused := d.Proposed[0].Refused
			if tc.want == "" {
				if refused != "" || !d.Images[0].Public {
					t.Errorf("refused %q, public %v", refused, d.Images[0].Public)
				}
				return
			}
			if !strings.Contains(refused, tc.want) || d.Images[0].Public || len(d.Images[0].LaunchPermissions) != 0 {
				t.Errorf("refused %q (want %q), public %v, permissions %v", refused, tc.want, d.Images[0].Public, d.Images[0].LaunchPermissions)
			}
		})
	}
}

// TestRefusedPublicSnapshotShares: AWS refuses to make an encrypted snapshot
// public, and snapshot block public access refuses any new public share.
func TestRefusedPublicSnapshotShares(t *testing.T) {
	const owner = "111111111111"
	for _, tc := range []struct {
		name      string
		encrypted bool
		block     string
		want      string
	}{
		{"plain, unblocked", false, "unblocked", ""},
		{"encrypted", true, "unblocked", "encrypted snapshot snap-1 cannot be made public"},
		{"block-new-sharing", false, "block-new-sharing", "snapshot block public access is block-new-sharing"},
		{"block-all-sharing", false, "block-all-sharing", "snapshot block public access is block-all-sharing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &snapshot.Document{
				Scope:          snapshot.Scope{Accounts: []string{owner}, Regions: []string{"us-east-1"}},
				AccountRegions: []snapshot.AccountRegion{{Account: owner, Region: "us-east-1", SnapshotBlockPublicAccess: ptr(tc.block)}},
				Images:         []snapshot.Image{{ID: "ami-1", Account: owner, Region: "us-east-1", BlockDeviceMappings: []snapshot.BlockDeviceMapping{{DeviceName: "/dev/xvda", SnapshotID: "snap-1"}}}},
				Snapshots:      []snapshot.Snapshot{{ID: "snap-1", Account: owner, Region: "us-east-1", Encrypted: tc.encrypted, CreateVolumePermissions: []snapshot.CreateVolumePermission{}}},
			}
			for _, c := range []snapshot.ProposedChange{
				{Kind: snapshot.ChangeCreateVolumePermission, Source: "flags", ImageID: "ami-1", Region: "us-east-1", Grantee: "all"},
				{Kind: snapshot.ChangeCreateVolumePermission, Source: "plan", SnapshotID: "snap-1", Region: "us-east-1", Grantee: "all"},
			} {
				d.Snapshots[0].CreateVolumePermissions = []snapshot.CreateVolumePermission{}
				if _, err := apply(d, []snapshot.ProposedChange{c}); err != nil {
					t.Fatal(err)
				}
				refused, granted := d.Proposed[0].Refused, len(d.Snapshots[0].CreateVolumePermissions) > 0
				if tc.want == "" && (refused != "" || !granted) || tc.want != "" && (!strings.Contains(refused, tc.want) || granted) {
					t.Errorf("%s: refused %q (want %q), granted %v", c.Source, refused, tc.want, granted)
				}
			}
		})
	}
}
