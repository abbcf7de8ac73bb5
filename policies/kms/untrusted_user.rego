# METADATA
# title: KMS key usable by an untrusted account
# description: |
#   The key policy or a grant of a key that encrypts an AMI or snapshot lets an
#   account (or an organization, through aws:PrincipalOrgID) outside the trust
#   model use the key. Whoever also holds a copy of the data can decrypt it.
# custom:
#   id: KMS-002
#   severity: high
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
	some u in kms.outside_users(key)
	u.kind == "account"
	not trust.account_trusted(u.value)
	f := {
		"resource": resources.key(key),
		"message": sprintf("KMS key %s in %s lets account %s use it through its %s; the account is not trusted: %s.", [key.id, key.region, u.value, u.via, trust.why_untrusted_account(u.value)]),
		"evidence": {"principal": u.value, "via": u.via},
	}
}

findings contains f if {
	some key in input.keys
	kms.used(key)
	some u in kms.outside_users(key)
	u.kind == "organization-id"
	not u.value in trust.trusted_org_ids
	f := {
		"resource": resources.key(key),
		"message": sprintf("KMS key %s in %s lets every account of organization %s use it through its %s; that organization is not trusted.", [key.id, key.region, u.value, u.via]),
		"evidence": {"principal": u.value, "via": u.via},
	}
}
