# METADATA
# title: Proposed copy by another account would fail
# description: |
#   A proposed copy is made by an account other than the AMI's owner, and AWS
#   would refuse it: the copying account lacks createVolumePermission on a
#   snapshot of the AMI (the owner "must grant you read permissions for the
#   storage that backs the AMI"), or a snapshot is encrypted with a key the
#   copying account cannot use (an AWS managed key, which cannot be shared, or
#   a customer managed key whose policy and grants do not allow it). When the
#   gate cannot tell (the snapshot or the key policy is not readable by the
#   copying account), the finding says so, at medium.
# custom:
#   id: GATE-003
#   severity: high
#   changes: [copy]
#   scope: region
#   remediation: |
#     Have the owner grant the copying account createVolumePermission on every
#     snapshot of the AMI (aws ec2 modify-snapshot-attribute), and share each
#     snapshot's customer managed key with it (key policy or grant); an AMI
#     encrypted with the AWS managed key must first be re-encrypted with a
#     customer managed key by its owner.
#   references:
#     - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/CopyingAMIs.html#copy-ami-across-accounts
#     - https://docs.aws.amazon.com/ebs/latest/userguide/share-kms-key.html
package amiaudit.rules.gate.copy_access

import data.amiaudit.lib.kms
import data.amiaudit.lib.resources

findings contains f if {
	some c in input.proposed
	c.kind == "copy"
	img := input.index.images[sprintf("%s/%s", [c.region, c.image_id])]
	c.copying_account != img.account
	problems := array.concat(
		[sprintf("it lacks createVolumePermission on snapshot %s", [id]) | some id in object.get(c, "unrestorable_snapshots", [])],
		[p | some v in object.get(c, "copy_volumes", []); v.source_encrypted; p := key_problem(v.source_kms_key_id, c.copying_account, v.snapshot_id)],
	)
	count(problems) > 0
	f := {
		"resource": resources.image(img),
		"message": sprintf("The proposed copy of AMI %s (account %s) by account %s would fail: %s.", [img.id, img.account, c.copying_account, concat("; ", problems)]),
		"evidence": {"copying_account": c.copying_account, "owner": img.account, "problems": problems, "proposed_change": c.source, "address": object.get(c, "address", "")},
	}
}

findings contains f if {
	some c in input.proposed
	c.kind == "copy"
	img := input.index.images[sprintf("%s/%s", [c.region, c.image_id])]
	c.copying_account != img.account
	count([1 | some id in object.get(c, "unrestorable_snapshots", [])]) == 0
	count([1 | some v in object.get(c, "copy_volumes", []); v.source_encrypted; key_problem(v.source_kms_key_id, c.copying_account, v.snapshot_id)]) == 0
	unknown := array.concat(
		[sprintf("whether it may read snapshot %s (createVolumePermission)", [v.snapshot_id]) | some v in object.get(c, "copy_volumes", []); not decided(c, v.snapshot_id)],
		array.concat(
			[sprintf("whether it may use key %s of snapshot %s", [key_name(v.source_kms_key_id), v.snapshot_id]) | some v in object.get(c, "copy_volumes", []); v.source_encrypted; not key_known(v.source_kms_key_id)],
			[u | some v in object.get(c, "copy_volumes", []); v.source_encrypted; u := key_unknown(v.source_kms_key_id, c.copying_account, v.snapshot_id)],
		),
	)
	count(unknown) > 0
	f := {
		"resource": resources.image(img),
		"severity": "medium",
		"message": sprintf("Whether the proposed copy of AMI %s (account %s) by account %s would succeed is undetermined: the gate cannot tell %s.", [img.id, img.account, c.copying_account, concat("; ", unknown)]),
		"evidence": {"copying_account": c.copying_account, "owner": img.account, "undetermined": unknown, "proposed_change": c.source, "address": object.get(c, "address", "")},
	}
}

decided(c, id) if id in object.get(c, "restorable_snapshots", [])

decided(c, id) if id in object.get(c, "unrestorable_snapshots", [])

key_known(arn) if input.index.keys[arn]

key_name(arn) := arn if arn != ""

else := "(unknown)"

# key_problem says why account cannot use the key to copy, when it cannot.
# The access judgement is the access model's (lib/kms cannot_launch: key
# policy and grants evaluated as AWS does), as for AMI-004.
key_problem(arn, account, snap) := sprintf("snapshot %s is encrypted with the AWS managed key %s, which cannot be shared", [snap, arn]) if {
	key := input.index.keys[arn]
	kms.aws_managed(key)
} else := sprintf("it cannot use key %s of snapshot %s: %s (missing %s)", [arn, snap, kms.explain(r), concat(", ", sort(r.missing))]) if {
	some r in launch_judgement(arn, account)
	r.outcome == "denied"
}

# launch_judgement is the access model's answer for account and the key:
# empty when it may use the key, else one subject denied or undetermined.
launch_judgement(arn, account) := [r |
	key := input.index.keys[arn]
	kms.customer_managed(key)
	kms.policy_known(key)
	some r in kms.cannot_launch(key, {"kind": "account", "value": account})
]

# key_unknown says why the gate cannot tell whether account may use the key.
key_unknown(arn, account, snap) := sprintf("whether it may use key %s of snapshot %s (%s)", [arn, snap, kms.undetermined_because(r)]) if {
	some r in launch_judgement(arn, account)
	r.outcome == "undetermined"
} else := sprintf("whether it may use key %s of snapshot %s (its policy could not be read)", [arn, snap]) if {
	key := input.index.keys[arn]
	kms.customer_managed(key)
	not kms.policy_known(key)
}
