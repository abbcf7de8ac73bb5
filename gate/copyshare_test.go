package gate

import (
	"strings"
	"testing"

	"github.com/amiaudit/amiaudit/internal/awsid"
	"github.com/amiaudit/amiaudit/snapshot"
)

// shareCopyPlan copies an AMI to eu-west-1 and shares the copy, whose ID is
// known only after apply; the configuration section says the launch
// permission's image_id refers to the copy. prefix puts both in a module.
func shareCopyPlan(prefix, modOpen, modClose string) string {
	return `{
  "format_version": "1.2",
  "resource_changes": [
    {"address": "` + prefix + `aws_ami_launch_permission.copy", "mode": "managed", "type": "aws_ami_launch_permission",
     "change": {"actions": ["create"], "after": {"account_id": "222233334444"}, "after_unknown": {"image_id": true, "id": true}}},
    {"address": "` + prefix + `aws_ami_copy.eu", "mode": "managed", "type": "aws_ami_copy",
     "change": {"actions": ["create"], "after": {"source_ami_id": "ami-0a1b2c3d4e5f60001", "source_ami_region": "us-east-1", "region": "eu-west-1", "encrypted": false}, "after_unknown": {"id": true}}}
  ],
  "configuration": {"root_module": ` + modOpen + `{"resources": [
    {"address": "aws_ami_copy.eu", "expressions": {"source_ami_id": {"constant_value": "ami-0a1b2c3d4e5f60001"}}},
    {"address": "aws_ami_launch_permission.copy", "expressions": {"image_id": {"references": ["aws_ami_copy.eu.id", "aws_ami_copy.eu"]}, "account_id": {"constant_value": "222233334444"}}}
  ]}` + modClose + `}
}`
}

func TestPlanSharesTheCopyItMakes(t *testing.T) {
	for name, plan := range map[string]string{
		"root":   shareCopyPlan("", "", ""),
		"module": shareCopyPlan("module.img.", `{"module_calls": {"img": {"module": `, `}}}`),
	} {
		t.Run(name, func(t *testing.T) {
			changes, err := ParsePlan("plan.json", []byte(plan), "us-east-1")
			if err != nil {
				t.Fatal(err)
			}
			prefix := map[string]string{"root": "", "module": "module.img."}[name]
			var lp *snapshot.ProposedChange
			for i := range changes {
				if changes[i].Kind == snapshot.ChangeLaunchPermission {
					lp = &changes[i]
				}
			}
			if lp == nil {
				t.Fatalf("no launch permission in %+v", changes)
			}
			if lp.CopyAddress != prefix+"aws_ami_copy.eu" || lp.Region != "eu-west-1" || lp.ImageID != ProposedImageID(prefix+"aws_ami_copy.eu") {
				t.Errorf("launch permission = %+v", *lp)
			}
			if !strings.HasPrefix(lp.ImageID, "ami-") || len(lp.ImageID) != 21 {
				t.Errorf("placeholder %q is not shaped like an AMI ID", lp.ImageID)
			}
			if !strings.Contains(lp.Describe(), "the copy made by "+prefix+"aws_ami_copy.eu") {
				t.Errorf("Describe() = %q", lp.Describe())
			}
			images, _ := targets(changes)
			if len(images) != 1 || len(images["us-east-1"]) != 1 || images["us-east-1"][0] != "ami-0a1b2c3d4e5f60001" {
				t.Errorf("targets read %+v, want only the copy's source (the placeholder does not exist)", images)
			}
		})
	}
}

