package amiaudit.rules.snapshot.orphaned_test

import data.amiaudit.rules.snapshot.orphaned as rule
import data.amiaudit.testing as t

create_image(ami) := sprintf("Created by CreateImage(i-0123456789abcdef0) for %s from vol-0123456789abcdef0", [ami])

copied(ami) := sprintf("Copied for DestinationAmi %s from SourceAmi ami-0999 for SourceSnapshot snap-0999. Task created on 1,700,000,000,000.", [ami])

test_create_image_orphan_fires_medium if {
	doc := {"snapshots": [t.snapshot("snap-0a", {"description": create_image("ami-0deadbeef00000001")})]}
	fs := rule.findings with input as t.prepare(doc)
	count(fs) == 1
	some f in fs
	f.evidence.image_id == "ami-0deadbeef00000001"
	not f.severity
}

test_copy_orphan_shared_is_high if {
	doc := {"snapshots": [t.snapshot("snap-0a", {"description": copied("ami-0deadbeef00000001"), "create_volume_permissions": [{"user_id": t.member}]})]}
	fs := rule.findings with input as t.prepare(doc)
	some f in fs
	f.severity == "high"
	f.evidence.shared == true
}

test_tag_names_the_image if {
	doc := {"snapshots": [t.snapshot("snap-0a", {"tags": [{"key": "ImageId", "value": "ami-0deadbeef00000001"}]})]}
	count(rule.findings) == 1 with input as t.prepare(doc)
}

test_existing_image_is_not_orphaned if {
	doc := {
		"images": [t.image("ami-0beefbeef00000002", {"block_device_mappings": [t.bdm("snap-0a")]})],
		"snapshots": [t.snapshot("snap-0a", {"description": create_image("ami-0beefbeef00000002")})],
	}
	count(rule.findings) == 0 with input as t.prepare(doc)
}

test_image_in_another_region_does_not_count if {
	doc := {
		"images": [t.image("ami-0beefbeef00000002", {"region": "eu-west-1"})],
		"snapshots": [t.snapshot("snap-0a", {"description": create_image("ami-0beefbeef00000002")})],
	}
	count(rule.findings) == 1 with input as t.prepare(doc)
}

test_unreadable_images_suppress if {
	doc := {
		"snapshots": [t.snapshot("snap-0a", {"description": create_image("ami-0deadbeef00000001")})],
		"errors": [{"account": t.owner, "region": t.region, "service": "ec2", "action": "DescribeImages", "code": "UnauthorizedOperation", "message": "denied"}],
	}
	count(rule.findings) == 0 with input as t.prepare(doc)
}

test_plain_snapshot_is_not_orphaned if {
	doc := {"snapshots": [
		t.snapshot("snap-0a", {"description": "nightly backup of vol-0123"}),
		t.snapshot("snap-0b", {"description": "Auto-created snapshot for AMI ami-0deadbeef00000001"}),
	]}
	count(rule.findings) == 0 with input as t.prepare(doc)
}
