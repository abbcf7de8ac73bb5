package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// copyShareSnapshot is the image factory 234567890123 of organization
// o-acme4example7: a golden AMI in us-east-1 encrypted with a customer
// managed key, and the factory's default EBS key in three other regions —
// eu-west-1 a customer managed key whose policy lets the organization launch,
// eu-central-1 the AWS managed aws/ebs key (AWS's answer when no key is set),
// eu-north-1 a key the gate has not read.
const copyShareSnapshot = `{
  "schema_version": "1",
  "tool": {"name": "amiaudit", "version": "test"},
  "collected_at": "2026-11-24T12:00:00Z",
  "partition": "aws",
  "scope": {"accounts": ["234567890123"], "regions": ["us-east-1"]},
  "organization": {"id": "o-acme4example7", "arn": "arn:aws:organizations::123456789012:organization/o-acme4example7", "management_account": "123456789012",
    "accounts": [{"id": "123456789012", "parent_ou": "r-a1b2"}, {"id": "234567890123", "parent_ou": "r-a1b2"}, {"id": "345678901234", "parent_ou": "r-a1b2"}]},
  "account_regions": [
    {"account": "234567890123", "region": "us-east-1", "image_block_public_access": "block-new-sharing", "snapshot_block_public_access": "block-all-sharing", "allowed_images": "enabled", "ebs_encryption_by_default": true},
    {"account": "234567890123", "region": "eu-west-1", "image_block_public_access": "block-new-sharing", "snapshot_block_public_access": "block-all-sharing", "allowed_images": "enabled", "ebs_encryption_by_default": true,
     "ebs_default_kms_key_id": "arn:aws:kms:eu-west-1:234567890123:key/2b2b2b2b-0002-4000-8000-000000000002"},
    {"account": "234567890123", "region": "eu-central-1", "image_block_public_access": "block-new-sharing", "snapshot_block_public_access": "block-all-sharing", "allowed_images": "enabled", "ebs_encryption_by_default": false,
     "ebs_default_kms_key_id": "alias/aws/ebs"},
    {"account": "234567890123", "region": "eu-north-1", "image_block_public_access": "block-new-sharing", "snapshot_block_public_access": "block-all-sharing", "allowed_images": "enabled", "ebs_encryption_by_default": true,
     "ebs_default_kms_key_id": "arn:aws:kms:eu-north-1:234567890123:key/3c3c3c3c-0003-4000-8000-000000000003"}
  ],
  "images": [{"id": "ami-0a1b2c3d4e5f60001", "account": "234567890123", "region": "us-east-1", "name": "acme-golden", "state": "available",
    "creation_date": "2026-11-02T09:15:00Z", "platform_details": "Linux/UNIX", "usage_operation": "RunInstances", "launch_permissions": [],
    "block_device_mappings": [{"device_name": "/dev/xvda", "snapshot_id": "snap-0a1b2c3d4e5f60001", "volume_size": 8, "encrypted": true}]}],
  "snapshots": [{"id": "snap-0a1b2c3d4e5f60001", "account": "234567890123", "region": "us-east-1", "volume_size": 8, "state": "completed", "encrypted": true,
    "kms_key_id": "arn:aws:kms:us-east-1:234567890123:key/1a1a1a1a-0001-4000-8000-000000000001", "create_volume_permissions": []}],
  "keys": [
    {"arn": "arn:aws:kms:us-east-1:234567890123:key/1a1a1a1a-0001-4000-8000-000000000001", "id": "1a1a1a1a-0001-4000-8000-000000000001", "account": "234567890123", "region": "us-east-1",
     "key_manager": "CUSTOMER", "key_state": "Enabled", "grants": [],
     "policy": "{\"Statement\":[{\"Sid\":\"Admin\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::234567890123:root\"},\"Action\":\"kms:*\",\"Resource\":\"*\"}]}"},
    {"arn": "arn:aws:kms:eu-west-1:234567890123:key/2b2b2b2b-0002-4000-8000-000000000002", "id": "2b2b2b2b-0002-4000-8000-000000000002", "account": "234567890123", "region": "eu-west-1",
     "key_manager": "CUSTOMER", "key_state": "Enabled", "grants": [],
     "policy": "{\"Statement\":[{\"Sid\":\"Admin\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::234567890123:root\"},\"Action\":\"kms:*\",\"Resource\":\"*\"},{\"Sid\":\"OrgLaunch\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},\"Action\":[\"kms:Decrypt\",\"kms:DescribeKey\",\"kms:CreateGrant\",\"kms:ReEncrypt*\",\"kms:GenerateDataKey*\"],\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{\"aws:PrincipalOrgID\":\"o-acme4example7\"}}}]}"}
  ],
  "errors": []
}`

