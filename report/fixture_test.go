package report

import (
	"time"

	"github.com/amiaudit/amiaudit/finding"
)

// The fixture is a small nightly scan: every severity, an active and an
// expired waiver, a finding from a Terraform plan, and evidence with nested
// values and characters that HTML escaping would mangle.

var (
	collectedAt = time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)
	// Deliberately not UTC: writers must print UTC whatever they are given.
	generatedAt = time.Date(2026, 11, 22, 3, 15, 30, 0, time.FixedZone("CET", 3600))
)

const (
	accountA = "111122223333"
	accountB = "444455556666"
	region1  = "us-east-1"
	region2  = "eu-west-1"
)

func testRules() []finding.Rule {
	return []finding.Rule{
		{
			ID: "ACCT-003", Title: "Allowed AMIs is not enabled", Severity: finding.Low,
			Description: "Allowed AMIs is disabled in an account-region that was scanned.",
			Remediation: "Enable Allowed AMIs, in audit mode first.",
			References:  []string{"https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-allowed-amis.html"},
			Area:        "account", Package: "amiaudit.account.allowed_amis", Source: "policies/account/allowed_amis.rego",
		},
		{
			ID: "AMI-001", Title: "AMI is public", Severity: finding.Critical,
			Description: "An AMI's launch permissions hold Group=all: anyone can launch it and copy its data.",
			Remediation: "Remove the public launch permission and enable image block public access.",
			References: []string{
				"https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/sharingamis-intro.html",
				"CIS AWS Foundations Benchmark",
			},
			Area: "ami", Package: "amiaudit.ami.public", Effect: finding.EffectDataExposure, Source: "policies/ami/public.rego",
		},
		{
			ID: "AMI-002", Title: "AMI shared with an untrusted account", Severity: finding.High,
			Description: "An AMI's launch permission names an account that is not trusted.",
			Remediation: "Remove the launch permission, or trust the account in the configuration.",
			Area:        "ami", Package: "amiaudit.ami.untrusted_account", Effect: finding.EffectDataExposure, Source: "policies/ami/untrusted_account.rego",
		},
		{
			ID: "AMI-004", Title: "Shared AMI uses a KMS key the grantee cannot use", Severity: finding.High,
			Description: "A shared AMI has a snapshot encrypted with a customer managed key whose policy does not let every grantee use it.",
			Remediation: "Grant the grantee kms:Decrypt, kms:CreateGrant and kms:DescribeKey on the key.",
			Area:        "ami", Package: "amiaudit.ami.unshared_cmk", Source: "policies/ami/unshared_cmk.rego",
		},
		{
			ID: "AMI-007", Title: "Credential in AMI metadata", Severity: finding.Critical,
			Description: "AMI metadata contains a credential.",
			Remediation: "Rotate the credential, then rewrite the metadata.",
			Area:        "ami", Package: "amiaudit.ami.metadata_secret", Effect: finding.EffectCredentials, Source: "policies/ami/metadata_secret.rego",
		},
		{
			ID: "AMI-009", Title: "Stale shared AMI", Severity: finding.Low,
			Description: "A shared AMI is older than max_shared_image_age_days and has no deprecation time.",
			Remediation: "Set a deprecation time or stop sharing the image.",
			Area:        "ami", Package: "amiaudit.ami.stale", Source: "policies/ami/stale.rego",
		},
		{
			ID: "GATE-001", Title: "Copy would decrypt an encrypted snapshot", Severity: finding.High,
			Description: "A proposed copy would produce an unencrypted copy of an encrypted snapshot.",
			Remediation: "Copy with encryption enabled.",
			Area:        "gate", Package: "amiaudit.gate.unencrypted_copy", Source: "policies/gate/unencrypted_copy.rego",
		},
		{
			ID: "KMS-003", Title: "Key backing AMIs is unusable", Severity: finding.Medium,
			Description: "A key used by an AMI or snapshot is disabled or pending deletion.",
			Remediation: "Re-enable the key or cancel its deletion.",
			Area:        "kms", Package: "amiaudit.kms.unusable", Source: "policies/kms/unusable.rego",
		},
		{
			ID: "SNAP-001", Title: "Snapshot is publicly restorable", Severity: finding.Critical,
			Description: "An EBS snapshot's createVolumePermission holds Group=all.",
			Remediation: "Remove the public permission and block public access to snapshots.",
			Deprecated:  false,
			Area:        "snapshot", Package: "amiaudit.snapshot.public", Effect: finding.EffectDataExposure, Source: "policies/snapshot/public.rego",
		},
		{
			ID: "SNAP-002", Title: "Snapshot shared with an untrusted account", Severity: finding.High,
			Description: "A snapshot's createVolumePermission names an untrusted account.",
			Remediation: "Remove the permission.",
			Area:        "snapshot", Package: "amiaudit.snapshot.untrusted_account", Effect: finding.EffectDataExposure, Source: "policies/snapshot/untrusted_account.rego",
		},
	}
}

