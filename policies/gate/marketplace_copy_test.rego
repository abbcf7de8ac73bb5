package amiaudit.rules.gate.marketplace_copy_test

import data.amiaudit.rules.gate.marketplace_copy as rule
import data.amiaudit.testing as t

doc(extra, copier) := {
	"images": [t.image("ami-0a", extra)],
	"proposed": [{"kind": "copy", "source": "flags", "image_id": "ami-0a", "region": t.region, "destination_region": t.region, "copying_account": copier}],
}

marketplace := {"product_codes": [{"id": "prodcode1", "type": "marketplace"}]}

windows := {"platform_details": "Windows", "usage_operation": "RunInstances:0002"}

test_cross_account_marketplace_copy_fires if {
	fs := rule.findings with input as t.prepare(doc(marketplace, t.member))
	count(fs) == 1
	some f in fs
	f.evidence.product_codes == ["prodcode1"]
	contains(f.message, "AWS refuses")
}

test_cross_account_windows_copy_fires if {
	fs := rule.findings with input as t.prepare(doc(windows, t.member))
	count(fs) == 1
	some f in fs
	f.evidence.usage_operation == "RunInstances:0002"
	contains(f.message, "platform Windows")
	contains(f.message, "AWS may refuse")
}

test_other_billed_platform_fires if {
	rhel := {"platform_details": "Red Hat Enterprise Linux", "usage_operation": "RunInstances:0010"}
	count(rule.findings) == 1 with input as t.prepare(doc(rhel, t.member))
}

test_own_copy_devpay_linux_or_no_code_do_not_fire if {
	count(rule.findings) == 0 with input as t.prepare(doc(marketplace, t.owner))
	count(rule.findings) == 0 with input as t.prepare(doc(windows, t.owner))
	count(rule.findings) == 0 with input as t.prepare(doc({"product_codes": [{"id": "dp1", "type": "devpay"}]}, t.member))
	count(rule.findings) == 0 with input as t.prepare(doc({"platform_details": "Linux/UNIX", "usage_operation": "RunInstances"}, t.member))
	count(rule.findings) == 0 with input as t.prepare(doc({}, t.member))
}
