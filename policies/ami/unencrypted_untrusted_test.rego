package amiaudit.rules.ami.unencrypted_untrusted_test

import data.amiaudit.rules.ami.unencrypted_untrusted as rule
import data.amiaudit.testing as t

doc(perms, snap) := {
	"organization": t.organization,
	"images": [t.image("ami-0a", {"launch_permissions": perms, "block_device_mappings": [t.bdm("snap-0a")]})],
	"snapshots": [snap],
}

test_outsider_and_unencrypted_fires if {
	fs := rule.findings with input as t.prepare(doc([{"user_id": t.outsider}], t.snapshot("snap-0a", {})))
	count(fs) == 1
	some f in fs
	f.evidence.untrusted_grantees == [t.outsider]
}

test_public_counts_as_untrusted if {
	count(rule.findings) == 1 with input as t.prepare(doc([{"group": "all"}], t.snapshot("snap-0a", {})))
}

test_trusted_share_or_encrypted_does_not_fire if {
	count(rule.findings) == 0 with input as t.prepare(doc([{"user_id": t.member}], t.snapshot("snap-0a", {})))
	enc := t.snapshot("snap-0a", {"encrypted": true, "kms_key_id": t.key_arn("k1")})
	count(rule.findings) == 0 with input as t.prepare(doc([{"user_id": t.outsider}], enc))
}
