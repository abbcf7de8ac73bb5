# METADATA
# title: Proposed copy of a marketplace AMI from another account
# description: |
#   A proposed copy targets an AMI with a billing (marketplace) product code
#   that another account shares. AWS refuses to copy such an AMI across
#   accounts: launch an instance from it and create an image of the instance
#   instead.
# custom:
#   id: GATE-002
#   severity: medium
#   fingerprint: [copying_account, address]
#   scope: region
#   remediation: |
#     Launch an instance from the shared AMI, then create your own AMI from the
#     instance (aws ec2 create-image); the product code carries over.
#   references:
#     - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/CopyingAMIs.html#copy-ami-across-accounts
package amiaudit.rules.gate.marketplace_copy

import data.amiaudit.lib.resources

findings contains f if {
	some c in input.proposed
	c.kind == "copy"
	img := input.index.images[sprintf("%s/%s", [c.region, c.image_id])]
	c.copying_account != img.account
	codes := [pc.id | some pc in object.get(img, "product_codes", []); pc.type == "marketplace"]
	count(codes) > 0
	f := {
		"resource": resources.image(img),
		"message": sprintf("The proposed copy of AMI %s by account %s would copy an image of account %s with marketplace product code %s: AWS refuses cross-account copies of such images.", [img.id, c.copying_account, img.account, concat(", ", codes)]),
		"evidence": {"product_codes": codes, "owner": img.account, "copying_account": c.copying_account, "proposed_change": c.source, "address": object.get(c, "address", "")},
	}
}
