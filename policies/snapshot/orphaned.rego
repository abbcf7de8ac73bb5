# METADATA
# title: Orphaned AMI snapshot
# description: |
#   The snapshot was made for an AMI (its description reads
#   "Created by CreateImage(…) for ami-…" or "Copied for DestinationAmi ami-…",
#   or a tag names the AMI: ami-id, ImageId, SourceAMI and the like) and that AMI no longer exists in the snapshot's
#   region: deregistering an AMI leaves its snapshots behind, in every region it
#   was copied to. Raised to high when the orphan is shared or public: exposed
#   data nobody is watching. Nothing is reported for an account-region whose AMIs
#   could not be listed.
# custom:
#   id: SNAP-003
#   severity: medium
#   fingerprint: [image_id]
#   scope: region
#   remediation: |
#     Check that nothing needs the data, then delete the snapshot
#     (aws ec2 delete-snapshot --snapshot-id SNAP), or at least remove its
#     createVolumePermission grants.
#   references:
#     - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/deregister-ami.html
package amiaudit.rules.snapshot.orphaned

import data.amiaudit.lib.resources

findings contains f if {
	some s in input.snapshots
	some ami in amiaudit.image_references(s)
	not input.index.images[sprintf("%s/%s", [s.region, ami.id])]
	not resources.images_unreadable(s.account, s.region)
	exposed := count(s.create_volume_permissions) > 0
	f := object.union(
		{
			"resource": resources.snapshot(s),
			"message": sprintf("Snapshot %s in %s was made for AMI %s (%s), which no longer exists in %s%s.", [s.id, s.region, ami.id, ami.source, s.region, exposure_words[exposed]]),
			"evidence": {"image_id": ami.id, "found_in": ami.source, "shared": exposed},
		},
		raised[exposed],
	)
}

exposure_words := {true: ", and the snapshot is still shared", false: ""}

raised := {true: {"severity": "high"}, false: {}}