func TestPlanUnknownImageIDNotACopy(t *testing.T) {
	// Without a reference to a copy of the plan, an unknown image_id is still refused.
	noRefs := strings.Replace(shareCopyPlan("", "", ""), `"references": ["aws_ami_copy.eu.id", "aws_ami_copy.eu"]`, `"references": ["aws_instance.x"]`, 1)
	if _, err := ParsePlan("plan.json", []byte(noRefs), "us-east-1"); err == nil || !strings.Contains(err.Error(), "known only after apply") {
		t.Errorf("err = %v", err)
	}
	other := strings.Replace(shareCopyPlan("", "", ""), `"references": ["aws_ami_copy.eu.id", "aws_ami_copy.eu"]`, `"references": ["aws_ami_copy.us.id", "aws_ami_copy.us"]`, 1)
	if _, err := ParsePlan("plan.json", []byte(other), "us-east-1"); err == nil || !strings.Contains(err.Error(), "aws_ami_copy.us, which the plan does not create") {
		t.Errorf("err = %v", err)
	}
}

// copyShareDoc holds an AMI of 111122223333 in us-east-1 with one snapshot
// encrypted by a customer managed key, and the account's settings in
// eu-west-1 with defaultKey as its default EBS key.
func copyShareDoc(defaultKey *string, keys ...snapshot.Key) *snapshot.Document {
	src := "arn:aws:kms:us-east-1:111122223333:key/src"
	return &snapshot.Document{
		Scope: snapshot.Scope{Accounts: []string{"111122223333"}, Regions: []string{"us-east-1"}},
		Images: []snapshot.Image{{ID: "ami-0a1b2c3d4e5f60001", ARN: snapshot.ImageARN("aws", "us-east-1", "ami-0a1b2c3d4e5f60001"), Account: "111122223333", Region: "us-east-1",
			PlatformDetails: "Linux/UNIX", LaunchPermissions: []snapshot.LaunchPermission{},
			BlockDeviceMappings: []snapshot.BlockDeviceMapping{{DeviceName: "/dev/xvda", SnapshotID: "snap-0a1b2c3d4e5f60001", Encrypted: true, KMSKeyID: src}}}},
		Snapshots:      []snapshot.Snapshot{{ID: "snap-0a1b2c3d4e5f60001", Account: "111122223333", Region: "us-east-1", Encrypted: true, KMSKeyID: src, VolumeSize: 8}},
		Keys:           append([]snapshot.Key{{ARN: src, ID: "src", Account: "111122223333", Region: "us-east-1", KeyManager: "CUSTOMER", KeyState: "Enabled"}}, keys...),
		AccountRegions: []snapshot.AccountRegion{{Account: "111122223333", Region: "eu-west-1", EBSEncryptionByDefault: ptr(false), EBSDefaultKMSKeyID: defaultKey}},
	}
}