// copySharePlan copies the golden AMI to region and shares the copy with
// grantee; the copy's ID is known only after apply, and the configuration
// section ties the launch permission's image_id to the copy.
func copySharePlan(region, grantee string) string {
	return `{
  "format_version": "1.2",
  "resource_changes": [
    {"address": "aws_ami_copy.golden", "mode": "managed", "type": "aws_ami_copy",
     "change": {"actions": ["create"], "after": {"name": "acme-golden", "source_ami_id": "ami-0a1b2c3d4e5f60001", "source_ami_region": "us-east-1", "region": "` + region + `", "encrypted": false},
                "after_unknown": {"id": true, "ebs_block_device": true}}},
    {"address": "aws_ami_launch_permission.golden_copy", "mode": "managed", "type": "aws_ami_launch_permission",
     "change": {"actions": ["create"], "after": {"account_id": "` + grantee + `"}, "after_unknown": {"id": true, "image_id": true}}}
  ],
  "configuration": {"root_module": {"resources": [
    {"address": "aws_ami_copy.golden", "expressions": {"name": {"constant_value": "acme-golden"}, "source_ami_id": {"constant_value": "ami-0a1b2c3d4e5f60001"}, "source_ami_region": {"constant_value": "us-east-1"}}},
    {"address": "aws_ami_launch_permission.golden_copy", "expressions": {"account_id": {"constant_value": "` + grantee + `"}, "image_id": {"references": ["aws_ami_copy.golden.id", "aws_ami_copy.golden"]}}}
  ]}}
}`
}

// TestGateSharesTheCopyThePlanMakes gates, offline, plans that copy an
// encrypted AMI to another region and share the copy: AWS encrypts the copy
// with the copying account's default EBS key in the destination
// (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/AMIEncryption.html),
// so the share is judged on that key (AMI-004, AMI-005), not the source's.
func TestGateSharesTheCopyThePlanMakes(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "snapshot.json")
	if err := os.WriteFile(snap, []byte(copyShareSnapshot), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, region, grantee string
		code                  int
		rule                  string
	}{
		// The org key allows members of the organization: the share works.
		{"org member, key allows", "eu-west-1", "345678901234", 0, ""},
		// The partner is trusted (amiaudit.yaml) but outside the organization:
		// the destination key does not let it launch the copy.
		{"partner, key denies", "eu-west-1", "444455556666", exitFindings, "AMI-004"},
		// No CMK set in eu-central-1: the copy is encrypted with aws/ebs,
		// which cannot be shared.
		{"aws managed default key", "eu-central-1", "345678901234", exitFindings, "AMI-005"},
		// The default key of eu-north-1 is not in the snapshot: fail closed.
		{"destination key unread", "eu-north-1", "345678901234", exitIncomplete, "SCAN-001"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			plan := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".json")
			if err := os.WriteFile(plan, []byte(copySharePlan(tc.region, tc.grantee)), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, stderr := amiaudit(t, "", "gate", "--snapshot", snap, "--plan", plan, "--region", "us-east-1",
				"--config", exampleConfig, "--format", "json")
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstderr: %s\n%s", code, tc.code, stderr, out)
			}
			var rep struct {
				Findings []struct {
					RuleID   string         `json:"rule_id"`
					Message  string         `json:"message"`
					Evidence map[string]any `json:"evidence"`
					Resource struct {
						ID, Region, Account string
					} `json:"resource"`
					Location *struct {
						Address string `json:"address"`
					} `json:"location"`
				} `json:"findings"`
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			found := false
			for _, f := range rep.Findings {
				if f.RuleID == "AMI-004" || f.RuleID == "AMI-005" {
					if f.RuleID != tc.rule {
						t.Errorf("unexpected %s: %s", f.RuleID, f.Message)
						continue
					}
					found = true
					// On the copy, in its region, owned by the copying account,
					// attributed to the launch permission that shares it.
					if f.Resource.Region != tc.region || f.Resource.Account != "234567890123" || f.Resource.ID == "ami-0a1b2c3d4e5f60001" {
						t.Errorf("%s is not on the proposed copy: %+v", f.RuleID, f.Resource)
					}
					if f.Location == nil || f.Location.Address != "aws_ami_launch_permission.golden_copy" {
						t.Errorf("%s location = %+v", f.RuleID, f.Location)
					}
					if pc, _ := f.Evidence["proposed_change"].(string); !strings.Contains(pc, "the copy made by aws_ami_copy.golden") {
						t.Errorf("%s proposed_change = %q", f.RuleID, pc)
					}
					if f.Evidence["proposed_copy"] != "aws_ami_copy.golden" || !strings.Contains(f.Message, "is the copy that aws_ami_copy.golden will make") {
						t.Errorf("%s does not say the AMI is the proposed copy: %s %v", f.RuleID, f.Message, f.Evidence)
					}
				}
				if f.RuleID == "SCAN-001" && tc.rule == "SCAN-001" && strings.Contains(f.Message, "3c3c3c3c-0003") {
					found = true
				}
				if f.RuleID == "GATE-001" {
					t.Errorf("GATE-001 although the configuration does not ask for an unencrypted copy: %s", f.Message)
				}
			}
			if tc.rule != "" && !found {
				t.Errorf("no %s in %s", tc.rule, out)
			}
		})
	}
}

