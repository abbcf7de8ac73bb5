# METADATA
# title: Shared AMI is encrypted with an AWS managed key
# description: |
#   The AMI is shared and at least one of its snapshots is encrypted with an AWS
#   managed key (aws/ebs). AWS managed keys cannot be shared, so no grantee can
#   launch the AMI. AWS refuses most such shares today; the rule matters most in
#   gate and for older state.
# custom:
#   id: AMI-005
#   severity: high
#   fingerprint: [snapshot_id]
#   scope: region
#   remediation: |
#     Copy the AMI re-encrypting its snapshots with a customer managed key
#     (aws ec2 copy-image --encrypted --kms-key-id KEY), share that key with the
#     grantees, share the copy and deregister the old AMI.
#   references:
#     - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/sharingamis-explicit.html
#     - https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#aws-managed-key
package amiaudit.rules.ami.aws_managed_key

import data.amiaudit.lib.kms
import data.amiaudit.lib.resources

findings contains f if {
	some img in input.shared_images
	some v in resources.volumes(img)
	v.encrypted
	key := resources.key_of(v)
	kms.aws_managed(key)
	f := {
		"resource": resources.image(img),
		"message": sprintf("AMI %s in %s is shared, but its snapshot %s is encrypted with AWS managed key %s, which cannot be shared: no grantee can launch it.", [img.id, img.region, v.snapshot_id, key.arn]),
		"evidence": {"snapshot_id": v.snapshot_id, "kms_key_arn": key.arn, "grantees": [g.value | some g in resources.grantees(img)]},
	}
}
