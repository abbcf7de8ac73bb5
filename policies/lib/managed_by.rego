# METADATA
# title: Who manages an account setting
# description: |
#   Image and snapshot block public access and Allowed AMIs report who manages
#   them (managedBy): the account, or an AWS Organizations declarative policy
#   for EC2, which the account cannot override. Every ACCT finding records it,
#   and when a declarative policy enforces the setting its remediation points
#   at the policy, not at the account.
#   https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_declarative_syntax.html
package amiaudit.lib.managed_by

# of is the managed_by of a setting (image_block_public_access,
# snapshot_block_public_access, allowed_images) in an account-region, or
# "unknown" when it was not read (an older snapshot, or a failed call).
of(ar, setting) := v if {
	v := ar[sprintf("%s_managed_by", [setting])]
	v != ""
} else := "unknown"

declarative(ar, setting) if of(ar, setting) == "declarative-policy"

# remediation is how to change the setting: through the declarative policy
# when one enforces it, otherwise the account-level fix.
remediation(ar, setting, attribute, account_fix) := sprintf(
	"The setting is enforced by an AWS Organizations declarative policy for EC2 (managedBy declarative-policy): account %s cannot change it. Change the %s attribute of the declarative policy attached to its organization, OU or account, from the management account or the delegated administrator (aws organizations update-policy). See %s",
	[ar.account, attribute, "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_declarative_syntax.html"],
) if {
	declarative(ar, setting)
} else := account_fix
