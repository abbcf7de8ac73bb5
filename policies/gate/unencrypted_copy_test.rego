package amiaudit.rules.gate.unencrypted_copy_test

import data.amiaudit.rules.gate.unencrypted_copy as rule
import data.amiaudit.testing as t

doc(encrypted_snapshot, copy_encrypted) := {
	"images": [t.image("ami-0a", {"block_device_mappings": [t.bdm("snap-0a")]})],
	"snapshots": [t.snapshot("snap-0a", {"encrypted": encrypted_snapshot, "kms_key_id": t.key_arn("k1")})],
	"proposed": [{"kind": "copy", "source": "flags", "image_id": "ami-0a", "region": t.region, "destination_region": "eu-west-1", "encrypted": copy_encrypted}],
}

test_unencrypted_copy_of_encrypted_image_fires if {
	fs := rule.findings with input as t.prepare(doc(true, false))
	count(fs) == 1
	some f in fs
	f.evidence.encrypted_snapshots == ["snap-0a"]
}

test_encrypted_copy_or_plain_source_do_not_fire if {
	count(rule.findings) == 0 with input as t.prepare(doc(true, true))
	count(rule.findings) == 0 with input as t.prepare(doc(false, false))
	unsaid := object.union(doc(true, false), {"proposed": [{"kind": "copy", "source": "flags", "image_id": "ami-0a", "region": t.region, "destination_region": "eu-west-1"}]})
	count(rule.findings) == 0 with input as t.prepare(unsaid)
}
