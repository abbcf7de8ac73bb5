package gate

import (
	"errors"
	"strings"
	"testing"

	"github.com/amiaudit/amiaudit/snapshot"
)

const planWithEverything = `{
  "format_version": "1.2",
  "resource_changes": [
    {"address": "aws_ami_launch_permission.member", "mode": "managed", "type": "aws_ami_launch_permission",
     "change": {"actions": ["create"], "after": {"image_id": "ami-0a1b2c3d4e5f60001", "account_id": "222233334444"}, "after_unknown": {"id": true}}},
    {"address": "aws_ami_launch_permission.ou", "mode": "managed", "type": "aws_ami_launch_permission",
     "change": {"actions": ["create"], "after": {"image_id": "ami-0a1b2c3d4e5f60001", "organizational_unit_arn": "arn:aws:organizations::123456789012:ou/o-abc1234567/ou-ab12-cdefgh34"}, "after_unknown": {}}},
    {"address": "aws_snapshot_create_volume_permission.data", "mode": "managed", "type": "aws_snapshot_create_volume_permission",
     "change": {"actions": ["create"], "after": {"snapshot_id": "snap-0a1b2c3d4e5f60001", "account_id": "222233334444"}, "after_unknown": {}}},
    {"address": "aws_ami_copy.eu", "mode": "managed", "type": "aws_ami_copy",
     "change": {"actions": ["create"], "after": {"source_ami_id": "ami-0a1b2c3d4e5f60001", "source_ami_region": "us-east-1", "region": "eu-west-1", "encrypted": true, "kms_key_id": "arn:aws:kms:eu-west-1:123456789012:key/k2"}, "after_unknown": {}}},
    {"address": "aws_kms_grant.launch", "mode": "managed", "type": "aws_kms_grant",
     "change": {"actions": ["create"], "after": {"key_id": "arn:aws:kms:us-east-1:123456789012:key/k1", "grantee_principal": "arn:aws:iam::222233334444:root", "operations": ["Decrypt", "CreateGrant"]}, "after_unknown": {}}},
    {"address": "aws_kms_key.images", "mode": "managed", "type": "aws_kms_key",
     "change": {"actions": ["update"], "after": {"arn": "arn:aws:kms:us-east-1:123456789012:key/k1", "policy": "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"kms:Decrypt\"}]}"}, "after_unknown": {}}},
    {"address": "aws_instance.web", "mode": "managed", "type": "aws_instance",
     "change": {"actions": ["create"], "after": {"ami": "ami-0a1b2c3d4e5f60001"}, "after_unknown": {}}},
    {"address": "aws_ami_launch_permission.gone", "mode": "managed", "type": "aws_ami_launch_permission",
     "change": {"actions": ["delete"], "after": null, "after_unknown": {}}}
  ]
}`

