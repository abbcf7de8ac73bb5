# METADATA
# title: Proposed cross-account copy of an AMI with a billing product
# description: |
#   A proposed copy targets an AMI that another account shares and that carries
#   a billing product: an AWS Marketplace product code, or a billed platform
#   such as Windows, Red Hat Enterprise Linux or SUSE (PlatformDetails /
#   UsageOperation other than Linux/UNIX RunInstances). AWS refuses to copy a
#   shared AMI with a marketplace product code; for billed platforms AWS may
#   refuse the copy too. Launch an instance from it and create an image of the
#   instance instead: the billing product carries over.
# custom:
#   id: GATE-002
#   severity: medium
#   changes: [copy]
#   fingerprint: [copying_account, address]
#   scope: region
#   remediation: |
#     Launch an instance from the shared AMI, then create your own AMI from the
#     instance (aws ec2 create-image); the billing product carries over.
#   references:
#     - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/CopyingAMIs.html#copy-ami-across-accounts
#     - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/billing-info-fields.html
package amiaudit.rules.gate.marketplace_copy

import data.amiaudit.lib.resources

findings contains f if {
	some c in input.proposed
	c.kind == "copy"
	img := input.index.images[sprintf("%s/%s", [c.region, c.image_id])]
	c.copying_account != img.account
	products := billing_products(img)
	count(products) > 0
	f := {
		"resource": resources.image(img),
		"message": sprintf("The proposed copy of AMI %s by account %s would copy an image of account %s with a billing product (%s): %s.", [img.id, c.copying_account, img.account, concat(", ", products), verdict(img)]),
		"evidence": {
			"product_codes": marketplace_codes(img),
			"platform_details": object.get(img, "platform_details", ""),
			"usage_operation": object.get(img, "usage_operation", ""),
			"owner": img.account,
			"copying_account": c.copying_account,
			"proposed_change": c.source,
			"address": object.get(c, "address", ""),
		},
	}
}

marketplace_codes(img) := [pc.id | some pc in object.get(img, "product_codes", []); pc.type == "marketplace"]

# A billed platform: any UsageOperation other than plain RunInstances
# (Linux/UNIX), e.g. RunInstances:0002 for Windows.
billed_platform(img) if {
	op := object.get(img, "usage_operation", "")
	op != ""
	op != "RunInstances"
}

billed_platform(img) if startswith(object.get(img, "platform_details", ""), "Windows")

billing_products(img) := array.concat(
	[sprintf("marketplace product code %s", [id]) | some id in marketplace_codes(img)],
	[sprintf("platform %s, usage operation %s", [object.get(img, "platform_details", "unknown"), object.get(img, "usage_operation", "unknown")]) | billed_platform(img)],
)

verdict(img) := "AWS refuses cross-account copies of such images" if count(marketplace_codes(img)) > 0

else := "AWS may refuse a cross-account copy of a billed platform"
