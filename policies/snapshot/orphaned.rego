# METADATA
# title: Orphaned AMI snapshot
# description: |
#   The snapshot was made for an AMI (its description reads
#   "Created by CreateImage(…) for ami-…" or "Copied for DestinationAmi ami-…")
#   and nothing keeps it: no registered AMI in its region uses it — in any
#   state, available, pending, deprecated or disabled (a disabled AMI keeps its
#   snapshots) — the AMI it was made for is not registered there, and that AMI
#   is not in the Recycle Bin (a binned AMI can be restored with its snapshots
#   until its exit time). Tags are not evidence: image builders tag snapshots
#   with the base image they started from (Packer's SourceAMI), not with the AMI
#   the snapshot backs. Raised to high when the orphan is shared or public:
#   exposed data nobody is watching. Nothing is reported for an account-region
#   whose AMIs or Recycle Bin could not be read (SCAN-001 reports that).
# custom:
#   id: SNAP-003
#   severity: medium
#   fingerprint: [image_id]
#   scope: region
#   remediation: |
#     Check that nothing needs the data, then delete the snapshot
#     (aws ec2 delete-snapshot --snapshot-id SNAP), or at least remove its
#     createVolumePermission grants. Deregister AMIs with
#     aws ec2 deregister-image --image-id AMI --delete-associated-snapshots so
#     that no new orphans are left behind.
#   references:
#     - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/deregister-ami.html
#     - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeregisterImage.html
#     - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/disable-an-ami.html
#     - https://docs.aws.amazon.com/ebs/latest/userguide/recycle-bin.html
#     - https://docs.aws.amazon.com/ebs/latest/userguide/ebs-snapshot-lock.html
package amiaudit.rules.snapshot.orphaned

import data.amiaudit.lib.resources

findings contains f if {
	# Only the snapshots no registered AMI of their region uses: one list built
	# in Go (rules.Input) instead of a lookup per snapshot.
	some s in input.index.unused_snapshots
	some ami in amiaudit.image_references(s)

	# Each lookup key is built once per candidate.
	image_key := concat("/", [s.region, ami.id])
	not registered(image_key)
	binned := object.get(input.index.recycle_bin_images, image_key, {})
	not in_recycle_bin(binned)
	not resources.images_unreadable(s.account, s.region)
	failed := object.get(input.index.failed_actions, concat("/", [s.account, s.region]), [])
	not "ListImagesInRecycleBin" in failed
	exposed := count(s.create_volume_permissions) > 0
	lock := lock_words(s, failed)
	f := object.union(
		{
			"resource": resources.snapshot(s),
			"message": sprintf("Snapshot %s in %s was made for AMI %s (%s), which is neither registered in %s nor %s, and no registered AMI uses the snapshot%s%s.", [s.id, s.region, ami.id, ami.source, s.region, bin_words(binned), exposure_words[exposed], lock.message]),
			"evidence": object.union(
				{"image_id": ami.id, "found_in": ami.source, "shared": exposed, "lock_state": lock.state},
				bin_evidence(binned),
			),
			"remediation": sprintf("%s%s", [lock.remediation, base_remediation]),
		},
		raised[exposed],
	)
}

# DescribeImages may still list a just-deregistered AMI in state
# "deregistered"; it keeps nothing. Nothing is said for an account-region
# whose AMIs (DescribeImages) or Recycle Bin (ListImagesInRecycleBin) could
# not be read: the absence of the AMI there proves nothing.
registered(image_key) if {
	img := input.index.images[image_key]
	object.get(img, "state", "") != "deregistered"
}

# base_remediation is the METADATA remediation, which a lock note precedes.
base_remediation := [r |
	some link in rego.metadata.chain()
	r := link.annotations.custom.remediation
][0]

# A binned AMI ({} when the AMI is not in the Recycle Bin) can be restored,
# with its snapshots, until its exit time.
in_recycle_bin(binned) if {
	binned != {}
	not binned.exit_time
}

in_recycle_bin(binned) if time.parse_rfc3339_ns(binned.exit_time) > input.now_ns

# An AMI listed past its exit time has been deleted for good.
bin_words(binned) := sprintf("restorable (it left the Recycle Bin for good at %s)", [binned.exit_time]) if {
	binned != {}
} else := "in the Recycle Bin"

bin_evidence(binned) := {"recycle_bin_exit_time": exit_time} if {
	binned != {}
	exit_time := binned.exit_time
} else := {}

exposure_words := {true: ", and the snapshot is still shared", false: ""}

raised := {true: {"severity": "high"}, false: {}}

# lock_words says whether a snapshot lock blocks deletion
# (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-snapshot-lock.html):
# compliance and compliance-cooloff locks block it for everyone, governance
# locks for anyone without ec2:UnlockSnapshot; an expired lock does not.
lock_words(s, failed) := {
	"state": s.lock.state,
	"message": sprintf("; it is locked in %s mode until %s, so it cannot be deleted before then", [s.lock.state, object.get(s.lock, "expires_on", "further notice")]),
	"remediation": sprintf("Deletion is blocked: the snapshot is locked in %s mode until %s (%s). ", [s.lock.state, object.get(s.lock, "expires_on", "further notice"), unlock_words[s.lock.state]]),
} if {
	s.lock.state in {"compliance", "compliance-cooloff", "governance"}
} else := {
	"state": "unknown",
	"message": "; whether a snapshot lock blocks its deletion is unknown (DescribeLockedSnapshots could not be read)",
	"remediation": "Whether a snapshot lock blocks deletion could not be read (DescribeLockedSnapshots failed): check with aws ec2 describe-locked-snapshots first. ",
} if {
	"DescribeLockedSnapshots" in failed
} else := {"state": object.get(object.get(s, "lock", {}), "state", "none"), "message": "", "remediation": ""}

unlock_words := {
	"compliance": "no one can unlock it before it expires",
	"compliance-cooloff": "it can still be unlocked during the cooling-off period (aws ec2 unlock-snapshot)",
	"governance": "a user allowed ec2:UnlockSnapshot can unlock it first",
}
