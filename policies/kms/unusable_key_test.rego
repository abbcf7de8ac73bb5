package amiaudit.rules.kms.unusable_key_test

import data.amiaudit.rules.kms.unusable_key as rule
import data.amiaudit.testing as t

doc(state) := {
	"images": [t.image("ami-0a", {"block_device_mappings": [t.bdm("snap-0a")]})],
	"snapshots": [t.snapshot("snap-0a", {"encrypted": true, "kms_key_id": t.key_arn("k1")})],
	"keys": [t.key("k1", {"key_state": state}), t.key("k2", {"key_state": "PendingDeletion"})],
}

test_disabled_used_key_fires if {
	fs := rule.findings with input as t.prepare(doc("Disabled"))
	count(fs) == 1
	some f in fs
	f.resource.id == "k1"
	f.evidence.used_by == {"images": ["ami-0a"], "snapshots": ["snap-0a"]}
}

test_pending_deletion_fires if {
	count(rule.findings) == 1 with input as t.prepare(doc("PendingDeletion"))
}

test_enabled_or_unused_does_not_fire if {
	count(rule.findings) == 0 with input as t.prepare(doc("Enabled"))
}
