package amiaudit.rules.ami.snapshot_permission_mismatch_test

import data.amiaudit.rules.ami.snapshot_permission_mismatch as rule
import data.amiaudit.testing as t

doc(image_perms, cvp) := {
	"organization": t.organization,
	"images": [t.image("ami-0a", {"launch_permissions": image_perms, "block_device_mappings": [t.bdm("snap-0a")]})],
	"snapshots": [t.snapshot("snap-0a", {"create_volume_permissions": cvp})],
}

test_grant_to_account_image_is_not_shared_with_fires if {
	fs := rule.findings with input as t.prepare(doc([], [{"user_id": t.member}]))
	count(fs) == 1
	some f in fs
	f.resource.id == "ami-0a"
	f.evidence.reason == "which the AMI is not shared with"
}

test_grant_to_untrusted_account_fires_even_if_image_shared if {
	fs := rule.findings with input as t.prepare(doc([{"user_id": t.outsider}], [{"user_id": t.outsider}]))
	some f in fs
	f.evidence.reason == "which is not trusted"
}

test_public_snapshot_of_private_image_fires if {
	fs := rule.findings with input as t.prepare(doc([], [{"group": "all"}]))
	some f in fs
	f.evidence.grantee == "all"
}

test_grant_matching_image_share_does_not_fire if {
	count(rule.findings) == 0 with input as t.prepare(doc([{"user_id": t.member}], [{"user_id": t.member}]))
}

test_grant_to_member_covered_by_org_share_does_not_fire if {
	count(rule.findings) == 0 with input as t.prepare(doc([{"organization_arn": t.org_arn}], [{"user_id": t.member}]))
	count(rule.findings) == 0 with input as t.prepare(doc([{"organizational_unit_arn": t.ou_arn}], [{"user_id": t.member}]))
}

test_snapshot_of_no_image_is_not_this_rule if {
	d := {"snapshots": [t.snapshot("snap-0b", {"create_volume_permissions": [{"user_id": t.outsider}]})]}
	count(rule.findings) == 0 with input as t.prepare(d)
}

# Why (issue 9): an OU share covers the accounts of every OU below it, so an
# account in a child OU that already has the AMI is not flagged.
test_member_of_child_ou_is_covered_by_parent_ou_share if {
	d := object.union(doc([{"organizational_unit_arn": t.ou_arn}], [{"user_id": t.nested_member}]), {"organization": t.nested_organization})
	count(rule.findings) == 0 with input as t.prepare(d)
}

test_member_of_parent_ou_is_not_covered_by_child_ou_share if {
	d := object.union(doc([{"organizational_unit_arn": t.child_ou_arn}], [{"user_id": t.member}]), {"organization": t.nested_organization})
	fs := rule.findings with input as t.prepare(d)
	some f in fs
	f.evidence.reason == "which the AMI is not shared with"
}

test_unknown_place_in_tree_says_so if {
	org := object.union(t.nested_organization, {"accounts": [{"id": t.owner, "parent_ou": "r-ab12"}, {"id": t.nested_member, "parent_ou": "ou-ab12-unlisted1"}]})
	d := object.union(doc([{"organizational_unit_arn": t.ou_arn}], [{"user_id": t.nested_member}]), {"organization": org})
	fs := rule.findings with input as t.prepare(d)
	some f in fs
	contains(f.evidence.reason, "may not be shared with")
}
