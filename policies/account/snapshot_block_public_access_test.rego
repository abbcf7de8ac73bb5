package amiaudit.rules.account.snapshot_block_public_access_test

import data.amiaudit.rules.account.snapshot_block_public_access as rule
import data.amiaudit.testing as t

doc(state) := {"account_regions": [{"account": t.owner, "region": t.region, "snapshot_block_public_access": state}]}

severity(state) := f.severity if {
	some f in rule.findings with input as t.prepare(doc(state))
}

test_severity_by_state if {
	severity("unblocked") == "high"
	severity("block-new-sharing") == "medium"
	count(rule.findings) == 0 with input as t.prepare(doc("block-all-sharing"))
	count(rule.findings) == 0 with input as t.prepare(doc(null))
}
