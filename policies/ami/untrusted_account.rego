# METADATA
# title: AMI shared with an untrusted account
# description: |
#   A launch permission names an AWS account that is neither a member of the
#   scanned organization nor listed in trusted_accounts. That account can launch
#   the AMI and copy it, and the copy is theirs.
# custom:
#   id: AMI-002
#   severity: high
#   effect: data-exposure
#   fingerprint: [grantee]
#   scope: region
#   remediation: |
#     Remove the launch permission
#     (aws ec2 modify-image-attribute --image-id AMI --launch-permission "Remove=[{UserId=ACCOUNT}]"),
#     or, if the account is a partner you trust, add it to trusted_accounts in the configuration.
#   references:
#     - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/sharingamis-explicit.html
package amiaudit.rules.ami.untrusted_account

import data.amiaudit.lib.resources
import data.amiaudit.lib.trust

findings contains f if {
	some img in input.shared_images
	some p in img.launch_permissions
	account := p.user_id
	not trust.account_trusted(account)
	f := {
		"resource": resources.image(img),
		"message": sprintf("AMI %s in %s is shared with account %s, which is not trusted: %s.", [img.id, img.region, account, trust.why_untrusted_account(account)]),
		"evidence": {"grantee": account, "organization_known": trust.organization_read},
	}
}
