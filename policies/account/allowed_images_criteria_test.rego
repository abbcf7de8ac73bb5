package amiaudit.rules.account.allowed_images_criteria_test

import data.amiaudit.rules.account.allowed_images_criteria as rule
import data.amiaudit.testing as t

doc(state, criteria) := {
	"organization": t.organization,
	"account_regions": [{"account": t.owner, "region": t.region, "allowed_images": state, "allowed_images_criteria": criteria, "allowed_images_managed_by": "account"}],
}

findings(state, criteria) := fs if {
	fs := rule.findings with input as t.prepare(doc(state, criteria))
}

test_marketplace_without_product_codes_fires if {
	fs := findings("enabled", [{"image_providers": ["amazon", "aws-marketplace"]}])
	count(fs) == 1
	some f in fs
	f.evidence.criteria == ["criterion #1 admits aws-marketplace images of any seller (no marketplace product-code restriction)"]
	f.evidence.managed_by == "account"
	contains(f.remediation, "replace-image-criteria-in-allowed-images-settings")
}

test_marketplace_with_product_codes_passes if {
	count(findings("enabled", [{"image_providers": ["aws-marketplace"], "marketplace_product_codes": ["abc123"]}])) == 0
}

test_untrusted_account_fires_and_names_it if {
	fs := findings("audit-mode", [{"image_providers": ["amazon"]}, {"image_providers": [t.member, t.outsider]}])
	some f in fs
	count(f.evidence.criteria) == 1
	contains(f.evidence.criteria[0], "criterion #2 admits images of account 999999999999")
}

test_trusted_sources_pass if {
	count(findings("enabled", [{"image_providers": ["amazon", "aws-backup-vault", "none", t.owner, t.member]}])) == 0
}

test_criterion_without_providers_admits_any_account if {
	fs := findings("enabled", [{"image_names": ["golden-*"]}])
	some f in fs
	contains(f.evidence.criteria[0], "any account")
}

test_disabled_or_unread_is_left_to_acct_003 if {
	count(findings("disabled", [{"image_providers": ["aws-marketplace"]}])) == 0
	count(findings(null, [{"image_providers": ["aws-marketplace"]}])) == 0
}

test_declarative_policy_remediation_points_at_the_policy if {
	d := {"account_regions": [{"account": t.owner, "region": t.region, "allowed_images": "enabled", "allowed_images_criteria": [{"image_providers": ["aws-marketplace"]}], "allowed_images_managed_by": "declarative-policy"}]}
	some f in rule.findings with input as t.prepare(d)
	f.evidence.managed_by == "declarative-policy"
	contains(f.remediation, "declarative policy")
	contains(f.remediation, "allowed_images_settings")
	not contains(f.remediation, "replace-image-criteria")
}
