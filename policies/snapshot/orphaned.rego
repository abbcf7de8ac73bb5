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
	not registered(s.region, ami.id)
	not in_recycle_bin(s.region, ami.id)
	not resources.images_unreadable(s.account, s.region)
	not recycle_bin_unreadable(s.account, s.region)
	exposed := count(s.create_volume_permissions) > 0
	lock := lock_words(s)
	f := object.union(
		{
			"resource": resources.snapshot(s),
			"message": sprintf("Snapshot %s in %s was made for AMI %s (%s), which is neither registered in %s nor %s, and no registered AMI uses the snapshot%s%s.", [s.id, s.region, ami.id, ami.source, s.region, bin_words(s.region, ami.id), exposure_words[exposed], lock.message]),
			"evidence": object.union(
				{"image_id": ami.id, "found_in": ami.source, "shared": exposed, "lock_state": lock.state},
				bin_evidence(s.region, ami.id),
			),
			"remediation": sprintf("%s%s", [lock.remediation, base_remediation]),
		},
		raised[exposed],
	)
}

# DescribeImages may still list a just-deregistered AMI in state
# "deregistered"; it keeps nothing.
registered(region, id) if {
	img := input.index.images[sprintf("%s/%s", [region, id])]
	object.get(img, "state", "") != "deregistered"
}

# base_remediation is the METADATA remediation, which a lock note precedes.
base_remediation := [r |
	some link in rego.metadata.chain()
	r := link.annotations.custom.remediation
][0]

# A binned AMI can be restored, with its snapshots, until its exit time.
in_recycle_bin(region, id) if {
	b := input.index.recycle_bin_images[sprintf("%s/%s", [region, id])]
	not b.exit_time
}

in_recycle_bin(region, id) if {
	b := input.index.recycle_bin_images[sprintf("%s/%s", [region, id])]
	time.parse_rfc3339_ns(b.exit_time) > input.now_ns
}

recycle_bin_unreadable(account, region) if "ListImagesInRecycleBin" in input.index.failed_actions[sprintf("%s/%s", [account, region])]

# An AMI listed past its exit time has been deleted for good.
bin_words(region, id) := sprintf("restorable (it left the Recycle Bin for good at %s)", [b.exit_time]) if {
	b := input.index.recycle_bin_images[sprintf("%s/%s", [region, id])]
} else := "in the Recycle Bin"

bin_evidence(region, id) := {"recycle_bin_exit_time": b.exit_time} if {
	b := input.index.recycle_bin_images[sprintf("%s/%s", [region, id])]
} else := {}

exposure_words := {true: ", and the snapshot is still shared", false: ""}

raised := {true: {"severity": "high"}, false: {}}

# lock_words says whether a snapshot lock blocks deletion
# (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-snapshot-lock.html):
# compliance and compliance-cooloff locks block it for everyone, governance
# locks for anyone without ec2:UnlockSnapshot; an expired lock does not.
lock_words(s) := {
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
	"DescribeLockedSnapshots" in input.index.failed_actions[sprintf("%s/%s", [s.account, s.region])]
} else := {"state": object.get(object.get(s, "lock", {}), "state", "none"), "message": "", "remediation": ""}

unlock_words := {
	"compliance": "no one can unlock it before it expires",
	"compliance-cooloff": "it can still be unlocked during the cooling-off period (aws ec2 unlock-snapshot)",
	"governance": "a user allowed ec2:UnlockSnapshot can unlock it first",
}
