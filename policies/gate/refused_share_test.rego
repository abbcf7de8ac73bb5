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

test_share_of_a_disabled_image_is_refused if {
	d := {
		"images": [t.image("ami-0a", {"state": "disabled"})],
		"proposed": [{"kind": "launch-permission", "source": "flags", "image_id": "ami-0a", "region": t.region, "grantee": t.member, "refused": "a disabled AMI can't be shared"}],
	}
	some f in rule.findings with input as t.prepare(d)
	startswith(f.message, sprintf("AWS will refuse the proposed share of AMI ami-0a in us-east-1 with %s: a disabled AMI", [t.member]))
}

test_accepted_share_is_left_to_the_other_rules if {
	count(rule.findings) == 0 with input as t.prepare(doc({}))
}

test_refused_snapshot_share_names_the_snapshot if {
	d := {
		"snapshots": [t.snapshot("snap-0a", {"encrypted": true})],
		"proposed": [{"kind": "create-volume-permission", "source": "flags", "snapshot_id": "snap-0a", "region": t.region, "grantee": "all", "refused": "encrypted snapshot snap-0a cannot be made public"}],
	}
	fs := rule.findings with input as t.prepare(d)
	count(fs) == 1
	some f in fs
	f.resource.id == "snap-0a"
	startswith(f.message, "AWS will refuse the proposed public createVolumePermission on snap-0a")
}

test_refused_snapshot_share_from_flags_names_the_image if {
	d := {
		"images": [t.image("ami-0a", {})],
		"proposed": [{"kind": "create-volume-permission", "source": "flags", "image_id": "ami-0a", "region": t.region, "grantee": "all", "refused": "snapshot block public access is block-all-sharing"}],
	}
	some f in rule.findings with input as t.prepare(d)
	f.resource.id == "ami-0a"
}
