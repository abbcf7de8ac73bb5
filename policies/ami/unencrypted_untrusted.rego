# METADATA
# title: AMI with unencrypted snapshots shared with an untrusted principal
# description: |
#   The AMI is shared with an untrusted principal (an account, organization or
#   OU outside the trust model, or the public) and at least one of its snapshots
#   is unencrypted. Anyone granted can copy the data, and the owner cannot revoke
#   that access through a key.
# custom:
#   id: AMI-006
#   severity: medium
#   effect: data-exposure
#   fingerprint: [snapshot_id]
#   scope: region
#   remediation: |
#     Stop sharing with the untrusted principal, or copy the AMI encrypted with a
#     customer managed key (aws ec2 copy-image --encrypted --kms-key-id KEY) so
#     that access can be revoked by changing the key policy.
#   references:
#     - https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption.html
package amiaudit.rules.ami.unencrypted_untrusted

import data.amiaudit.lib.resources
import data.amiaudit.lib.trust

findings contains f if {
	some img in input.shared_images
	untrusted := {g.value |
		some g in resources.grantees(img)
		not trust.grantee_trusted(g)
	}
	count(untrusted) > 0
	some v in resources.volumes(img)
	not v.encrypted
	f := {
		"resource": resources.image(img),
		"message": sprintf("AMI %s in %s is shared with untrusted %s and its snapshot %s is unencrypted: they can copy the data beyond the owner's control.", [img.id, img.region, concat(", ", sort(untrusted)), v.snapshot_id]),
		"evidence": {"snapshot_id": v.snapshot_id, "untrusted_grantees": sort(untrusted)},
	}
}
