package amiaudit.rules.gate.marketplace_copy_test

import data.amiaudit.rules.gate.marketplace_copy as rule
import data.amiaudit.testing as t

doc(codes, copier) := {
	"images": [t.image("ami-0a", {"product_codes": codes})],
	"proposed": [{"kind": "copy", "source": "flags", "image_id": "ami-0a", "region": t.region, "destination_region": t.region, "copying_account": copier}],
}

test_cross_account_marketplace_copy_fires if {
	fs := rule.findings with input as t.prepare(doc([{"id": "prodcode1", "type": "marketplace"}], t.member))
	count(fs) == 1
	some f in fs
	f.evidence.product_codes == ["prodcode1"]
}

test_own_copy_devpay_or_no_code_do_not_fire if {
	count(rule.findings) == 0 with input as t.prepare(doc([{"id": "prodcode1", "type": "marketplace"}], t.owner))
	count(rule.findings) == 0 with input as t.prepare(doc([{"id": "dp1", "type": "devpay"}], t.member))
	count(rule.findings) == 0 with input as t.prepare(doc([], t.member))
}
