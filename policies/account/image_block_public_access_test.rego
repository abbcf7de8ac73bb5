package amiaudit.rules.account.image_block_public_access_test

import data.amiaudit.rules.account.image_block_public_access as rule
import data.amiaudit.testing as t

doc(state) := {"account_regions": [{"account": t.owner, "region": t.region, "image_block_public_access": state}]}

test_unblocked_fires if {
	fs := rule.findings with input as t.prepare(doc("unblocked"))
	count(fs) == 1
	some f in fs
	f.resource.type == "account-region"
	f.resource.arn == "arn:aws:ec2:us-east-1:111111111111:account-region"
}

test_blocked_or_unknown_does_not_fire if {
	count(rule.findings) == 0 with input as t.prepare(doc("block-new-sharing"))
	count(rule.findings) == 0 with input as t.prepare(doc(null))
}
