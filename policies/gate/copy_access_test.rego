package amiaudit.rules.gate.copy_access_test

import data.amiaudit.rules.gate.copy_access as rule
import data.amiaudit.testing as t

key := t.key_arn("k1")

vol(encrypted) := {"snapshot_id": "snap-0a", "source_encrypted": encrypted, "source_kms_key_id": key, "encrypted": true, "why": "test"}

doc(c, keys) := {
	"images": [t.image("ami-0a", {"block_device_mappings": [t.bdm("snap-0a")]})],
	"keys": keys,
	"proposed": [object.union({"kind": "copy", "source": "flags", "image_id": "ami-0a", "region": t.region, "destination_region": "eu-west-1", "copying_account": t.member}, c)],
}

findings(c, keys) := fs if {
	fs := rule.findings with input as t.prepare(doc(c, keys))
}

# Only the owner's root may use the key: AWS's default key policy.
private_key := t.key("k1", {"policy_statements": [{"effect": "Allow", "principals": [{"type": "AWS", "value": t.owner, "account": t.owner, "root": true}], "actions": ["kms:*"]}]})

shared_key := t.key("k1", {"policy_statements": [
	{"effect": "Allow", "principals": [{"type": "AWS", "value": t.owner, "account": t.owner, "root": true}], "actions": ["kms:*"]},
	{"effect": "Allow", "principals": [{"type": "AWS", "value": t.member, "account": t.member, "root": true}], "actions": ["kms:creategrant", "kms:decrypt", "kms:describekey", "kms:generatedatakey*", "kms:reencrypt*"]},
]})

test_missing_create_volume_permission_fails if {
	fs := findings({"copy_volumes": [vol(false)], "unrestorable_snapshots": ["snap-0a"]}, [])
	count(fs) == 1
	some f in fs
	not f.severity
	f.evidence.problems == ["it lacks createVolumePermission on snapshot snap-0a"]
}

test_key_the_copier_cannot_use_fails if {
	fs := findings({"copy_volumes": [vol(true)], "restorable_snapshots": ["snap-0a"]}, [private_key])
	some f in fs
	not f.severity
	contains(f.message, sprintf("it cannot use key %s", [key]))
}

test_aws_managed_key_fails if {
	aws_key := t.key("k1", {"key_manager": "AWS", "aliases": ["alias/aws/ebs"]})
	some f in findings({"copy_volumes": [vol(true)], "restorable_snapshots": ["snap-0a"]}, [aws_key])
	contains(f.message, "AWS managed key")
}

test_readable_snapshot_and_shared_key_pass if {
	count(findings({"copy_volumes": [vol(true)], "restorable_snapshots": ["snap-0a"]}, [shared_key])) == 0
	count(findings({"copy_volumes": [vol(false)], "restorable_snapshots": ["snap-0a"]}, [])) == 0
}

test_undetermined_is_said_at_medium if {
	fs := findings({"copy_volumes": [vol(true)]}, [])
	count(fs) == 1
	some f in fs
	f.severity == "medium"
	contains(f.message, "undetermined")
	count(f.evidence.undetermined) == 2
}

test_own_copy_is_not_judged if {
	count(findings({"copying_account": t.owner, "copy_volumes": [vol(true)], "unrestorable_snapshots": ["snap-0a"]}, [])) == 0
}

# The copier's use of the key is judged by the access model: a guard that
# denies every principal outside the owner's organization leaves a copier
# outside it unable to copy, whatever the Allow grants.
guarded_key := t.key("k1", {"policy_statements": [
	{"effect": "Allow", "principals": [{"type": "*", "value": "*", "wildcard": true}], "actions": ["kms:*"]},
	{"sid": "DenyOutsideOrg", "effect": "Deny", "principals": [{"type": "*", "value": "*", "wildcard": true}], "actions": ["kms:*"], "conditions": [{"operator": "StringNotEquals", "key": "aws:principalorgid", "values": ["o-someoneelse"]}]},
]})

test_deny_guard_is_judged_as_aws_does if {
	some f in findings({"copy_volumes": [vol(true)], "restorable_snapshots": ["snap-0a"]}, [guarded_key])
	contains(f.message, "DenyOutsideOrg")
}

# A condition the snapshot cannot tell makes the answer undetermined (medium).
ip_key := t.key("k1", {"policy_statements": [
	{"effect": "Allow", "principals": [{"type": "AWS", "value": t.member, "account": t.member, "root": true}], "actions": ["kms:*"], "conditions": [{"operator": "IpAddress", "key": "aws:sourceip", "values": ["203.0.113.0/24"]}]},
]})

test_unknown_condition_is_undetermined if {
	some f in findings({"copy_volumes": [vol(true)], "restorable_snapshots": ["snap-0a"]}, [ip_key])
	f.severity == "medium"
	some u in f.evidence.undetermined
	contains(u, "aws:sourceip")
}