func TestParsePlan(t *testing.T) {
	changes, err := ParsePlan("plan.json", []byte(planWithEverything), "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]snapshot.ProposedChange{}
	for _, c := range changes {
		kinds[c.Address] = c
		if c.Source != "plan.json" {
			t.Errorf("%s: source %q", c.Address, c.Source)
		}
	}
	if len(changes) != 6 {
		t.Fatalf("got %d changes, want 6 (deletes and other resources ignored): %+v", len(changes), changes)
	}
	if c := kinds["aws_ami_launch_permission.member"]; c.Kind != snapshot.ChangeLaunchPermission || c.Grantee != "222233334444" || c.Region != "us-east-1" {
		t.Errorf("launch permission = %+v", c)
	}
	if c := kinds["aws_ami_launch_permission.ou"]; !strings.Contains(c.Grantee, ":ou/") {
		t.Errorf("OU share = %+v", c)
	}
	if c := kinds["aws_ami_copy.eu"]; c.Kind != snapshot.ChangeCopy || c.Region != "us-east-1" || c.DestinationRegion != "eu-west-1" || c.Encrypted == nil || !*c.Encrypted {
		t.Errorf("copy = %+v", c)
	}
	if c := kinds["aws_kms_grant.launch"]; c.Kind != snapshot.ChangeKMSGrant || strings.Join(c.Operations, ",") != "CreateGrant,Decrypt" {
		t.Errorf("grant = %+v", c)
	}
	if c := kinds["aws_kms_key.images"]; c.Kind != snapshot.ChangeKeyPolicy || c.Policy == "" {
		t.Errorf("key policy = %+v", c)
	}
	images, keys := targets(changes)
	if len(images) != 1 || strings.Join(images["us-east-1"], ",") != "ami-0a1b2c3d4e5f60001" || len(keys) != 2 {
		t.Errorf("targets = %+v %v", images, keys)
	}
}

func TestParsePlanErrors(t *testing.T) {
	unknownImage := `{"format_version": "1.2", "resource_changes": [{"address": "aws_ami_launch_permission.x", "type": "aws_ami_launch_permission",
	  "change": {"actions": ["create"], "after": {"account_id": "222233334444"}, "after_unknown": {"image_id": true}}}]}`
	cases := map[string]struct{ plan, want string }{
		"truncated":     {"{\n  \"format_version\": ", "plan.json: the JSON is truncated"},
		"syntax":        {"{\n  \"format_version\": ]", "plan.json:2: invalid JSON"},
		"not a plan":    {`{"resource_changes": []}`, "no format_version"},
		"nothing":       {`{"format_version": "1.2", "resource_changes": []}`, "nothing to gate"},
		"unknown image": {unknownImage, "aws_ami_launch_permission.x: image_id is known only after apply"},
		"bad policy": {`{"format_version": "1.2", "resource_changes": [{"address": "aws_kms_key.k", "type": "aws_kms_key",
		  "change": {"actions": ["update"], "after": {"arn": "arn:aws:kms:us-east-1:1:key/k", "policy": "{}"}}}]}`, "aws_kms_key.k"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ParsePlan("plan.json", []byte(c.plan), "us-east-1")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func FuzzParsePlan(f *testing.F) {
	f.Add([]byte(planWithEverything))
	f.Add([]byte(`{"format_version":"1","resource_changes":[{"type":"aws_ami_copy","change":{"actions":["create"],"after":{}}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		changes, err := ParsePlan("fuzz.json", data, "us-east-1")
		if err != nil {
			return
		}
		for _, c := range changes {
			if err := CheckChange(c); err != nil {
				t.Fatalf("accepted a change that does not check: %+v: %v", c, err)
			}
		}
	})
}

// TestParsePlanRefusesMalformedGrantees: each grantee attribute of a plan
// holds what its attribute says (account_id an account ID, group all,
// organization_arn an organization ARN, organizational_unit_arn an OU ARN),
// else the plan is refused, naming the resource address and what was
// expected; a launch permission names one grantee.
func TestParsePlanRefusesMalformedGrantees(t *testing.T) {
	const orgARN = "arn:aws:organizations::123456789012:organization/o-abc1234567"
	const ouARN = "arn:aws:organizations::123456789012:ou/o-abc1234567/ou-ab12-cdefgh34"
	launch := func(after string) string {
		return `{"format_version": "1.2", "resource_changes": [{"address": "aws_ami_launch_permission.x", "type": "aws_ami_launch_permission",
		  "change": {"actions": ["create"], "after": {"image_id": "ami-0a1b2c3d4e5f60001", ` + after + `}}}]}`
	}
	volume := func(account string) string {
		return `{"format_version": "1.2", "resource_changes": [{"address": "aws_snapshot_create_volume_permission.x", "type": "aws_snapshot_create_volume_permission",
		  "change": {"actions": ["create"], "after": {"snapshot_id": "snap-0a1b2c3d4e5f60001", "account_id": "` + account + `"}}}]}`
	}
	refused := map[string]struct{ plan, want string }{
		"short account":         {launch(`"account_id": "12345"`), `aws_ami_launch_permission.x: account_id "12345": expected a 12-digit account ID`},
		"organization ID":       {launch(`"account_id": "o-abc1234567"`), "o-abc1234567 is an organization ID: give the organization's ARN"},
		"group not all":         {launch(`"group": "everyone"`), `group "everyone": expected all`},
		"truncated org ARN":     {launch(`"organization_arn": "arn:aws:organizations::1:organization/x"`), `organization_arn "arn:aws:organizations::1:organization/x": expected an organization ARN`},
		"OU ARN as org":         {launch(`"organization_arn": "` + ouARN + `"`), "organization_arn"},
		"org ARN as OU":         {launch(`"organizational_unit_arn": "` + orgARN + `"`), "expected an OU ARN"},
		"two grantees":          {launch(`"account_id": "222233334444", "group": "all"`), "sets account_id and group: a launch permission names one grantee"},
		"volume short account":  {volume("12345"), `aws_snapshot_create_volume_permission.x: account_id "12345": expected a 12-digit account ID`},
		"volume organization":   {volume(orgARN), "aws_snapshot_create_volume_permission.x: account_id"},
		"volume all as account": {volume("all"), `account_id "all": expected a 12-digit account ID`},
	}
	for name, c := range refused {
		t.Run(name, func(t *testing.T) {
			_, err := ParsePlan("plan.json", []byte(c.plan), "us-east-1")
			var pe *PlanError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want a plan error containing %q", err, c.want)
			}
		})
	}
	for name, after := range map[string]string{
		"account": `"account_id": "222233334444"`, "group": `"group": "all"`,
		"organization": `"organization_arn": "` + orgARN + `"`, "OU": `"organizational_unit_arn": "` + ouARN + `"`,
	} {
		if _, err := ParsePlan("plan.json", []byte(launch(after)), "us-east-1"); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestCheckGrantee: a change names a grantee the EC2 API takes
// (API_LaunchPermission.html, API_CreateVolumePermission.html), whoever built it.
func TestCheckGrantee(t *testing.T) {
	const orgARN = "arn:aws:organizations::123456789012:organization/o-abc1234567"
	const ouARN = "arn:aws:organizations::123456789012:ou/o-abc1234567/ou-ab12-cdefgh34"
	cases := []struct {
		kind, grantee string
		ok            bool
	}{
		{snapshot.ChangeLaunchPermission, "111122223333", true},
		{snapshot.ChangeLaunchPermission, "all", true},
		{snapshot.ChangeLaunchPermission, orgARN, true},
		{snapshot.ChangeLaunchPermission, ouARN, true},
		{snapshot.ChangeLaunchPermission, "12345", false},
		{snapshot.ChangeLaunchPermission, "o-abc1234567", false},
		{snapshot.ChangeLaunchPermission, "arn:aws:organizations::1:organization/x", false},
		{snapshot.ChangeLaunchPermission, "arn:aws:iam::111122223333:root", false},
		{snapshot.ChangeCreateVolumePermission, "111122223333", true},
		{snapshot.ChangeCreateVolumePermission, "all", true},
		{snapshot.ChangeCreateVolumePermission, orgARN, false},
		{snapshot.ChangeCreateVolumePermission, ouARN, false},
	}
	for _, c := range cases {
		err := CheckGrantee(c.kind, c.grantee)
		if (err == nil) != c.ok {
			t.Errorf("CheckGrantee(%s, %q) = %v, want ok %v", c.kind, c.grantee, err, c.ok)
		}
		change := snapshot.ProposedChange{Kind: c.kind, ImageID: "ami-0a1b2c3d4e5f60001", SnapshotID: "snap-0a1b2c3d4e5f60001", Region: "us-east-1", Grantee: c.grantee}
		if err := CheckChange(change); (err == nil) != c.ok {
			t.Errorf("CheckChange(%s, %q) = %v, want ok %v", c.kind, c.grantee, err, c.ok)
		}
	}
}
