# METADATA
# title: Shared AMI's customer managed key is not shared with its grantees
# description: |
#   The AMI is shared with accounts, an organization or an OU, and at least one
#   of its EBS snapshots is encrypted with a customer managed KMS key that the
#   access model finds a grantee cannot use to launch. The model evaluates the
#   key policy and grants as AWS does (explicit Deny, then Allow, else implicit
#   deny; every condition operator; NotPrincipal, NotAction) in the request
#   context EC2 uses for the grantee in the AMI's region (kms:CallerAccount,
#   kms:ViaService, aws:PrincipalOrgID and aws:PrincipalOrgPaths for members of
#   the scanned organization). A grantee needs kms:CreateGrant, kms:Decrypt,
#   kms:DescribeKey, kms:GenerateDataKey, kms:GenerateDataKeyWithoutPlaintext,
#   kms:ReEncryptFrom and kms:ReEncryptTo. An organization or OU grantee is
#   judged for each member account under it, nested OUs included. When the
#   answer depends on a condition the snapshot cannot tell (aws:SourceIp, a
#   principal tag, a grant's encryption context, a foreign organization's OU
#   tree), the finding is medium and names it. A key whose policy could not be
#   read is reported by SCAN-001.
# custom:
#   id: AMI-004
#   severity: high
#   scope: region
#   remediation: |
#     Add a key policy statement (or a grant) that lets each grantee account use
#     the key: kms:CreateGrant (conditioned on kms:GrantIsForAWSResource),
#     kms:Decrypt, kms:DescribeKey, kms:GenerateDataKey*, kms:ReEncrypt*; for an
#     organization or OU grantee, a statement for Principal "*" conditioned on
#     aws:PrincipalOrgID (and aws:PrincipalOrgPaths); and check that no Deny
#     statement (a guard on aws:PrincipalOrgID, kms:ViaService, …) takes it away.
#     Or stop sharing the AMI.
#   references:
#     - https://docs.aws.amazon.com/ebs/latest/userguide/share-kms-key.html
#     - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/allow-org-ou-to-use-key.html
#     - https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html
#     - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
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
	judged := [r |
		some r in kms.cannot_launch(key, g)
		r.account != img.account
	]
	count(judged) > 0
	denied := [r | some r in judged; r.outcome == "denied"]
	first := pick(denied, judged)
	f := object.union(
		{
			"resource": resources.image(img),
			"message": message(img, v, key, g, first, judged),
			"evidence": {
				"grantee": g.value,
				"grantee_kind": g.kind,
				"snapshot_id": v.snapshot_id,
				"kms_key_arn": key.arn,
				"outcome": first.outcome,
				"statement": first.statement,
				"condition": first.condition,
				"missing_actions": first.missing,
				"undetermined_actions": first.undetermined,
				"accounts": [{"account": r.account, "outcome": r.outcome, "statement": r.statement, "missing_actions": r.missing} | some r in judged],
			},
		},
		severity(denied),
	)
}

pick(denied, judged) := denied[0] if count(denied) > 0
else := judged[0]

severity(denied) := {} if count(denied) > 0
else := {"severity": "medium"}

message(img, v, key, g, r, judged) := sprintf("AMI %s in %s is shared with %s, but its snapshot %s is encrypted with customer managed key %s, which does not let %s launch it (missing %s; %s)%s: the grantee cannot launch the AMI.", [img.id, img.region, g.value, v.snapshot_id, key.arn, r.subject, concat(", ", r.missing), kms.explain(r), others(judged)]) if {
	r.outcome == "denied"
} else := sprintf("AMI %s in %s is shared with %s, but whether %s can use customer managed key %s of its snapshot %s to launch it is undetermined (%s: %s)%s; the share may be broken.", [img.id, img.region, g.value, r.subject, key.arn, v.snapshot_id, concat(", ", r.undetermined), kms.undetermined_because(r), others(judged)])

others(judged) := "" if count(judged) == 1
else := sprintf("; %d accounts of the grantee are affected", [count(judged)])
