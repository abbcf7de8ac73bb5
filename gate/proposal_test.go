package gate

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/amiaudit/amiaudit/snapshot"
)

const (
	propAMI    = "ami-0123456789abcdef0"
	propMember = "222233334444"
	propOU     = "arn:aws:organizations::111122223333:ou/o-abc1234567/ou-ab12-cdefgh34"
)

// TestChangesExpandsAProposal: one launch permission per AMI and grantee
// (Public is the group all), a createVolumePermission beside each with
// CreateVolumePermission, one copy per AMI carrying Encrypted and KMSKeyID,
// then the plan's changes as they are.
func TestChangesExpandsAProposal(t *testing.T) {
	enc := false
	planned := snapshot.ProposedChange{Kind: snapshot.ChangeLaunchPermission, Source: "plan.json", Address: "aws_ami_launch_permission.x", ImageID: propAMI, Region: "us-east-1", Grantee: propMember}
	got, err := Changes(Proposal{Images: []string{propAMI}, Region: "us-east-1", ShareWith: []string{propMember}, Public: true,
		CreateVolumePermission: true, CopyTo: "eu-west-1", Encrypted: &enc, KMSKeyID: "alias/copy", Plan: []snapshot.ProposedChange{planned}})
	if err != nil {
		t.Fatal(err)
	}
	base := snapshot.ProposedChange{Source: "flags", ImageID: propAMI, Region: "us-east-1"}
	with := func(kind, grantee string) snapshot.ProposedChange {
		c := base
		c.Kind, c.Grantee = kind, grantee
		return c
	}
	cp := base
	cp.Kind, cp.DestinationRegion, cp.KMSKeyID, cp.Encrypted = snapshot.ChangeCopy, "eu-west-1", "alias/copy", &enc
	want := []snapshot.ProposedChange{
		with(snapshot.ChangeLaunchPermission, propMember), with(snapshot.ChangeCreateVolumePermission, propMember),
		with(snapshot.ChangeLaunchPermission, snapshot.GroupAll), with(snapshot.ChangeCreateVolumePermission, snapshot.GroupAll),
		cp, planned,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Changes =\n%+v\nwant\n%+v", got, want)
	}
	if got[4].Encrypted == &enc {
		t.Error("the copy's Encrypted aliases the proposal's")
	}
}

// TestChangesSharesTheCopy: with ShareCopy the launch permission shares the
// placeholder of the copy in the destination (ShareCopy), and the copy is
// still proposed.
func TestChangesSharesTheCopy(t *testing.T) {
	got, err := Changes(Proposal{Images: []string{propAMI}, Region: "us-east-1", ShareWith: []string{propMember}, CopyTo: "eu-west-1", ShareCopy: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Kind != snapshot.ChangeLaunchPermission || got[1].Kind != snapshot.ChangeCopy {
		t.Fatalf("Changes = %+v, want the share of the copy, then the copy", got)
	}
	if got[0].Region != "eu-west-1" || got[0].CopyAddress != CopyKey(got[1]) || got[0].ImageID != ProposedImageID(CopyKey(got[1])) {
		t.Errorf("the share is not of the copy: %+v", got[0])
	}
}

// TestChangesRefusesWhatAWSCannotDo: each refusal is a *ProposalError naming
// the fields at fault, which Text renames (the CLI's flag names).
func TestChangesRefusesWhatAWSCannotDo(t *testing.T) {
	img := []string{propAMI}
	for name, c := range map[string]struct {
		p      Proposal
		fields []string
		says   string
	}{
		"share without image":           {Proposal{ShareWith: []string{propMember}}, []string{FieldShareWith, FieldPublic, FieldCreateVolumePermission, FieldCopyTo, FieldImages}, "need"},
		"volume permission, no grantee": {Proposal{Images: img, CreateVolumePermission: true, CopyTo: "eu-west-1"}, []string{FieldCreateVolumePermission, FieldShareWith, FieldPublic}, "name some"},
		"key without copy":              {Proposal{Images: img, Public: true, KMSKeyID: "alias/k"}, []string{FieldEncrypted, FieldKMSKeyID, FieldCopyTo}, "describe a copy"},
		"share-copy without copy":       {Proposal{Images: img, ShareWith: []string{propMember}, ShareCopy: true}, []string{FieldShareCopy, FieldCopyTo, FieldShareWith, FieldPublic}, "give both"},
		"share-copy without share":      {Proposal{Images: img, CopyTo: "eu-west-1", ShareCopy: true}, []string{FieldShareCopy, FieldCopyTo, FieldShareWith, FieldPublic}, "give both"},
		"share-copy with volumes": {Proposal{Images: img, ShareWith: []string{propMember}, CopyTo: "eu-west-1", ShareCopy: true, CreateVolumePermission: true},
			[]string{FieldShareCopy, FieldCreateVolumePermission}, "not supported"},
		"all as a grantee":     {Proposal{Images: img, ShareWith: []string{"all"}}, []string{FieldShareWith, FieldPublic}, "public launch permission"},
		"organization ID":      {Proposal{Images: img, ShareWith: []string{"o-abc1234567"}}, []string{FieldShareWith}, "give the organization's ARN"},
		"OU for a snapshot":    {Proposal{Images: img, ShareWith: []string{propOU}, CreateVolumePermission: true}, []string{FieldCreateVolumePermission, FieldShareWith, FieldPublic}, "accounts only"},
		"not an AMI":           {Proposal{Images: []string{"snap-0123456789abcdef0"}, Public: true}, []string{FieldImages}, "not an AMI ID"},
		"image, nothing asked": {Proposal{Images: img}, []string{FieldShareWith, FieldPublic, FieldCopyTo, FieldPlan}, "nothing to gate"},
		"nothing at all":       {Proposal{}, []string{FieldImages, FieldPlan}, "nothing to gate"},
	} {
		t.Run(name, func(t *testing.T) {
			c.p.Region = "us-east-1"
			_, err := Changes(c.p)
			var bad *ProposalError
			if !errors.As(err, &bad) {
				t.Fatalf("err = %v, want a *ProposalError", err)
			}
			if !reflect.DeepEqual(bad.Fields, c.fields) || !strings.Contains(bad.Error(), c.says) {
				t.Errorf("fields %v, message %q; want %v, saying %q", bad.Fields, bad.Error(), c.fields, c.says)
			}
			text := bad.Text(func(f string) string { return "--" + strings.ToLower(f) })
			for _, f := range c.fields {
				if !strings.Contains(text, "--"+strings.ToLower(f)) {
					t.Errorf("Text %q does not name %s by the caller's name", text, f)
				}
			}
		})
	}
	// An image with only a plan proposes the plan's changes.
	planned := snapshot.ProposedChange{Kind: snapshot.ChangeLaunchPermission, Source: "plan.json", ImageID: propAMI, Region: "us-east-1", Grantee: propMember}
	if got, err := Changes(Proposal{Images: img, Region: "us-east-1", Plan: []snapshot.ProposedChange{planned}}); err != nil || len(got) != 1 {
		t.Errorf("an image and a plan: %v, %v", got, err)
	}
	// A change CheckChange refuses is refused as it says.
	if _, err := Changes(Proposal{Images: img, Public: true}); err == nil || !strings.Contains(err.Error(), "no region") {
		t.Errorf("no region: err = %v", err)
	}
}
