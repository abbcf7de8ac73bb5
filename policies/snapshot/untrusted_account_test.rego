package amiaudit.rules.snapshot.untrusted_account_test

import data.amiaudit.rules.snapshot.untrusted_account as rule
import data.amiaudit.testing as t

doc(cvp) := {"organization": t.organization, "snapshots": [t.snapshot("snap-0a", {"create_volume_permissions": cvp})]}

test_untrusted_account_fires if {
	fs := rule.findings with input as t.prepare(doc([{"user_id": t.outsider}, {"user_id": t.member}]))
	count(fs) == 1
	some f in fs
	f.evidence.grantee == t.outsider
}

test_trusted_and_public_do_not_fire if {
	count(rule.findings) == 0 with input as t.prepare(doc([{"user_id": t.member}, {"group": "all"}]))
}
