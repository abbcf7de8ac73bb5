package amiaudit.rules.gate.refused_share_test

import data.amiaudit.rules.gate.refused_share as rule
import data.amiaudit.testing as t

doc(refused) := {
	"images": [t.image("ami-0a", {})],
	"proposed": [object.union({"kind": "launch-permission", "source": "flags", "image_id": "ami-0a", "region": t.region, "grantee": "all"}, refused)],
}

test_refused_share_fails_saying_why if {
	fs := rule.findings with input as t.prepare(doc({"refused": "an AMI with encrypted snapshots (snap-0a) cannot be made public"}))
	count(fs) == 1
	some f in fs
	startswith(f.message, "AWS will refuse the proposed public share of AMI ami-0a")
	contains(f.message, "encrypted snapshots")
	not contains(f.message, "is public")
}

test_accepted_share_is_left_to_the_other_rules if {
	count(rule.findings) == 0 with input as t.prepare(doc({}))
}