func amiResource(id, account, region string) finding.Resource {
	return finding.Resource{
		Type: "ami", ID: id, ARN: "arn:aws:ec2:" + region + "::image/" + id,
		Account: account, Region: region,
	}
}

func testFindings() []finding.Finding {
	return []finding.Finding{
		{
			RuleID: "AMI-009", Severity: finding.Low, Title: "Stale shared AMI",
			Message: "AMI ami-0c1d2e3f405162738 (legacy-base-2024) is shared with 2 accounts, was created 612 days ago, " +
				"more than max_shared_image_age_days (365), and has no deprecation time; set one or stop sharing it.",
			Resource:    amiResource("ami-0c1d2e3f405162738", accountA, region1),
			Evidence:    map[string]any{"age_days": 612, "max_age_days": 365, "deprecation_time": nil, "shared_with": []any{accountB, "777788889999"}},
			Remediation: "Set a deprecation time or stop sharing the image.",
		},
		{
			RuleID: "AMI-001", Severity: finding.Critical, Title: "AMI is public",
			Message:  "AMI ami-0a1b2c3d4e5f60718 (web <&> base) is public: its launch permissions hold Group=all.",
			Resource: amiResource("ami-0a1b2c3d4e5f60718", accountA, region1),
			Evidence: map[string]any{
				"image":              map[string]any{"name": "web <&> base", "tags": map[string]any{"team": "platform", "cost-center": "42"}},
				"launch_permissions": []any{map[string]any{"group": "all"}},
				"public":             true,
			},
			Remediation: "Remove the public launch permission and enable image block public access.",
		},
		{
			RuleID: "AMI-002", Severity: finding.High, Title: "AMI shared with an untrusted account",
			Message:     "AMI ami-0a1b2c3d4e5f60718 is shared with account 444455556666, which is not trusted.",
			Resource:    amiResource("ami-0a1b2c3d4e5f60718", accountA, region1),
			Evidence:    map[string]any{"grantee": map[string]any{"user_id": accountB}, "trusted": false, "reason": "not in trusted_accounts and the organization could not be read"},
			Remediation: "Remove the launch permission, or trust the account in the configuration.",
			Waiver: &finding.AppliedWaiver{
				Status: finding.WaiverActive, Rule: "AMI-002", Resource: "arn:aws:ec2:us-east-1::image/ami-0a1b2c3d4e5f60718",
				Reason: "Vendor build account under contract VND-123", ApprovedBy: "secops@example.com", Expires: "2027-03-31",
			},
		},
		{
			RuleID: "AMI-007", Severity: finding.Critical, Title: "Credential in AMI metadata",
			Message:     "AMI ami-0f9e8d7c6b5a49382 has an AWS access key ID in its description (AKIA…, sha256 3f9a1c).",
			Resource:    amiResource("ami-0f9e8d7c6b5a49382", accountB, region2),
			Evidence:    map[string]any{"field": "description", "detector": "aws-access-key-id", "redacted": "AKIA…3f9a1c"},
			Remediation: "Rotate the credential, then rewrite the metadata.",
		},
		{
			RuleID: "AMI-004", Severity: finding.High, Title: "Shared AMI uses a KMS key the grantee cannot use",
			Message:  "Sharing AMI ami-0a1b2c3d4e5f60718 with 444455556666 would break: key 1234abcd-12ab-34cd-56ef-1234567890ab does not let it use kms:CreateGrant or kms:Decrypt.",
			Resource: amiResource("ami-0a1b2c3d4e5f60718", accountA, region1),
			Evidence: map[string]any{
				"grantee":         accountB,
				"kms_key":         "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
				"missing_actions": []any{"kms:CreateGrant", "kms:Decrypt"},
				"snapshot":        "snap-0123456789abcdef0",
			},
			Remediation: "Grant the grantee kms:Decrypt, kms:CreateGrant and kms:DescribeKey on the key.",
			Location:    &finding.Location{File: "plans/share-ami.json", Address: `module.images.aws_ami_launch_permission.vendor["444455556666"]`},
		},
		{
			RuleID: "SNAP-002", Severity: finding.High, Title: "Snapshot shared with an untrusted account",
			Message: "Snapshot snap-0123456789abcdef0 can be restored by account 444455556666, which is not trusted.",
			Resource: finding.Resource{
				Type: "snapshot", ID: "snap-0123456789abcdef0", ARN: "arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0",
				Account: accountA, Region: region1,
			},
			Evidence:    map[string]any{"create_volume_permissions": []any{map[string]any{"user_id": accountB}}},
			Remediation: "Remove the permission.",
			Waiver: &finding.AppliedWaiver{
				Status: finding.WaiverExpired, Rule: "SNAP-002", Resource: "arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0",
				Reason: "Migration to the new account", ApprovedBy: "secops@example.com", Expires: "2026-06-30",
			},
		},
		{
			RuleID: "KMS-003", Severity: finding.Medium, Title: "Key backing AMIs is unusable",
			Message: "KMS key 1234abcd-12ab-34cd-56ef-9876543210fe is pending deletion; 3 AMIs encrypted with it can no longer be launched.",
			Resource: finding.Resource{
				Type: "kms-key", ID: "1234abcd-12ab-34cd-56ef-9876543210fe",
				ARN:     "arn:aws:kms:eu-west-1:444455556666:key/1234abcd-12ab-34cd-56ef-9876543210fe",
				Account: accountB, Region: region2,
			},
			Evidence:    map[string]any{"key_state": "PendingDeletion", "deletion_date": "2026-12-01T00:00:00Z", "images": []any{"ami-1", "ami-2", "ami-3"}},
			Remediation: "Re-enable the key or cancel its deletion.",
		},
		{
			RuleID: "ACCT-003", Severity: finding.Info, Title: "Allowed AMIs is not enabled",
			Message: "Allowed AMIs is in audit mode in 444455556666/eu-west-1.",
			Resource: finding.Resource{
				Type: "account-region", ID: "444455556666/eu-west-1", ARN: "arn:aws:ec2:eu-west-1:444455556666:allowed-images-settings",
				Account: accountB, Region: region2,
			},
			Evidence:    map[string]any{"allowed_images_settings": map[string]any{"state": "audit-mode", "image_criteria": []any{}}},
			Remediation: "Enable Allowed AMIs, in audit mode first.",
		},
	}
}

// testReport is the fixture as the engine hands it over: findings sorted.
func testReport() *finding.Report {
	fs := testFindings()
	for i := range fs {
		fs[i].Key = finding.KeyOf(finding.DefaultFingerprint, fs[i].Evidence)
	}
	finding.Sort(fs)
	return &finding.Report{
		SchemaVersion: finding.ReportSchemaVersion,
		Tool:          finding.Tool{Name: "amiaudit", Version: "0.4.0"},
		GeneratedAt:   generatedAt,
		Snapshot: finding.SnapshotInfo{
			SHA256:      "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
			CollectedAt: collectedAt,
			Accounts:    []string{accountA, accountB},
			Regions:     []string{region2, region1},
		},
		PolicyDigest: "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
		Summary:      finding.Summarize(fs),
		Findings:     fs,
		Rules:        testRules(),
	}
}

func emptyReport() *finding.Report {
	r := testReport()
	r.Findings = nil
	r.Summary = finding.Summary{}
	return r
}
