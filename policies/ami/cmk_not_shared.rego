# METADATA
# title: Shared AMI's customer managed key is not shared with its grantees
# description: |
#   The AMI is shared with accounts, an organization or an OU, and at least one
#   of its EBS snapshots is encrypted with a customer managed KMS key whose key
#   policy and grants do not let every grantee use it for launch. Launching from
#   encrypted snapshots needs kms:CreateGrant, kms:Decrypt, kms:DescribeKey,
#   kms:GenerateDataKeyWithoutPlaintext and kms:ReEncrypt* (From and To) on the
#   key; wildcards such as kms:* count, an organization or OU grantee is covered
#   by a statement for "*" conditioned on its aws:PrincipalOrgID (or an
#   aws:PrincipalOrgPaths that holds it), and an unconditional Deny takes an
#   action away. The share is broken: the grantee cannot launch. A key whose
#   policy could not be read is not judged (SCAN-001 reports the gap).
# custom:
#   id: AMI-004
#   severity: high
#   scope: region
#   remediation: |
#     Add a key policy statement (or a grant) that lets each grantee account use
#     the key: kms:CreateGrant, kms:Decrypt, kms:DescribeKey,
#     kms:GenerateDataKeyWithoutPlaintext and kms:ReEncrypt*; for an organization
#     grantee, a statement for Principal "*" conditioned on aws:PrincipalOrgID.
#     Or stop sharing the AMI.
#   references:
#     - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/sharingamis-explicit.html
#     - https://docs.aws.amazon.com/ebs/latest/userguide/ebs-modifying-snapshot-permissions.html
#     - https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html
package amiaudit.rules.ami.cmk_not_shared

import data.amiaudit.lib.kms
import data.amiaudit.lib.resources

findings contains f if {
	some img in input.shared_images
	some v in resources.volumes(img)
	v.encrypted
	key := resources.key_of(v)
	kms.customer_managed(key)
	kms.policy_known(key)
	some g in resources.grantees(img)
	g.kind != "public"
	missing := kms.missing_launch_actions(key, g)
	count(missing) > 0
	f := {
		"resource": resources.image(img),
		"message": sprintf("AMI %s in %s is shared with %s, but its snapshot %s is encrypted with customer managed key %s, which does not let %s use it (missing %s): the grantee cannot launch the AMI.", [img.id, img.region, g.value, v.snapshot_id, key.arn, g.value, concat(", ", sort(missing))]),
		"evidence": {"grantee": g.value, "grantee_kind": g.kind, "snapshot_id": v.snapshot_id, "kms_key_arn": key.arn, "missing_actions": sort(missing)},
	}
}
