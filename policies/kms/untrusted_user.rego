# METADATA
# title: KMS key usable by an untrusted account
# description: |
#   The access model finds that an account, organization or OU that the key
#   policy or a grant names, and that the trust model does not trust, can use a
#   key that encrypts an AMI or snapshot. Deny statements are applied as AWS
#   applies them: an account that a Deny excludes is not reported. Whoever also
#   holds a copy of the data can decrypt it. When the answer depends on a
#   condition the snapshot cannot tell, the finding is medium and names it.
# custom:
#   id: KMS-002
#   severity: high
#   effect: data-exposure
#   scope: region
#   remediation: |
#     Remove the account from the key policy
#     (aws kms put-key-policy --key-id KEY --policy-name default --policy file://policy.json)
#     or revoke the grant (aws kms revoke-grant --key-id KEY --grant-id GRANT);
#     list the account in trusted_accounts if it is trusted.
#   references:
#     - https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html
#     - https://docs.aws.amazon.com/kms/latest/developerguide/grants.html
package amiaudit.rules.kms.untrusted_user

import data.amiaudit.lib.kms
import data.amiaudit.lib.resources
import data.amiaudit.lib.trust

findings contains f if {
	some key in input.keys
	kms.used(key)
	kms.policy_known(key)
	some w in kms.users(key)
	w.kind in {"account", "organization", "ou"}
	not trusted(w)
	f := object.union(
		{
			"resource": resources.key(key),
			"message": message(key, w),
			"evidence": {
				"grantee": w.value,
				"grantee_kind": w.kind,
				"outcome": w.outcome,
				"statement": w.statement,
				"condition": w.condition,
				"actions": w.actions,
			},
		},
		severity(w),
	)
}

trusted(w) if {
	w.kind == "account"
	trust.account_trusted(w.value)
}

trusted(w) if {
	w.kind in {"organization", "ou"}
	w.org_id in trust.trusted_org_ids
}

trusted(w) if {
	w.kind == "ou"
	w.value in trust.trusted_ous
}

trusted(w) if {
	w.kind == "ou"
	some arn in trust.trusted_ous
	trust.ou_id_of(arn) == w.value
}

severity(w) := {} if w.outcome == "allowed"
else := {"severity": "medium"}

why(w) := trust.why_untrusted_account(w.value) if w.kind == "account"
else := sprintf("organization %s is neither the scanned organization nor listed in trusted_organizations", [w.org_id])

message(key, w) := sprintf("KMS key %s in %s lets %s use it (%s, %s; allowed by %s); it is not trusted: %s.", [key.id, key.region, w.subject, concat(", ", w.actions), w.channel, kms.decided(w), why(w)]) if {
	w.outcome == "allowed"
} else := sprintf("KMS key %s in %s may let %s use it: %s; it is not trusted: %s.", [key.id, key.region, w.subject, kms.undetermined_because(w), why(w)])
