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

test_managed_by_in_evidence_and_remediation if {
	by_account := {"account_regions": [{"account": t.owner, "region": t.region, "snapshot_block_public_access": "unblocked", "snapshot_block_public_access_managed_by": "account"}]}
	some a in rule.findings with input as t.prepare(by_account)
	a.evidence.managed_by == "account"
	not contains(a.remediation, "declarative policy for EC2")
	by_policy := {"account_regions": [{"account": t.owner, "region": t.region, "snapshot_block_public_access": "unblocked", "snapshot_block_public_access_managed_by": "declarative-policy"}]}
	some p in rule.findings with input as t.prepare(by_policy)
	p.evidence.managed_by == "declarative-policy"
	contains(p.remediation, "declarative policy for EC2")
	unread := {"account_regions": [{"account": t.owner, "region": t.region, "snapshot_block_public_access": "unblocked"}]}
	some u in rule.findings with input as t.prepare(unread)
	u.evidence.managed_by == "unknown"
}
