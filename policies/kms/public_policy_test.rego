package amiaudit.rules.kms.public_policy_test

import data.amiaudit.rules.kms.public_policy as rule
import data.amiaudit.testing as t

doc(statements) := {
	"organization": t.organization,
	"snapshots": [t.snapshot("snap-0a", {"encrypted": true, "kms_key_id": t.key_arn("k1")})],
	"keys": [
		t.key("k1", {"policy": json.marshal(t.policy(array.concat([t.owner_statement], statements)))}),
		t.key("k2", {"policy": json.marshal(t.policy(array.concat([t.owner_statement], statements)))}),
	],
}

open(extra) := object.union({"Sid": "Open", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*"}, extra)

only(fs) := f if {
	count(fs) == 1
	some f in fs
}

test_unconditional_wildcard_fires_on_used_key_only if {
	f := only(rule.findings) with input as t.prepare(doc([open({})]))
	f.resource.id == "k1"
	f.evidence.statement == "Open"
	f.evidence.outcome == "allowed"
	contains(f.message, "statement \"Open\"")
	not f.severity
}

test_bare_star_principal_and_action_wildcard if {
	count(rule.findings) == 1 with input as t.prepare(doc([{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}]))
}

test_restricting_conditions_do_not_fire if {
	some cond in [
		{"StringEquals": {"aws:PrincipalOrgID": t.org_id}},
		{"StringEquals": {"kms:CallerAccount": t.member}},
		{"StringEquals": {"aws:PrincipalAccount": t.member}},
		{"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::222222222222:role/launcher"}},
		{"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-exampleorg1/r-ab12/*"}},
	]
	count(rule.findings) == 0 with input as t.prepare(doc([open({"Condition": cond})]))
}

test_via_service_alone_does_not_restrict_the_caller if {
	st := open({"Condition": {"StringEquals": {"kms:ViaService": "ec2.us-east-1.amazonaws.com"}}})
	f := only(rule.findings) with input as t.prepare(doc([st]))
	f.evidence.outcome == "allowed"
}

test_deny_and_describe_only_do_not_fire if {
	deny := {"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*", "Condition": {"StringNotEquals": {"aws:PrincipalAccount": t.owner}}}
	describe := open({"Action": "kms:DescribeKey"})
	count(rule.findings) == 0 with input as t.prepare(doc([describe]))
	count(rule.findings) == 0 with input as t.prepare(doc([open({}), deny]))
}

# Why: Principal "*" with StringNotEquals kms:CallerAccount 999988887777 is
# open to every account but one.
test_why_negated_caller_account_fires if {
	st := open({"Sid": "AllButOne", "Condition": {"StringNotEquals": {"kms:CallerAccount": "999988887777"}}})
	f := only(rule.findings) with input as t.prepare(doc([st]))
	f.evidence.statement == "AllButOne"
	f.evidence.outcome == "allowed"
}

# Why: StringLike aws:PrincipalOrgID "o-*" admits any account of any organization.
test_why_wildcard_org_fires if {
	st := open({"Sid": "AnyOrg", "Condition": {"StringLike": {"aws:PrincipalOrgID": "o-*"}}})
	f := only(rule.findings) with input as t.prepare(doc([st]))
	f.evidence.statement == "AnyOrg"
	contains(f.evidence.grantee, "foreign organization")
}

test_wildcard_account_pattern_is_exercised if {
	st := open({"Sid": "Prefix", "Condition": {"StringLike": {"kms:CallerAccount": "2222*"}}})
	f := only(rule.findings) with input as t.prepare(doc([st]))
	contains(f.evidence.grantee, "2222*")
}

test_not_principal_in_allow_fires if {
	st := {"Sid": "AllButOwner", "Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "kms:Decrypt", "Resource": "*"}
	f := only(rule.findings) with input as t.prepare(doc([st]))
	f.evidence.statement == "AllButOwner"
}

test_undetermined_is_high_and_names_the_condition if {
	st := open({"Sid": "Office", "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}})
	f := only(rule.findings) with input as t.prepare(doc([st]))
	f.severity == "high"
	f.evidence.outcome == "undetermined"
	contains(f.message, "aws:SourceIp")
	contains(f.message, "statement \"Office\"")
}
