# METADATA
# title: Proposed copy asks to decrypt an encrypted image
# description: |
#   A proposed copy explicitly asks for an unencrypted copy (--encrypted=false,
#   or encrypted = false written in the Terraform configuration; the provider's
#   default is not a request) of an AMI with at least one encrypted snapshot.
#   AWS cannot decrypt on copy: it keeps such a copy encrypted, with the key the
#   CopyImage rules pick (named in the finding), so a pipeline that expects
#   plaintext volumes, or a share of the copy judged on another key, breaks
#   later.
# custom:
#   id: GATE-001
#   severity: high
#   changes: [copy]
#   fingerprint: [destination_region, address]
#   scope: region
#   remediation: |
#     Drop the unencrypted request and copy with encryption, naming a customer
#     managed key that the copy's users can use
#     (aws ec2 copy-image --encrypted --kms-key-id KEY).
#   references:
#     - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CopyImage.html
#     - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/AMIEncryption.html
package amiaudit.rules.gate.unencrypted_copy

import data.amiaudit.lib.resources

findings contains f if {
	some c in input.proposed
	c.kind == "copy"
	c.encrypted == false
	img := input.index.images[sprintf("%s/%s", [c.region, c.image_id])]
	kept := [v | some v in object.get(c, "copy_volumes", []); v.source_encrypted]
	count(kept) > 0
	f := {
		"resource": resources.image(img),
		"message": sprintf("The proposed copy of AMI %s from %s to %s asks for an unencrypted copy, but AWS keeps the copy of an encrypted snapshot encrypted: %s.", [img.id, img.region, c.destination_region, concat("; ", [describe(v) | some v in kept])]),
		"evidence": {
			"encrypted_snapshots": [v.snapshot_id | some v in kept],
			"copy_keys": {v.snapshot_id: object.get(v, "kms_key_id", "") | some v in kept},
			"destination_region": c.destination_region,
			"proposed_change": c.source,
			"address": object.get(c, "address", ""),
		},
	}
}

describe(v) := sprintf("%s will be encrypted with %s (%s)", [v.snapshot_id, v.kms_key_id, v.why]) if v.kms_key_id

else := sprintf("%s will be encrypted (%s)", [v.snapshot_id, v.why])
