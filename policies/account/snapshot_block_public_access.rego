# METADATA
# title: Snapshot block public access is not block-all-sharing
# description: |
#   Snapshot block public access is unblocked (high) or block-new-sharing
#   (medium: snapshots that are already public stay public) in a scanned
#   account-region. block-all-sharing reports nothing.
# custom:
#   id: ACCT-002
#   severity: high
#   fingerprint: []
#   scope: region
#   remediation: |
#     aws ec2 enable-snapshot-block-public-access --state block-all-sharing --region REGION,
#     in every region (or through an organization declarative policy).
#   references:
#     - https://docs.aws.amazon.com/ebs/latest/userguide/block-public-access-snapshots.html
package amiaudit.rules.account.snapshot_block_public_access

import data.amiaudit.lib.managed_by
import data.amiaudit.lib.resources

severity_of := {"unblocked": "high", "block-new-sharing": "medium"}

consequence := {
	"unblocked": "snapshots there can be made public",
	"block-new-sharing": "snapshots that are already public stay public",
}

findings contains f if {
	some ar in input.account_regions
	state := ar.snapshot_block_public_access
	severity := severity_of[state]
	f := {
		"resource": resources.account_region(ar),
		"severity": severity,
		"message": sprintf("Snapshot block public access is %s in account %s, region %s: %s.", [state, ar.account, ar.region, consequence[state]]),
		"evidence": {"snapshot_block_public_access": state, "managed_by": managed_by.of(ar, "snapshot_block_public_access")},
		"remediation": managed_by.remediation(ar, "snapshot_block_public_access", "snapshot_block_public_access", account_remediation),
	}
}

# account_remediation is the METADATA remediation: the fix when the account manages the setting.
account_remediation := [r |
	some link in rego.metadata.chain()
	r := link.annotations.custom.remediation
][0]
