package amiaudit.rules.snapshot.public_test

import data.amiaudit.rules.snapshot.public as rule
import data.amiaudit.testing as t

doc(state) := {
	"account_regions": [{"account": t.owner, "region": t.region, "snapshot_block_public_access": state}],
	"snapshots": [
		t.snapshot("snap-0a", {"create_volume_permissions": [{"group": "all"}]}),
		t.snapshot("snap-0b", {"create_volume_permissions": [{"user_id": t.member}]}),
		t.snapshot("snap-0c", {}),
	],
}

test_public_snapshot_fires_critical if {
	fs := rule.findings with input as t.prepare(doc("unblocked"))
	count(fs) == 1
	some f in fs
	f.resource.id == "snap-0a"
	not f.severity
}

test_block_all_sharing_lowers_to_low if {
	fs := rule.findings with input as t.prepare(doc("block-all-sharing"))
	count(fs) == 1
	some f in fs
	f.severity == "low"
	contains(f.message, "moment the block is lifted")
}

test_unknown_block_state_stays_critical if {
	fs := rule.findings with input as t.prepare(doc(null))
	some f in fs
	not f.severity
	f.evidence.snapshot_block_public_access == "unknown"
}
