package amiaudit.rules.ami.cmk_not_shared_test

import data.amiaudit.rules.ami.cmk_not_shared as rule
import data.amiaudit.testing as t

any := {"AWS": "*"}

doc(perms, statements, grants) := {
	"organization": t.organization,
	"images": [t.image("ami-0a", {"launch_permissions": perms, "block_device_mappings": [t.bdm("snap-0a")]})],
	"snapshots": [t.snapshot("snap-0a", {"encrypted": true, "kms_key_id": t.key_arn("k1")})],
	"keys": [t.key("k1", {"policy": json.marshal(t.policy(statements)), "grants": grants})],
}

nested(d) := object.union(d, {"organization": t.nested_organization})

allow_account(id, actions) := {"Sid": sprintf("Allow%s", [id]), "Effect": "Allow", "Principal": {"AWS": sprintf("arn:aws:iam::%s:root", [id])}, "Action": actions, "Resource": "*"}

test_key_not_shared_fires_naming_missing_actions if {
	fs := rule.findings with input as t.prepare(doc([{"user_id": t.member}], [t.owner_statement], []))
	count(fs) == 1
	some f in fs
	f.evidence.grantee == t.member
	f.evidence.kms_key_arn == t.key_arn("k1")
	count(f.evidence.missing_actions) == 7
	f.evidence.outcome == "denied"
	contains(f.message, "account 222222222222")
}

test_key_shared_by_policy_passes if {
	count(rule.findings) == 0 with input as t.prepare(doc([{"user_id": t.member}], [t.owner_statement, allow_account(t.member, t.launch_actions)], []))
}

test_kms_wildcard_action_counts if {
	count(rule.findings) == 0 with input as t.prepare(doc([{"user_id": t.member}], [t.owner_statement, allow_account(t.member, "kms:*")], []))
}

test_partial_actions_fire_naming_what_is_missing if {
	fs := rule.findings with input as t.prepare(doc([{"user_id": t.member}], [t.owner_statement, allow_account(t.member, ["kms:DescribeKey", "kms:Decrypt"])], []))
	some f in fs
	"kms:CreateGrant" in f.evidence.missing_actions
	not "kms:Decrypt" in f.evidence.missing_actions
}

test_not_action_statement_counts if {
	st := {"Effect": "Allow", "Principal": {"AWS": t.member}, "NotAction": "kms:ScheduleKeyDeletion", "Resource": "*"}
	count(rule.findings) == 0 with input as t.prepare(doc([{"user_id": t.member}], [t.owner_statement, st], []))
}

test_unconditional_deny_takes_action_away_and_is_named if {
	deny := {"Sid": "NoGrants", "Effect": "Deny", "Principal": "*", "Action": "kms:CreateGrant", "Resource": "*"}
	fs := rule.findings with input as t.prepare(doc([{"user_id": t.member}], [t.owner_statement, allow_account(t.member, "kms:*"), deny], []))
	some f in fs
	f.evidence.missing_actions == ["kms:CreateGrant"]
	f.evidence.statement == "NoGrants"
	contains(f.message, "statement \"NoGrants\"")
}

test_grants_count if {
	grant := {"grant_id": "g1", "grantee_principal": "arn:aws:iam::222222222222:root", "grantee_account": t.member, "operations": ["Decrypt", "CreateGrant", "DescribeKey", "ReEncryptFrom", "ReEncryptTo", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext"]}
	count(rule.findings) == 0 with input as t.prepare(doc([{"user_id": t.member}], [t.owner_statement], [grant]))
}

test_grant_with_encryption_context_constraint_is_undetermined if {
	grant := {"grant_id": "g1", "grantee_principal": "arn:aws:iam::222222222222:root", "grantee_account": t.member, "operations": ["Decrypt", "CreateGrant", "DescribeKey", "ReEncryptFrom", "ReEncryptTo", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext"], "constraints": {"encryption_context_subset": {"aws:ebs:id": "vol-0123"}}}
	fs := rule.findings with input as t.prepare(doc([{"user_id": t.member}], [t.owner_statement], [grant]))
	some f in fs
	f.severity == "medium"
	f.evidence.outcome == "undetermined"
	contains(f.message, "EncryptionContextSubset")
}

test_org_grantee_covered_by_principal_org_id if {
	st := {"Effect": "Allow", "Principal": "*", "Action": t.launch_actions, "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": t.org_id}}}
	count(rule.findings) == 0 with input as t.prepare(doc([{"organization_arn": t.org_arn}, {"organizational_unit_arn": t.ou_arn}], [t.owner_statement, st], []))
}

test_org_grantee_judged_per_member if {
	fs := rule.findings with input as t.prepare(doc([{"organization_arn": t.org_arn}], [t.owner_statement, allow_account(t.member, t.launch_actions)], []))
	count(fs) == 0
	fs2 := rule.findings with input as t.prepare(nested(doc([{"organization_arn": t.org_arn}], [t.owner_statement, allow_account(t.member, t.launch_actions)], [])))
	some f in fs2
	[a.account | some a in f.evidence.accounts] == [t.nested_member]
}

# Why: Principal "*" with StringNotEquals kms:CallerAccount 999988887777 — a
# grantee that can in fact use the key is not reported.
test_why_negated_caller_account_lets_grantee_launch if {
	st := {"Sid": "AllButOne", "Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*", "Condition": {"StringNotEquals": {"kms:CallerAccount": "999988887777"}}}
	count(rule.findings) == 0 with input as t.prepare(doc([{"user_id": t.member}], [t.owner_statement, st], []))
	fs := rule.findings with input as t.prepare(doc([{"user_id": "999988887777"}], [t.owner_statement, st], []))
	count(fs) == 1
}

# Why: the guard "Deny kms:* unless aws:PrincipalOrgID is ours" blocks an
# outside account the policy also allows: the share to it is broken.
test_why_deny_outside_org_guard_breaks_outside_share if {
	allow := allow_account("999988887777", "kms:*")
	guard := {"Sid": "DenyOutsideOrg", "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*", "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": t.org_id}}}
	fs := rule.findings with input as t.prepare(doc([{"user_id": "999988887777"}], [t.owner_statement, allow, guard], []))
	some f in fs
	f.evidence.statement == "DenyOutsideOrg"
	not f.severity
	count(f.evidence.missing_actions) == 7
	count(rule.findings) == 0 with input as t.prepare(doc([{"user_id": t.member}], [t.owner_statement, allow_account(t.member, "kms:*"), guard], []))
}

