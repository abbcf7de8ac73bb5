package amiaudit.rules.gate.unencrypted_copy_test

import data.amiaudit.rules.gate.unencrypted_copy as rule
import data.amiaudit.testing as t

default_key := "arn:aws:kms:eu-west-1:111111111111:key/default"

# copy_volumes as the gate models them: apply (gate/overlay.go) fills them
# in through copyVolumes (gate/copy.go).
doc(source_encrypted, asked) := {
	"images": [t.image("ami-0a", {"block_device_mappings": [t.bdm("snap-0a")]})],
	"snapshots": [t.snapshot("snap-0a", {"encrypted": source_encrypted, "kms_key_id": t.key_arn("k1")})],
	"proposed": [object.union(
		{
			"kind": "copy", "source": "flags", "image_id": "ami-0a", "region": t.region, "destination_region": "eu-west-1",
			"copy_volumes": [{"snapshot_id": "snap-0a", "source_encrypted": source_encrypted, "encrypted": true, "kms_key_id": default_key, "why": "the copying account's default EBS key in eu-west-1"}],
		},
		asked,
	)],
}

test_explicit_unencrypted_copy_of_encrypted_image_fires_and_names_the_key if {
	fs := rule.findings with input as t.prepare(doc(true, {"encrypted": false}))
	count(fs) == 1
	some f in fs
	f.evidence.encrypted_snapshots == ["snap-0a"]
	f.evidence.copy_keys == {"snap-0a": default_key}
	contains(f.message, "AWS keeps the copy of an encrypted snapshot encrypted")
	contains(f.message, default_key)
}

test_default_encrypted_or_plain_source_do_not_fire if {
	count(rule.findings) == 0 with input as t.prepare(doc(true, {}))
	count(rule.findings) == 0 with input as t.prepare(doc(true, {"encrypted": true}))
	count(rule.findings) == 0 with input as t.prepare(doc(false, {"encrypted": false}))
}
