# METADATA
# title: Allowed AMIs is not enforced
# description: |
#   Allowed AMIs is disabled (low) or in audit-mode (info) in a scanned
#   account-region, so instances there may be launched from any AMI, including
#   AMIs shared by strangers.
# custom:
#   id: ACCT-003
#   severity: low
#   fingerprint: []
#   scope: region
#   remediation: |
#     Define the image providers you trust and enable the setting
#     (aws ec2 replace-image-criteria-in-allowed-images-settings, then
#     aws ec2 enable-allowed-images-settings --allowed-images-settings-state enabled).
#   references:
#     - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-allowed-amis.html
package amiaudit.rules.account.allowed_images

import data.amiaudit.lib.managed_by
import data.amiaudit.lib.resources

severity_of := {"disabled": "low", "audit-mode": "info"}

findings contains f if {
	some ar in input.account_regions
	state := ar.allowed_images
	severity := severity_of[state]
	f := {
		"resource": resources.account_region(ar),
		"severity": severity,
		"message": sprintf("Allowed AMIs is %s in account %s, region %s: instances may be launched from any AMI.", [state, ar.account, ar.region]),
		"evidence": {"allowed_images": state, "managed_by": managed_by.of(ar, "allowed_images")},
		"remediation": managed_by.remediation(ar, "allowed_images", "allowed_images_settings", account_remediation),
	}
}

# account_remediation is the METADATA remediation: the fix when the account manages the setting.
account_remediation := [r |
	some link in rego.metadata.chain()
	r := link.annotations.custom.remediation
][0]
