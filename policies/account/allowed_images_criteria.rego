# METADATA
# title: Allowed AMIs admits untrusted image sources
# description: |
#   Allowed AMIs is enabled or in audit-mode, but one of its image criteria
#   admits images from a source the trust model does not trust: an image
#   provider that is an untrusted account ID, aws-marketplace without a
#   marketplace product-code restriction (any seller's image), or a criterion
#   that names no image provider at all (matching images from any account).
#   An image is allowed when it matches any one criterion, so one loose
#   criterion opens the account-region to that source. amazon, aws-backup-vault
#   and none (the account's own AMIs) are not untrusted sources.
# custom:
#   id: ACCT-004
#   severity: medium
#   scope: region
#   remediation: |
#     Narrow the criterion: list trusted account IDs as image providers, and
#     restrict aws-marketplace to the product codes you use
#     (aws ec2 replace-image-criteria-in-allowed-images-settings --image-criteria …).
#   references:
#     - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-allowed-amis.html
#     - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ImageCriterion.html
package amiaudit.rules.account.allowed_images_criteria

import data.amiaudit.lib.ids
import data.amiaudit.lib.managed_by
import data.amiaudit.lib.resources
import data.amiaudit.lib.trust

findings contains f if {
	some ar in input.account_regions
	ar.allowed_images in {"enabled", "audit-mode"}
	loose := [sprintf("criterion #%d admits %s", [i + 1, why]) |
		some i, c in object.get(ar, "allowed_images_criteria", [])
		some why in admits(ar, c)
	]
	count(loose) > 0
	f := {
		"resource": resources.account_region(ar),
		"message": sprintf("Allowed AMIs (%s) in account %s, region %s admits images from untrusted sources: %s.", [ar.allowed_images, ar.account, ar.region, concat("; ", loose)]),
		"evidence": {"allowed_images": ar.allowed_images, "criteria": loose, "managed_by": managed_by.of(ar, "allowed_images")},
		"remediation": managed_by.remediation(ar, "allowed_images", "allowed_images_settings", account_remediation),
	}
}

# admits says why criterion c lets in an untrusted source.
admits(ar, c) := ({why |
	some p in object.get(c, "image_providers", [])
	ids.account_id(p)
	p != ar.account
	not trust.account_trusted(p)
	why := sprintf("images of account %s (%s)", [p, trust.why_untrusted_account(p)])
} | {why |
	"aws-marketplace" in object.get(c, "image_providers", [])
	count(object.get(c, "marketplace_product_codes", [])) == 0
	why := "aws-marketplace images of any seller (no marketplace product-code restriction)"
}) | {why |
	count(object.get(c, "image_providers", [])) == 0
	why := sprintf("images of any account (no image provider; %s)", [conditions(c)])
}

conditions(c) := sprintf("only name patterns %s", [concat(", ", c.image_names)]) if {
	count(object.get(c, "image_names", [])) > 0
} else := "only age or product-code conditions"

# account_remediation is the METADATA remediation: the fix when the account manages the setting.
account_remediation := [r |
	some link in rego.metadata.chain()
	r := link.annotations.custom.remediation
][0]