// TestGateShareCopyFlags: --copy-to-region with --share-with shares the
// source AMI (whose key lets no other account launch: AMI-004 on the
// source); with --share-copy the copy is shared instead, judged on the key
// AWS gives it (aws/ebs in eu-central-1: AMI-005 on the copy).
func TestGateShareCopyFlags(t *testing.T) {
	snap := filepath.Join(t.TempDir(), "snapshot.json")
	if err := os.WriteFile(snap, []byte(copyShareSnapshot), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"gate", "--snapshot", snap, "--image", "ami-0a1b2c3d4e5f60001", "--region", "us-east-1",
		"--copy-to-region", "eu-central-1", "--share-with", "345678901234", "--config", exampleConfig, "--format", "json"}
	rules := func(out string) map[string]string {
		var rep struct {
			Findings []struct {
				RuleID   string `json:"rule_id"`
				Resource struct{ ID, Region string }
			} `json:"findings"`
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		got := map[string]string{}
		for _, f := range rep.Findings {
			got[f.RuleID] = f.Resource.Region + "/" + f.Resource.ID
		}
		return got
	}
	code, out, stderr := amiaudit(t, "", args...)
	if code != exitFindings {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if got := rules(out); got["AMI-004"] != "us-east-1/ami-0a1b2c3d4e5f60001" || got["AMI-005"] != "" {
		t.Errorf("without --share-copy the source is shared: %v", got)
	}
	code, out, stderr = amiaudit(t, "", append(args, "--share-copy")...)
	if code != exitFindings {
		t.Fatalf("--share-copy: exit %d: %s", code, stderr)
	}
	if got := rules(out); !strings.HasPrefix(got["AMI-005"], "eu-central-1/ami-") || got["AMI-004"] != "" {
		t.Errorf("with --share-copy the copy is shared, under aws/ebs: %v", got)
	}
	// A public share of the (encrypted) copy: AWS refuses it (GATE-004 on the copy).
	code, out, stderr = amiaudit(t, "", "gate", "--snapshot", snap, "--image", "ami-0a1b2c3d4e5f60001", "--region", "us-east-1",
		"--copy-to-region", "eu-west-1", "--share-copy", "--public", "--config", exampleConfig, "--format", "json")
	if code != exitFindings {
		t.Fatalf("--share-copy --public: exit %d: %s", code, stderr)
	}
	if got := rules(out); !strings.HasPrefix(got["GATE-004"], "eu-west-1/ami-") || got["AMI-001"] != "" {
		t.Errorf("a public share of the encrypted copy is refused, not applied: %v", got)
	}
	for name, extra := range map[string][]string{
		"share-copy without copy":  {"gate", "--snapshot", snap, "--image", "ami-0a1b2c3d4e5f60001", "--share-with", "345678901234", "--share-copy"},
		"share-copy without share": {"gate", "--snapshot", snap, "--image", "ami-0a1b2c3d4e5f60001", "--copy-to-region", "eu-west-1", "--share-copy"},
		"share-copy with volumes": {"gate", "--snapshot", snap, "--image", "ami-0a1b2c3d4e5f60001", "--copy-to-region", "eu-west-1", "--share-copy",
			"--share-with", "345678901234", "--create-volume-permission"},
	} {
		if code, _, stderr := amiaudit(t, "", extra...); code != exitUsage || !strings.Contains(stderr, "--share-copy") {
			t.Errorf("%s: exit %d, stderr %q", name, code, stderr)
		}
	}
}
