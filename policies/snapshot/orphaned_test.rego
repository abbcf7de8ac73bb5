package amiaudit.rules.snapshot.orphaned_test

import data.amiaudit.rules.snapshot.orphaned as rule
import data.amiaudit.testing as t

create_image(ami) := sprintf("Created by CreateImage(i-0123456789abcdef0) for %s from vol-0123456789abcdef0", [ami])

copied(ami) := sprintf("Copied for DestinationAmi %s from SourceAmi ami-0999 for SourceSnapshot snap-0999. Task created on 1,700,000,000,000.", [ami])

gone := "ami-0deadbeef00000001"

orphan := t.snapshot("snap-0a", {"description": create_image(gone)})

test_create_image_orphan_fires_medium if {
	fs := rule.findings with input as t.prepare({"snapshots": [orphan]})
	count(fs) == 1
	some f in fs
	f.evidence.image_id == gone
	f.evidence.lock_state == "none"
	not f.severity
	contains(f.message, "neither registered in us-east-1 nor in the Recycle Bin")
	contains(f.remediation, "--delete-associated-snapshots")
}

test_copy_orphan_shared_is_high if {
	doc := {"snapshots": [t.snapshot("snap-0a", {"description": copied(gone), "create_volume_permissions": [{"user_id": t.member}]})]}
	fs := rule.findings with input as t.prepare(doc)
	some f in fs
	f.severity == "high"
	f.evidence.shared == true
}

# Packer tags the snapshot with the base image it built from: not evidence.
test_source_image_tags_are_not_evidence if {
	doc := {"snapshots": [
		t.snapshot("snap-0a", {"description": "packer build", "tags": [{"key": "SourceAMI", "value": gone}]}),
		t.snapshot("snap-0b", {"tags": [{"key": "source_ami", "value": gone}, {"key": "ImageId", "value": gone}]}),
	]}
	count(rule.findings) == 0 with input as t.prepare(doc)
}

# The description names a deregistered AMI, but a registered AMI (made from the
# snapshot later) uses it: deleting it would fail. ("You cannot delete a
# snapshot of the root device of an EBS volume used by a registered AMI":
# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSnapshot.html)
test_snapshot_backing_a_registered_image_is_not_orphaned if {
	doc := {
		"images": [t.image("ami-0beefbeef00000002", {"block_device_mappings": [t.bdm("snap-0a")]})],
		"snapshots": [orphan],
	}
	count(rule.findings) == 0 with input as t.prepare(doc)
}

# A disabled AMI is still registered and keeps its snapshots:
# https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/disable-an-ami.html
test_disabled_image_keeps_its_snapshots if {
	doc := {
		"images": [t.image(gone, {"state": "disabled", "block_device_mappings": [t.bdm("snap-0a")]})],
		"snapshots": [orphan],
	}
	count(rule.findings) == 0 with input as t.prepare(doc)
}

# DescribeImages may list a just-deregistered AMI (state "deregistered"); it
# is no longer registered, and deregistering leaves its snapshots behind:
# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeregisterImage.html
test_image_listed_as_deregistered_keeps_nothing if {
	doc := {
		"images": [t.image(gone, {"state": "deregistered", "block_device_mappings": [t.bdm("snap-0a")]})],
		"snapshots": [orphan],
	}
	count(rule.findings) == 1 with input as t.prepare(doc)
}

test_registered_image_named_by_description_is_not_gone if {
	doc := {"images": [t.image(gone, {})], "snapshots": [orphan]}
	count(rule.findings) == 0 with input as t.prepare(doc)
}

# An AMI alive in another region does not keep this region's snapshot, and the
# message does not say the AMI "no longer exists".
test_image_in_another_region_does_not_count if {
	doc := {
		"images": [t.image(gone, {"region": "eu-west-1"})],
		"snapshots": [orphan],
	}
	fs := rule.findings with input as t.prepare(doc)
	count(fs) == 1
	some f in fs
	not contains(f.message, "no longer exists")
}

binned(exit) := {"id": gone, "account": t.owner, "region": t.region, "exit_time": exit}

test_binned_image_before_exit_is_not_orphaned if {
	doc := {"snapshots": [orphan], "recycle_bin_images": [binned("2026-06-08T00:00:00Z")]}
	count(rule.findings) == 0 with input as t.prepare(doc)
}

test_binned_image_after_exit_is_orphaned if {
	doc := {"snapshots": [orphan], "recycle_bin_images": [binned("2026-05-31T00:00:00Z")]}
	fs := rule.findings with input as t.prepare(doc)
	count(fs) == 1
	some f in fs
	f.evidence.recycle_bin_exit_time == "2026-05-31T00:00:00Z"
	contains(f.message, "left the Recycle Bin for good")
}

test_binned_image_in_another_region_does_not_count if {
	doc := {"snapshots": [orphan], "recycle_bin_images": [object.union(binned("2026-06-08T00:00:00Z"), {"region": "eu-west-1"})]}
	count(rule.findings) == 1 with input as t.prepare(doc)
}

test_compliance_lock_blocks_deletion if {
	doc := {"snapshots": [object.union(orphan, {"lock": {"state": "compliance", "expires_on": "2026-07-01T00:00:00Z"}})]}
	fs := rule.findings with input as t.prepare(doc)
	some f in fs
	f.evidence.lock_state == "compliance"
	contains(f.message, "cannot be deleted before then")
	startswith(f.remediation, "Deletion is blocked: the snapshot is locked in compliance mode until 2026-07-01T00:00:00Z (no one can unlock it")
}

test_expired_lock_does_not_block if {
	doc := {"snapshots": [object.union(orphan, {"lock": {"state": "expired"}})]}
	fs := rule.findings with input as t.prepare(doc)
	some f in fs
	f.evidence.lock_state == "expired"
	not contains(f.remediation, "blocked")
}

test_unreadable_locks_are_said if {
	doc := {
		"snapshots": [orphan],
		"errors": [{"account": t.owner, "region": t.region, "service": "ec2", "action": "DescribeLockedSnapshots", "code": "UnauthorizedOperation", "message": "denied"}],
	}
	fs := rule.findings with input as t.prepare(doc)
	some f in fs
	f.evidence.lock_state == "unknown"
}

failed(action) := {
	"snapshots": [orphan],
	"errors": [{"account": t.owner, "region": t.region, "service": "ec2", "action": action, "code": "UnauthorizedOperation", "message": "denied"}],
}

test_unreadable_images_or_recycle_bin_suppress if {
	count(rule.findings) == 0 with input as t.prepare(failed("DescribeImages"))
	count(rule.findings) == 0 with input as t.prepare(failed("ListImagesInRecycleBin"))
}

test_plain_snapshot_is_not_orphaned if {
	doc := {"snapshots": [
		t.snapshot("snap-0a", {"description": "nightly backup of vol-0123"}),
		t.snapshot("snap-0b", {"description": "Auto-created snapshot for AMI ami-0deadbeef00000001"}),
	]}
	count(rule.findings) == 0 with input as t.prepare(doc)
}
