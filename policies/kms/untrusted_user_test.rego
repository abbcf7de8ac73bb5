package amiaudit.rules.kms.untrusted_user_test

import data.amiaudit.rules.kms.untrusted_user as rule
import data.amiaudit.testing as t

doc(statements, grants) := {
	"organization": t.organization,
	"snapshots": [t.snapshot("snap-0a", {"encrypted": true, "kms_key_id": t.key_arn("k1")})],
	"keys": [t.key("k1", {"policy": json.marshal(t.policy(array.concat([t.owner_statement], statements))), "grants": grants})],
}

only(fs) := f if {
	count(fs) == 1
	some f in fs
}

test_policy_names_outsider_role if {
	st := {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:role/x"}, "Action": "kms:Decrypt", "Resource": "*"}
	f := only(rule.findings) with input as t.prepare(doc([st], []))
	f.evidence.grantee == t.outsider
	f.evidence.statement == "Partner"
	contains(f.message, "statement \"Partner\"")
}

test_grant_to_outsider if {
	g := {"grant_id": "g-1", "grantee_principal": "arn:aws:iam::999999999999:root", "grantee_account": t.outsider, "operations": ["Decrypt"]}
	f := only(rule.findings) with input as t.prepare(doc([], [g]))
	f.evidence.statement == "grant g-1"
	contains(f.message, "grant g-1")
}

test_wildcard_conditioned_on_outside_account_or_org if {
	acct := {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringEquals": {"kms:CallerAccount": t.outsider}}}
	f := only(rule.findings) with input as t.prepare(doc([acct], []))
	f.evidence.grantee == t.outsider
	f.evidence.statement == "Statement[1]"
	org := {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-foreignorg99"}}}
	g := only(rule.findings) with input as t.prepare(doc([org], []))
	g.evidence.grantee == "o-foreignorg99"
	g.evidence.grantee_kind == "organization"
}

test_trusted_users_do_not_fire if {
	member := {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:root"}, "Action": "kms:*", "Resource": "*"}
	own_org := {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": t.org_id}}}
	describe_only := {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": "kms:DescribeKey", "Resource": "*"}
	count(rule.findings) == 0 with input as t.prepare(doc([member, own_org, describe_only], []))
}

# Why: with StringNotEquals kms:CallerAccount 999988887777 the one account
# the policy names is the one it excludes: no KMS-002 for it.
test_why_account_excluded_by_negation_is_not_reported if {
	st := {"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*", "Condition": {"StringNotEquals": {"kms:CallerAccount": "999988887777"}}}
	count(rule.findings) == 0 with input as t.prepare(doc([st], []))
}

# Why: the guard "Deny kms:* unless aws:PrincipalOrgID is ours" blocks an
# outside account that an Allow names: no KMS-002 for it.
test_why_deny_outside_org_guard_blocks_outsider if {
	allow := {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"}, "Action": "kms:*", "Resource": "*"}
	guard := {"Sid": "DenyOutsideOrg", "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*", "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": t.org_id}}}
	count(rule.findings) == 1 with input as t.prepare(doc([allow], []))
	count(rule.findings) == 0 with input as t.prepare(doc([allow, guard], []))
}

test_deny_guard_also_overrides_grants if {
	g := {"grant_id": "g-1", "grantee_principal": "arn:aws:iam::999999999999:root", "grantee_account": t.outsider, "operations": ["Decrypt"]}
	guard := {"Sid": "DenyOutsideOrg", "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*", "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": t.org_id}}}
	count(rule.findings) == 0 with input as t.prepare(doc([guard], [g]))
}

# Why: ANDed conditions — our org AND an outside caller account can never both
# hold, so the outside account is not allowed.
test_why_and_conditions if {
	st := {"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": t.org_id, "kms:CallerAccount": t.outsider}}}
	count(rule.findings) == 0 with input as t.prepare(doc([st], []))
}

test_undetermined_named_account_is_medium if {
	st := {"Sid": "PartnerMfa", "Effect": "Allow", "Principal": {"AWS": "999999999999"}, "Action": "kms:Decrypt", "Resource": "*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}
	f := only(rule.findings) with input as t.prepare(doc([st], []))
	f.severity == "medium"
	contains(f.message, "aws:MultiFactorAuthPresent")
}

test_trusted_ou_of_a_foreign_organization_by_arn if {
	st := {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*", "Condition": {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-foreignorg99/r-zz99/ou-zz99-partner1/*"}}}
	fs := rule.findings with input as t.prepare(doc([st], []))
	kinds := {f.evidence.grantee_kind | some f in fs}
	"ou" in kinds
	cfg := {"trusted_organizations": [], "trusted_ous": ["arn:aws:organizations::888888888888:ou/o-foreignorg99/ou-zz99-partner1"]}
	count(rule.findings) == 0 with input as t.prepare(object.union(doc([st], []), {"config": cfg}))
}
