package amiaudit.rules.kms.public_policy_test

import data.amiaudit.rules.kms.public_policy as rule
import data.amiaudit.testing as t

anyone := {"type": "AWS", "value": "*", "wildcard": true}

doc(statements) := {
	"snapshots": [t.snapshot("snap-0a", {"encrypted": true, "kms_key_id": t.key_arn("k1")})],
	"keys": [t.key("k1", {"policy_statements": statements}), t.key("k2", {"policy_statements": statements})],
}

test_unconditional_wildcard_fires_on_used_key_only if {
	fs := rule.findings with input as t.prepare(doc([{"sid": "Open", "effect": "Allow", "principals": [anyone], "actions": ["kms:decrypt"]}]))
	count(fs) == 1
	some f in fs
	f.resource.id == "k1"
	f.evidence.statement == "statement \"Open\""
}

test_bare_star_principal_and_action_wildcard if {
	st := {"effect": "Allow", "principals": [{"type": "*", "value": "*", "wildcard": true}], "actions": ["kms:*"]}
	count(rule.findings) == 1 with input as t.prepare(doc([st]))
}

test_restricting_conditions_do_not_fire if {
	some key in ["aws:principalorgid", "kms:calleraccount", "aws:principalaccount", "aws:sourceaccount", "aws:principalarn", "aws:principalorgpaths"]
	st := {"effect": "Allow", "principals": [anyone], "actions": ["kms:*"], "conditions": [{"operator": "StringEquals", "key": key, "values": ["x"]}]}
	count(rule.findings) == 0 with input as t.prepare(doc([st]))
}

test_other_conditions_still_fire if {
	st := {"effect": "Allow", "principals": [anyone], "actions": ["kms:decrypt"], "conditions": [{"operator": "StringEquals", "key": "kms:viaservice", "values": ["ec2.us-east-1.amazonaws.com"]}]}
	count(rule.findings) == 1 with input as t.prepare(doc([st]))
}

test_deny_and_describe_only_do_not_fire if {
	deny := {"effect": "Deny", "principals": [anyone], "actions": ["kms:*"]}
	describe := {"effect": "Allow", "principals": [anyone], "actions": ["kms:describekey"]}
	count(rule.findings) == 0 with input as t.prepare(doc([deny, describe]))
}
