# METADATA
# title: KMS key usable by principals outside every trusted organization
# description: |
#   The access model finds that a principal outside every trusted account and
#   organization can use a customer managed key that an AMI or snapshot uses:
#   an unnamed account in no organization, or one in an unnamed foreign
#   organization, with witnesses chosen to exercise every wildcard pattern of
#   the policy. Whatever the policy's shape: Principal "*" without a
#   restricting condition, a negated condition (StringNotEquals
#   kms:CallerAccount …), a wildcard organization (StringLike
#   aws:PrincipalOrgID "o-*"), NotPrincipal in an Allow. Deny statements are
#   applied as AWS applies them. When the answer depends on a condition the
#   snapshot cannot tell, the finding is high and names the condition.
# custom:
#   id: KMS-001
#   severity: critical
#   effect: data-exposure
#   scope: region
#   remediation: |
#     Replace the wildcard principal with the accounts that need the key, or add
#     a condition on aws:PrincipalOrgID (or kms:CallerAccount) that names only
#     trusted organizations and accounts; never a negated or wildcard one
#     (aws kms put-key-policy --key-id KEY --policy-name default --policy file://policy.json).
#   references:
#     - https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html
#     - https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html
#     - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid
package amiaudit.rules.kms.public_policy

import data.amiaudit.lib.kms
import data.amiaudit.lib.resources

findings contains f if {
	some key in input.keys
	kms.customer_managed(key)
	kms.used(key)
	kms.policy_known(key)
	outsiders := [w |
		some w in kms.users(key)
		w.kind in {"unnamed-account", "unnamed-organization"}
	]
	count(outsiders) > 0
	allowed := [w | some w in outsiders; w.outcome == "allowed"]
	w := pick(allowed, outsiders)
	f := object.union(
		{
			"resource": resources.key(key),
			"message": message(key, w),
			"evidence": {
				"grantee": w.subject,
				"outcome": w.outcome,
				"statement": w.statement,
				"condition": w.condition,
				"actions": w.actions,
				"witnesses": [{"subject": x.subject, "outcome": x.outcome, "statement": x.statement} | some x in outsiders],
				"used_by": input.index.key_users[key.arn],
			},
		},
		severity(allowed),
	)
}

pick(allowed, outsiders) := allowed[0] if count(allowed) > 0
else := outsiders[0]

severity(allowed) := {} if count(allowed) > 0
else := {"severity": "high"}

message(key, w) := sprintf("KMS key %s in %s lets %s use it (%s, %s; allowed by %s): anyone outside your organizations can decrypt what it protects.", [key.id, key.region, w.subject, concat(", ", w.actions), w.channel, kms.decided(w)]) if {
	w.outcome == "allowed"
} else := sprintf("KMS key %s in %s may let %s use it: %s.", [key.id, key.region, w.subject, kms.undetermined_because(w)])
