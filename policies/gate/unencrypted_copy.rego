# METADATA
# title: Proposed copy would decrypt an encrypted image
# description: |
#   A proposed copy asks for an unencrypted copy (Encrypted false) of an AMI
#   with at least one encrypted snapshot. AWS cannot make an unencrypted copy
#   of an encrypted snapshot: the copy request fails, or, worse, a pipeline that
#   expects plaintext volumes breaks later.
# custom:
#   id: GATE-001
#   severity: high
#   fingerprint: [destination_region, address]
#   scope: region
#   remediation: |
#     Copy with encryption (aws ec2 copy-image --encrypted --kms-key-id KEY), with a
#     customer managed key that the copy's users can use.
#   references:
#     - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/CopyingAMIs.html#ami-copy-encryption
package amiaudit.rules.gate.unencrypted_copy

import data.amiaudit.lib.resources

findings contains f if {
	some c in input.proposed
	c.kind == "copy"
	c.encrypted == false
	img := input.index.images[sprintf("%s/%s", [c.region, c.image_id])]
	encrypted := [v.snapshot_id | some v in resources.volumes(img); v.encrypted]
	count(encrypted) > 0
	f := {
		"resource": resources.image(img),
		"message": sprintf("The proposed copy of AMI %s from %s to %s asks for an unencrypted copy, but its snapshot(s) %s are encrypted: AWS cannot decrypt on copy.", [img.id, img.region, c.destination_region, concat(", ", encrypted)]),
		"evidence": {"encrypted_snapshots": encrypted, "destination_region": c.destination_region, "proposed_change": c.source, "address": object.get(c, "address", "")},
	}
}
