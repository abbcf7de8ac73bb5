package amiaudit.rules.ami.cmk_not_shared_test

import data.amiaudit.rules.ami.cmk_not_shared as rule
import data.amiaudit.testing as t

launch_actions := ["kms:decrypt", "kms:creategrant", "kms:describekey", "kms:reencrypt*", "kms:generatedatakeywithoutplaintext"]

owner_statement := {"effect": "Allow", "principals": [{"type": "AWS", "value": "arn:aws:iam::111111111111:root", "account": t.owner, "root": true}], "actions": ["kms:*"]}

doc(perms, statements, grants) := {
	"organization": t.organization,
	"images": [t.image("ami-0a", {"launch_permissions": perms, "block_device_mappings": [t.bdm("snap-0a")]})],
	"snapshots": [t.snapshot("snap-0a", {"encrypted": true, "kms_key_id": t.key_arn("k1")})],
	"keys": [t.key("k1", {"policy_statements": statements, "grants": grants})],
}

member_principal := {"type": "AWS", "value": "arn:aws:iam::222222222222:root", "account": t.member, "root": true}

test_key_not_shared_fires if {
	fs := rule.findings with input as t.prepare(doc([{"user_id": t.member}], [owner_statement], []))
	count(fs) == 1
	some f in fs
	f.evidence.grantee == t.member
	f.evidence.kms_key_arn == t.key_arn("k1")
	count(f.evidence.missing_actions) == 6
}

test_key_shared_by_policy_passes if {
	st := {"effect": "Allow", "principals": [member_principal], "actions": launch_actions}
	count(rule.findings) == 0 with input as t.prepare(doc([{"user_id": t.member}], [owner_statement, st], []))
}

test_kms_wildcard_action_counts if {
	st := {"effect": "Allow", "principals": [{"type": "AWS", "value": t.member, "account": t.member, "root": true}], "actions": ["kms:*"]}
	count(rule.findings) == 0 with input as t.prepare(doc([{"user_id": t.member}], [owner_statement, st], []))
}

test_partial_actions_fire_naming_what_is_missing if {
	st := {"effect": "Allow", "principals": [member_principal], "actions": ["kms:describekey", "kms:decrypt"]}
	fs := rule.findings with input as t.prepare(doc([{"user_id": t.member}], [owner_statement, st], []))
	some f in fs
	"kms:creategrant" in f.evidence.missing_actions
	not "kms:decrypt" in f.evidence.missing_actions
}

test_not_action_statement_counts if {
	st := {"effect": "Allow", "principals": [member_principal], "not_actions": ["kms:schedulekeydeletion"]}
	count(rule.findings) == 0 with input as t.prepare(doc([{"user_id": t.member}], [owner_statement, st], []))
}

test_unconditional_deny_takes_action_away if {
	allow := {"effect": "Allow", "principals": [member_principal], "actions": ["kms:*"]}
	deny := {"effect": "Deny", "principals": [{"type": "*", "value": "*", "wildcard": true}], "actions": ["kms:creategrant"]}
	fs := rule.findings with input as t.prepare(doc([{"user_id": t.member}], [owner_statement, allow, deny], []))
	some f in fs
	f.evidence.missing_actions == ["kms:creategrant"]
}

test_grants_count if {
	grant := {"grant_id": "g1", "grantee_principal": "arn:aws:iam::222222222222:role/launcher", "grantee_account": t.member, "operations": ["Decrypt", "CreateGrant", "DescribeKey", "ReEncryptFrom", "ReEncryptTo", "GenerateDataKeyWithoutPlaintext"]}
	count(rule.findings) == 0 with input as t.prepare(doc([{"user_id": t.member}], [owner_statement], [grant]))
}

test_org_grantee_covered_by_principal_org_id if {
	st := {
		"effect": "Allow", "principals": [{"type": "AWS", "value": "*", "wildcard": true}], "actions": launch_actions,
		"conditions": [{"operator": "StringEquals", "key": "aws:principalorgid", "values": [t.org_id]}],
	}
	count(rule.findings) == 0 with input as t.prepare(doc([{"organization_arn": t.org_arn}, {"organizational_unit_arn": t.ou_arn}], [owner_statement, st], []))
}

test_org_grantee_not_covered_by_account_statement if {
	st := {"effect": "Allow", "principals": [member_principal], "actions": launch_actions}
	fs := rule.findings with input as t.prepare(doc([{"organization_arn": t.org_arn}], [owner_statement, st], []))
	count(fs) == 1
}

test_aws_managed_and_unencrypted_are_other_rules if {
	d := doc([{"user_id": t.member}], [owner_statement], [])
	aws_key := object.union(d, {"keys": [t.key("k1", {"key_manager": "AWS", "aliases": ["alias/aws/ebs"]})]})
	count(rule.findings) == 0 with input as t.prepare(aws_key)
	plain := object.union(d, {"snapshots": [t.snapshot("snap-0a", {})]})
	count(rule.findings) == 0 with input as t.prepare(plain)
}

test_unshared_image_does_not_fire if {
	count(rule.findings) == 0 with input as t.prepare(doc([], [owner_statement], []))
}

test_unreadable_key_policy_is_not_judged if {
	d := doc([{"user_id": t.member}], [owner_statement], [])
	unread := object.union(d, {"keys": [t.key("k1", {})]})
	count(rule.findings) == 0 with input as t.prepare(unread)
}
