# METADATA
# title: KMS key policy allows anyone to use the key
# description: |
#   The key policy of a customer managed key that encrypts an AMI or snapshot
#   allows Principal "*" (or AWS "*") to use the key without a condition that
#   restricts the caller (aws:PrincipalOrgID, aws:PrincipalOrgPaths,
#   aws:PrincipalAccount, aws:SourceAccount, kms:CallerAccount,
#   aws:PrincipalArn). Any AWS account can then decrypt what the key protects.
# custom:
#   id: KMS-001
#   severity: critical
#   scope: region
#   remediation: |
#     Replace the wildcard principal with the accounts that need the key, or add
#     a condition on aws:PrincipalOrgID (or kms:CallerAccount) to the statement
#     (aws kms put-key-policy --key-id KEY --policy-name default --policy file://policy.json).
#   references:
#     - https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html
#     - https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html
package amiaudit.rules.kms.public_policy

import data.amiaudit.lib.kms
import data.amiaudit.lib.resources

findings contains f if {
	some key in input.keys
	kms.customer_managed(key)
	kms.used(key)
	some i, st in object.get(key, "policy_statements", [])
	st.effect == "Allow"
	kms.wildcard(st)
	not kms.restricted(st)
	actions := {a |
		some a in kms.use_actions
		kms.statement_allows_action(st, a)
	}
	count(actions) > 0
	f := {
		"resource": resources.key(key),
		"message": sprintf("KMS key %s in %s lets any AWS principal use it (%s allows Principal \"*\" without a restricting condition).", [key.id, key.region, kms.statement_name(st, i)]),
		"evidence": {"statement": kms.statement_name(st, i), "actions": sort(actions), "used_by": input.index.key_users[key.arn]},
	}
}
