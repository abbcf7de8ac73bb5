# METADATA
# title: Image block public access is off
# description: |
#   Image block public access is not block-new-sharing in a scanned
#   account-region, so anyone who can modify an AMI's attributes there can make it
#   public with one call.
# custom:
#   id: ACCT-001
#   severity: high
#   fingerprint: []
#   scope: region
#   remediation: |
#     aws ec2 enable-image-block-public-access --image-block-public-access-state block-new-sharing --region REGION,
#     in every region (or through an organization declarative policy).
#   references:
#     - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/block-public-access-to-amis.html
package amiaudit.rules.account.image_block_public_access

import data.amiaudit.lib.managed_by
import data.amiaudit.lib.resources

findings contains f if {
	some ar in input.account_regions
	state := ar.image_block_public_access
	state != null
	state != "block-new-sharing"
	f := {
		"resource": resources.account_region(ar),
		"message": sprintf("Image block public access is %s in account %s, region %s: AMIs there can be made public.", [state, ar.account, ar.region]),
		"evidence": {"image_block_public_access": state, "managed_by": managed_by.of(ar, "image_block_public_access")},
		"remediation": managed_by.remediation(ar, "image_block_public_access", "image_block_public_access", account_remediation),
	}
}

# account_remediation is the METADATA remediation: the fix when the account manages the setting.
account_remediation := [r |
	some link in rego.metadata.chain()
	r := link.annotations.custom.remediation
][0]
