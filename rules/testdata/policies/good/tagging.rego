# METADATA
# title: Shared AMI has no owner tag
# description: Every shared AMI must say which team owns it.
# custom:
#   id: ORG-001
#   severity: low
#   remediation: Tag the AMI with Owner.
#   references:
#     - https://example.com/tagging-standard
package amiaudit.rules.org.owner_tag

findings contains f if {
	some img in input.shared_images
	not owner(img)
	f := {
		"resource": {"type": "ami", "id": img.id, "arn": img.arn, "account": img.account, "region": img.region},
		"message": sprintf("AMI %s is shared but has no Owner tag.", [img.id]),
		"evidence": {"tags": object.get(img, "tags", [])},
	}
}

owner(img) if {
	some t in img.tags
	t.key == "Owner"
}
