# METADATA
# title: Part of the scope could not be read
# description: |
#   The collector could not read part of the requested scope (access denied,
#   region not enabled, throttled past retries, timeout). The finding names the
#   account, region and API call. An audit never passes silently over what it
#   could not see; in gate mode this fails the gate. An AMI encrypted with a
#   customer managed key whose policy could not be read (a key owned by an
#   account outside the scope, or GetKeyPolicy denied) is reported too, naming
#   the key and the AMI: who can use the key, and whether the AMI's grantees
#   can launch it, cannot be judged.
# custom:
#   id: SCAN-001
#   severity: high
#   fingerprint: []
#   scope: region
#   remediation: |
#     Give the scanning role the permission named in the finding (docs/iam-policy.json
#     lists them all), enable the region, or re-run when AWS no longer throttles;
#     then scan again.
#   references:
#     - https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
package amiaudit.rules.coverage.scope_unreadable

import data.amiaudit.lib.kms
import data.amiaudit.lib.resources

findings contains f if {
	some e in input.errors
	account := object.get(e, "account", "")
	region := object.get(e, "region", "")
	target := object.get(e, "resource", "")
	f := {
		"resource": {
			"type": "scope",
			"id": concat(" ", [x | some x in [sprintf("%s:%s", [e.service, e.action]), target]; x != ""]),
			"arn": sprintf("arn:%s:%s:%s:%s:amiaudit-scope/%s%s", [input.partition, e.service, region, account, e.action, suffix(target)]),
			"account": account,
			"region": region,
		},
		"message": sprintf("Could not read %s: %s:%s failed with %s (%s).", [where(account, region, target), e.service, e.action, e.code, e.message]),
		"evidence": {"service": e.service, "action": e.action, "code": e.code, "error": e.message},
	}
}

suffix(t) := "" if t == ""
else := sprintf("/%s", [t])

where(account, region, target) := concat(", ", [x |
	some x in [labelled("account", account), labelled("region", region), target]
	x != ""
])

labelled(label, value) := "" if value == ""
else := sprintf("%s %s", [label, value])

# From the keys to the AMIs they encrypt (index.key_users), not the other way:
# most AMIs' keys are readable, and walking every AMI's volumes would cost
# more than the rest of the rule.
findings contains f if {
	some arn, users in input.index.key_users
	count(users.images) > 0
	not key_judgeable(arn)
	why := key_unread(arn)
	some id in users.images
	img := input.index.images[sprintf("%s/%s", [key_region(arn), id])]
	some v in resources.volumes(img)
	v.kms_key_id == arn
	f := {
		"resource": resources.image(img),
		"message": sprintf("Could not read the policy of KMS key %s, which encrypts snapshot %s of AMI %s in %s: %s. Who can use the key, and whether the AMI's grantees can launch it, cannot be judged.", [v.kms_key_id, v.snapshot_id, img.id, img.region, why]),
		"evidence": {"service": "kms", "action": "GetKeyPolicy", "kms_key_arn": v.kms_key_id, "snapshot_id": v.snapshot_id, "reason": why},
	}
}

key_judgeable(arn) if kms.aws_managed(input.index.keys[arn])

key_judgeable(arn) if kms.policy_known(input.index.keys[arn])

key_account(arn) := split(arn, ":")[4]

# EBS uses keys of its own region: the key's region is the AMI's.
key_region(arn) := split(arn, ":")[3]

key_unread(arn) := sprintf("the key could not be described; its account %s was not scanned or denied kms:DescribeKey", [key_account(arn)]) if {
	not input.index.keys[arn]
} else := sprintf("GetKeyPolicy failed with %s", [e.code]) if {
	key := input.index.keys[arn]
	some e in input.errors
	e.action == "GetKeyPolicy"
	object.get(e, "resource", "") in {key.id, key.arn}
} else := sprintf("its account %s was not scanned: a key policy can be read only by the key's own account", [key_account(arn)])
