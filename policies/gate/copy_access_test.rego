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
	{"effect": "Allow", "principals": [{"type": "AWS", "value": t.member, "account": t.member, "root": true}], "actions": ["kms:creategrant", "kms:decrypt", "kms:describekey", "kms:generatedatakeywithoutplaintext", "kms:reencrypt*"]},
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
