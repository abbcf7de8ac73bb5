# METADATA
# title: Orphaned AMI snapshot
# description: |
#   The snapshot was made for an AMI (its description reads
#   "Created by CreateImage(…) for ami-…" or "Copied for DestinationAmi ami-…",
#   or a tag names the AMI) and that AMI no longer exists in the snapshot's
#   region: deregistering an AMI leaves its snapshots behind, in every region it
#   was copied to. Raised to high when the orphan is shared or public: exposed
#   data nobody is watching. Nothing is reported for an account-region whose AMIs
#   could not be listed.
# custom:
#   id: SNAP-003
#   severity: medium
#   remediation: |
#     Check that nothing needs the data, then delete the snapshot
#     (aws ec2 delete-snapshot --snapshot-id SNAP), or at least remove its
#     createVolumePermission grants.
#   references:
#     - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/deregister-ami.html
package amiaudit.rules.snapshot.orphaned

import data.amiaudit.lib.resources

# Tag keys that image pipelines use to name the AMI a snapshot belongs to.
image_tag_keys := {"ami", "ami-id", "ami_id", "amiid", "imageid", "image-id", "image_id", "sourceami", "destinationami"}

findings contains f if {
	some s in input.snapshots
	some ami in amis_of(s)
	not resources.image_exists(s.region, ami.id)
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

# amis_of lists the AMIs a snapshot names, with where the name was found.
amis_of(s) := {{"id": id, "source": "description"} |
	some id in description_amis(object.get(s, "description", ""))
} | {{"id": id, "source": sprintf("tag %s", [tag.key])} |
	some tag in object.get(s, "tags", [])
	some id in tag_amis(tag)
}

description_amis(d) := {m[1] |
	some m in regex.find_all_string_submatch_n(`(?:Created by CreateImage\([^)]*\) for|Copied for DestinationAmi) (ami-[0-9a-f]+)\b`, d, -1)
}

tag_amis(tag) := {tag.value} if {
	lower(tag.key) in image_tag_keys
	regex.match(`^ami-[0-9a-f]+$`, tag.value)
} else := description_amis(tag.value)
