package amiaudit.rules.account.allowed_images_test

import data.amiaudit.rules.account.allowed_images as rule
import data.amiaudit.testing as t

doc(state) := {"account_regions": [{"account": t.owner, "region": t.region, "allowed_images": state}]}

severity(state) := f.severity if {
	some f in rule.findings with input as t.prepare(doc(state))
}

test_severity_by_state if {
	severity("disabled") == "low"
	severity("audit-mode") == "info"
	count(rule.findings) == 0 with input as t.prepare(doc("enabled"))
	count(rule.findings) == 0 with input as t.prepare(doc(null))
}
