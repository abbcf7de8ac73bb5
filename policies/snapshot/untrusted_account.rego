# METADATA
# title: EBS snapshot shared with an untrusted account
# description: |
#   The snapshot's createVolumePermission names an AWS account outside the trust
#   model. That account can create a volume from it, or copy it, and read all of
#   its data.
# custom:
#   id: SNAP-002
#   severity: high
#   effect: data-exposure
#   fingerprint: [grantee]
#   scope: region
#   remediation: |
#     Remove the permission
#     (aws ec2 modify-snapshot-attribute --snapshot-id SNAP --attribute createVolumePermission --operation-type remove --user-ids ACCOUNT),
#     or add the account to trusted_accounts if it is trusted.
#   references:
#     - https://docs.aws.amazon.com/ebs/latest/userguide/ebs-modifying-snapshot-permissions.html
package amiaudit.rules.snapshot.untrusted_account

import data.amiaudit.lib.resources
import data.amiaudit.lib.trust

findings contains f if {
	some s in input.shared_snapshots
	some p in s.create_volume_permissions
	account := p.user_id
	not trust.account_trusted(account)
	f := {
		"resource": resources.snapshot(s),
		"message": sprintf("Snapshot %s in %s grants createVolumePermission to account %s, which is not trusted: %s.", [s.id, s.region, account, trust.why_untrusted_account(account)]),
		"evidence": {"grantee": account, "organization_known": trust.organization_read},
	}
}
