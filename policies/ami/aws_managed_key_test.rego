package amiaudit.rules.ami.aws_managed_key_test

import data.amiaudit.rules.ami.aws_managed_key as rule
import data.amiaudit.testing as t

doc(perms, key) := {
	"images": [t.image("ami-0a", {"launch_permissions": perms, "block_device_mappings": [t.bdm("snap-0a")]})],
	"snapshots": [t.snapshot("snap-0a", {"encrypted": true, "kms_key_id": t.key_arn("k1")})],
	"keys": [key],
}

test_shared_aws_managed_fires if {
	fs := rule.findings with input as t.prepare(doc([{"user_id": t.member}], t.key("k1", {"key_manager": "AWS"})))
	count(fs) == 1
	some f in fs
	f.evidence.grantees == [t.member]
}

test_alias_aws_ebs_counts_as_aws_managed if {
	# moto reports the aws/ebs key as CUSTOMER; the alias still tells.
	key := t.key("k1", {"aliases": ["alias/aws/ebs"]})
	count(rule.findings) == 1 with input as t.prepare(doc([{"user_id": t.member}], key))
}

test_unshared_or_customer_key_do_not_fire if {
	count(rule.findings) == 0 with input as t.prepare(doc([], t.key("k1", {"key_manager": "AWS"})))
	count(rule.findings) == 0 with input as t.prepare(doc([{"user_id": t.member}], t.key("k1", {})))
}

test_key_from_block_device_mapping_when_snapshot_missing if {
	d := {
		"images": [t.image("ami-0a", {"launch_permissions": [{"user_id": t.member}], "block_device_mappings": [object.union(t.bdm("snap-0b"), {"encrypted": true, "kms_key_id": t.key_arn("k1")})]})],
		"keys": [t.key("k1", {"key_manager": "AWS"})],
	}
	count(rule.findings) == 1 with input as t.prepare(d)
}