# Why: NotPrincipal in a Deny denies everyone it does not list.
test_why_not_principal_deny_breaks_share if {
	deny := {"Sid": "OnlyOwner", "Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "kms:*", "Resource": "*"}
	fs := rule.findings with input as t.prepare(doc([{"user_id": t.member}], [t.owner_statement, allow_account(t.member, "kms:*"), deny], []))
	some f in fs
	f.evidence.statement == "OnlyOwner"
}

# Why: conditions are ANDed — a statement requiring our org AND
# kms:CallerAccount 333333333333 does not admit member 222222222222.
test_why_and_conditions_do_not_admit_every_member if {
	st := {"Sid": "OrgAnd333", "Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": t.org_id, "kms:CallerAccount": "333333333333"}}}
	fs := rule.findings with input as t.prepare(doc([{"user_id": t.member}], [t.owner_statement, st], []))
	count(fs) == 1
}

# Why: kms:ViaService limited to rds.* is not usable by EC2.
test_why_via_service_rds_is_not_ec2 if {
	st := {"Sid": "RdsOnly", "Effect": "Allow", "Principal": {"AWS": t.member}, "Action": "kms:*", "Resource": "*", "Condition": {"StringLike": {"kms:ViaService": "rds.*.amazonaws.com"}}}
	count(rule.findings) == 1 with input as t.prepare(doc([{"user_id": t.member}], [t.owner_statement, st], []))
	ec2 := {"Sid": "Ec2Only", "Effect": "Allow", "Principal": {"AWS": t.member}, "Action": "kms:*", "Resource": "*", "Condition": {"StringEquals": {"kms:ViaService": "ec2.us-east-1.amazonaws.com"}}}
	count(rule.findings) == 0 with input as t.prepare(doc([{"user_id": t.member}], [t.owner_statement, ec2], []))
}

# Why: aws:PrincipalOrgPaths on a parent OU (with /*) covers a member of a
# child OU; AMI shared with the parent OU is launchable there.
test_why_org_paths_cover_nested_ou if {
	st := {"Sid": "ParentOU", "Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*", "Condition": {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-exampleorg1/r-ab12/ou-ab12-cdefgh34/*"}}}
	count(rule.findings) == 0 with input as t.prepare(nested(doc([{"organizational_unit_arn": t.ou_arn}], [t.owner_statement, st], [])))
}

# Why: a path condition on another OU does not cover the grantee OU's members.
test_why_org_paths_on_other_ou_break_share if {
	st := {"Sid": "OtherOU", "Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*", "Condition": {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-exampleorg1/r-ab12/ou-ab12-cdefgh34/ou-ab12-child0001/*"}}}
	fs := rule.findings with input as t.prepare(nested(doc([{"organizational_unit_arn": t.ou_arn}], [t.owner_statement, st], [])))
	some f in fs
	[a.account | some a in f.evidence.accounts] == [t.member]
	count(f.evidence.missing_actions) == 7
}

test_condition_the_snapshot_cannot_tell_is_undetermined_and_named if {
	st := {"Sid": "FromOffice", "Effect": "Allow", "Principal": {"AWS": t.member}, "Action": "kms:*", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}
	fs := rule.findings with input as t.prepare(doc([{"user_id": t.member}], [t.owner_statement, st], []))
	some f in fs
	f.severity == "medium"
	f.evidence.statement == "FromOffice"
	contains(f.message, "aws:SourceIp")
}

test_foreign_org_grantee_is_judged_by_a_witness if {
	st := {"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": t.org_id}}}
	fs := rule.findings with input as t.prepare(doc([{"organization_arn": t.foreign_org_arn}], [t.owner_statement, st], []))
	some f in fs
	contains(f.message, "an account of organization o-foreignorg99")
}

test_aws_managed_and_unencrypted_are_other_rules if {
	d := doc([{"user_id": t.member}], [t.owner_statement], [])
	aws_key := object.union(d, {"keys": [t.key("k1", {"key_manager": "AWS", "aliases": ["alias/aws/ebs"]})]})
	count(rule.findings) == 0 with input as t.prepare(aws_key)
	plain := object.union(d, {"snapshots": [t.snapshot("snap-0a", {})]})
	count(rule.findings) == 0 with input as t.prepare(plain)
}

test_unshared_image_does_not_fire if {
	count(rule.findings) == 0 with input as t.prepare(doc([], [t.owner_statement], []))
}

test_unreadable_key_policy_is_scan_001s_business if {
	d := doc([{"user_id": t.member}], [t.owner_statement], [])
	unread := object.union(d, {"keys": [t.key("k1", {})]})
	count(rule.findings) == 0 with input as t.prepare(unread)
}
