# METADATA
# title: Proposed share that AWS will refuse
# description: |
#   A proposed share that AWS refuses outright. A disabled AMI cannot be
#   shared at all. An AMI (launch permission group all) cannot be made public
#   when it has encrypted
#   snapshots or a product code, or when image block public access is
#   block-new-sharing in its account-region; a snapshot (createVolumePermission
#   group all) cannot when it is encrypted, or when snapshot block public
#   access is block-new-sharing or block-all-sharing. The call would fail, so
#   the resource would stay private; the pipeline step that makes it is broken
#   and fails the gate. The share is not applied to the state the other rules
#   judge.
# custom:
#   id: GATE-004
#   severity: high
#   changes: [launch-permission, create-volume-permission]
#   scope: region
#   remediation: |
#     Share with the accounts, organization or OUs that need the image instead
#     of making it public (an encrypted AMI or snapshot, or one with a product
#     code, can only be shared that way); if it must be public, rebuild it
#     unencrypted and without a product code, and have image or snapshot block
#     public access lifted for the account-region first. Enable a disabled AMI
#     (aws ec2 enable-image) before sharing it.
#   references:
#     - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/sharingamis-intro.html
#     - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DisableImage.html
#     - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/block-public-access-to-amis.html
#     - https://docs.aws.amazon.com/ebs/latest/userguide/block-public-access-snapshots.html
#     - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifySnapshotAttribute.html
package amiaudit.rules.gate.refused_share

import data.amiaudit.lib.resources

findings contains f if {
	some c in input.proposed
	c.kind == "launch-permission"
	c.refused
	img := input.index.images[sprintf("%s/%s", [c.region, c.image_id])]
	f := {
		"resource": resources.image(img),
		"message": sprintf("AWS will refuse the proposed %s of AMI %s in %s%s: %s.", [share_words(c.grantee), img.id, img.region, grantee_words(c.grantee), c.refused]),
		"evidence": {"refused": c.refused, "grantee": c.grantee, "proposed_change": c.source, "address": object.get(c, "address", "")},
	}
}

findings contains f if {
	some c in input.proposed
	c.kind == "create-volume-permission"
	c.refused
	resource := refused_resource(c)
	f := {
		"resource": resource,
		"message": sprintf("AWS will refuse the proposed public createVolumePermission on %s in %s: %s.", [resource.id, c.region, c.refused]),
		"evidence": {"refused": c.refused, "grantee": c.grantee, "proposed_change": c.source, "address": object.get(c, "address", "")},
	}
}

share_words(grantee) := "public share" if grantee == "all"

else := "share"

grantee_words(grantee) := "" if grantee == "all"

else := sprintf(" with %s", [grantee])

refused_resource(c) := resources.snapshot(s) if {
	s := input.index.snapshots[sprintf("%s/%s", [c.region, c.snapshot_id])]
} else := resources.image(img) if {
	img := input.index.images[sprintf("%s/%s", [c.region, c.image_id])]
}
