package amiaudit.rules.kms.untrusted_user_test

import data.amiaudit.rules.kms.untrusted_user as rule
import data.amiaudit.testing as t

doc(statements, grants) := {
	"organization": t.organization,
	"snapshots": [t.snapshot("snap-0a", {"encrypted": true, "kms_key_id": t.key_arn("k1")})],
	"keys": [t.key("k1", {"policy_statements": statements, "grants": grants})],
}

principal(account, arn) := {"type": "AWS", "value": arn, "account": account}

test_policy_names_outsider_role if {
	st := {"sid": "Partner", "effect": "Allow", "principals": [principal(t.outsider, "arn:aws:iam::999999999999:role/x")], "actions": ["kms:decrypt"]}
	fs := rule.findings with input as t.prepare(doc([st], []))
	count(fs) == 1
	some f in fs
	f.evidence.principal == t.outsider
	f.evidence.via == "statement \"Partner\""
}

test_grant_to_outsider if {
	g := {"grant_id": "g-1", "grantee_principal": "arn:aws:iam::999999999999:root", "grantee_account": t.outsider, "operations": ["Decrypt"]}
	fs := rule.findings with input as t.prepare(doc([], [g]))
	some f in fs
	f.evidence.via == "grant g-1"
}

test_wildcard_conditioned_on_outside_account_or_org if {
	acct := {"effect": "Allow", "principals": [{"type": "AWS", "value": "*", "wildcard": true}], "actions": ["kms:decrypt"], "conditions": [{"operator": "StringEquals", "key": "kms:calleraccount", "values": [t.outsider]}]}
	count(rule.findings) == 1 with input as t.prepare(doc([acct], []))
	org := {"effect": "Allow", "principals": [{"type": "AWS", "value": "*", "wildcard": true}], "actions": ["kms:decrypt"], "conditions": [{"operator": "StringEquals", "key": "aws:principalorgid", "values": ["o-foreignorg99"]}]}
	fs := rule.findings with input as t.prepare(doc([org], []))
	some f in fs
	f.evidence.principal == "o-foreignorg99"
}

test_trusted_users_do_not_fire if {
	member := {"effect": "Allow", "principals": [principal(t.member, "arn:aws:iam::222222222222:root")], "actions": ["kms:*"]}
	own_org := {"effect": "Allow", "principals": [{"type": "AWS", "value": "*", "wildcard": true}], "actions": ["kms:decrypt"], "conditions": [{"operator": "StringEquals", "key": "aws:principalorgid", "values": [t.org_id]}]}
	describe_only := {"effect": "Allow", "principals": [principal(t.outsider, "arn:aws:iam::999999999999:root")], "actions": ["kms:describekey"]}
	count(rule.findings) == 0 with input as t.prepare(doc([member, own_org, describe_only], []))
}