func parseShareCopy(t *testing.T) []snapshot.ProposedChange {
	t.Helper()
	changes, err := ParsePlan("plan.json", []byte(shareCopyPlan("", "", "")), "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	return changes
}

func TestApplySharesTheCopyWithTheKeyAWSPicks(t *testing.T) {
	cmk := snapshot.Key{ARN: "arn:aws:kms:eu-west-1:111122223333:key/eu", ID: "eu", Account: "111122223333", Region: "eu-west-1", KeyManager: "CUSTOMER", KeyState: "Enabled", Aliases: []string{"alias/images"}}
	cases := map[string]struct {
		doc     *snapshot.Document
		wantKey string
		manager string
		errs    []string
	}{
		// The default key is a customer managed key, named by ARN or by alias.
		"default CMK by ARN":   {doc: copyShareDoc(ptr(cmk.ARN), cmk), wantKey: cmk.ARN, manager: "CUSTOMER"},
		"default CMK by alias": {doc: copyShareDoc(ptr("alias/images"), cmk), wantKey: cmk.ARN, manager: "CUSTOMER"},
		// The AWS managed key, as GetEbsDefaultKmsKeyId names it when no CMK is set.
		"aws/ebs": {doc: copyShareDoc(ptr("alias/aws/ebs")), wantKey: "arn:aws:kms:eu-west-1:111122223333:alias/aws/ebs", manager: "AWS"},
		// Fail closed: the default key could not be read, or is not in the document.
		"default key unread": {doc: copyShareDoc(nil), errs: []string{"GetEbsDefaultKmsKeyId"}},
		"key not read":       {doc: copyShareDoc(ptr("arn:aws:kms:eu-west-1:111122223333:key/other")), errs: []string{"DescribeKey"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			changes := parseShareCopy(t)
			errs, err := apply(tc.doc, changes)
			if err != nil {
				t.Fatal(err)
			}
			var actions []string
			for _, e := range errs {
				actions = append(actions, e.Action)
				if e.Account != "111122223333" || e.Region != "eu-west-1" {
					t.Errorf("error %+v not in the copying account's destination", e)
				}
			}
			if strings.Join(actions, ",") != strings.Join(tc.errs, ",") {
				t.Fatalf("errors %+v, want actions %v", errs, tc.errs)
			}
			img := findImage(tc.doc, "eu-west-1", ProposedImageID("aws_ami_copy.eu"))
			if img == nil {
				t.Fatal("no proposed copy in eu-west-1")
			}
			if img.Account != "111122223333" || img.SourceImageID != "ami-0a1b2c3d4e5f60001" || len(img.Tags) != 1 || img.Tags[0].Key != ProposedTagKey || img.Tags[0].Value != "aws_ami_copy.eu" {
				t.Errorf("copy = %+v", *img)
			}
			if len(img.LaunchPermissions) != 1 || img.LaunchPermissions[0].UserID != "222233334444" {
				t.Errorf("the share is not applied to the copy: %+v", img.LaunchPermissions)
			}
			if src := findImage(tc.doc, "us-east-1", "ami-0a1b2c3d4e5f60001"); len(src.LaunchPermissions) != 0 {
				t.Errorf("the source was shared: %+v", src.LaunchPermissions)
			}
			if len(img.BlockDeviceMappings) != 1 {
				t.Fatalf("mappings %+v", img.BlockDeviceMappings)
			}
			s := findSnapshot(tc.doc, "eu-west-1", img.BlockDeviceMappings[0].SnapshotID)
			if s == nil || !s.Encrypted || s.Account != "111122223333" || s.VolumeSize != 8 {
				t.Fatalf("copied snapshot = %+v: an encrypted source always yields an encrypted copy", s)
			}
			if tc.wantKey == "" {
				return
			}
			if s.KMSKeyID != tc.wantKey || img.BlockDeviceMappings[0].KMSKeyID != tc.wantKey {
				t.Errorf("copy key %q, want %q", s.KMSKeyID, tc.wantKey)
			}
			if k := findKey(tc.doc, tc.wantKey); k == nil || k.KeyManager != tc.manager {
				t.Errorf("key %+v, want manager %s", k, tc.manager)
			}
		})
	}
}

func TestApplyCopyKeyNamedByThePlan(t *testing.T) {
	cmk := snapshot.Key{ARN: "arn:aws:kms:eu-west-1:111122223333:key/eu", ID: "eu", Account: "111122223333", Region: "eu-west-1", KeyManager: "CUSTOMER", KeyState: "Enabled"}
	doc := copyShareDoc(ptr("alias/aws/ebs"), cmk)
	changes := parseShareCopy(t)
	for i := range changes {
		if changes[i].Kind == snapshot.ChangeCopy {
			changes[i].KMSKeyID = cmk.ARN
		}
	}
	if refs := copyKeyRefs(doc, changes); len(refs["eu-west-1"]) != 1 || refs["eu-west-1"][0] != cmk.ARN {
		t.Errorf("copyKeyRefs = %v, want the KmsKeyId", refs)
	}
	if errs, err := apply(doc, changes); err != nil || len(errs) != 0 {
		t.Fatal(errs, err)
	}
	img := findImage(doc, "eu-west-1", ProposedImageID("aws_ami_copy.eu"))
	if img == nil || img.BlockDeviceMappings[0].KMSKeyID != cmk.ARN {
		t.Fatalf("copy = %+v, want key %s (KmsKeyId beats the default key)", img, cmk.ARN)
	}
}

func TestCopyKeyRefsOnlyForSharedCopies(t *testing.T) {
	doc := copyShareDoc(ptr("alias/aws/ebs"))
	changes := parseShareCopy(t)
	if refs := copyKeyRefs(doc, changes); len(refs["eu-west-1"]) != 1 || refs["eu-west-1"][0] != "alias/aws/ebs" {
		t.Errorf("copyKeyRefs = %v, want the default key", refs)
	}
	var copies []snapshot.ProposedChange
	for _, c := range changes {
		if c.Kind == snapshot.ChangeCopy {
			copies = append(copies, c)
		}
	}
	if refs := copyKeyRefs(doc, copies); len(refs) != 0 {
		t.Errorf("copyKeyRefs = %v for a copy nobody shares", refs)
	}
}

// TestShareCopyFlagsAndPlanAgree: --share-copy and a plan sharing its own
// aws_ami_copy set up the share of the copy the same way (ShareCopy), so the
// placeholder depends only on the copy's name and destination.
func TestShareCopyFlagsAndPlanAgree(t *testing.T) {
	fromFlags := snapshot.ProposedChange{Kind: snapshot.ChangeCopy, Source: "flags", ImageID: "ami-0123456789abcdef0", Region: "us-east-1", DestinationRegion: "eu-west-1"}
	lp := snapshot.ProposedChange{Kind: snapshot.ChangeLaunchPermission, Source: "flags", ImageID: "ami-0123456789abcdef0", Region: "us-east-1", Grantee: "222233334444"}
	ShareCopy(&lp, fromFlags)
	if lp.CopyAddress != "--copy-to-region eu-west-1 of ami-0123456789abcdef0" || lp.Region != "eu-west-1" || lp.ImageID != ProposedImageID(lp.CopyAddress) {
		t.Errorf("share of a copy from flags: %+v", lp)
	}
	if lp.ImageID == "ami-0123456789abcdef0" || !strings.HasPrefix(lp.ImageID, "ami-") || len(lp.ImageID) != 21 {
		t.Errorf("placeholder %q: want an AMI ID other than the source's", lp.ImageID)
	}
	fromPlan := snapshot.ProposedChange{Kind: snapshot.ChangeCopy, Source: "plan.json", Address: "aws_ami_copy.eu", ImageID: "ami-0123456789abcdef0", Region: "us-east-1", DestinationRegion: "eu-west-1"}
	other := lp
	ShareCopy(&other, fromPlan)
	if other.CopyAddress != "aws_ami_copy.eu" || other.ImageID != ProposedImageID("aws_ami_copy.eu") || other.ImageID == lp.ImageID {
		t.Errorf("share of a planned copy: %+v", other)
	}
}

// TestPlaceholderIDsAreIssuedShape: the placeholders look like the IDs EC2
// issues today (17 hex digits), and are stable per name.
func TestPlaceholderIDsAreIssuedShape(t *testing.T) {
	img := ProposedImageID("aws_ami_copy.eu")
	if !awsid.IsIssuedImageID(img) || img != ProposedImageID("aws_ami_copy.eu") || img == ProposedImageID("aws_ami_copy.us") {
		t.Errorf("ProposedImageID = %q: want a stable 17-digit AMI ID per copy", img)
	}
	snap := proposedSnapshotID("aws_ami_copy.eu", "snap-0123456789abcdef0")
	if !awsid.IsSnapshotID(snap) || len(snap) != len("snap-")+17 || snap == proposedSnapshotID("aws_ami_copy.eu", "snap-0123456789abcdef1") {
		t.Errorf("proposedSnapshotID = %q: want a 17-digit snapshot ID per copy and source", snap)
	}
}
