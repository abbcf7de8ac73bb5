# METADATA
# title: AMI is public
# description: |
#   The AMI's launch permissions hold Group=all (DescribeImages reports it as
#   Public): any AWS account can launch it, and with it read every file on its
#   volumes.
# custom:
#   id: AMI-001
#   severity: critical
#   effect: data-exposure
#   fingerprint: []
#   scope: region
#   remediation: |
#     Remove the public launch permission
#     (aws ec2 modify-image-attribute --image-id AMI --launch-permission "Remove=[{Group=all}]"),
#     share with the accounts, organization or OUs that need it instead, and set
#     image block public access to block-new-sharing in every region.
#   references:
#     - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/sharingamis-intro.html
#     - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/block-public-access-to-amis.html
package amiaudit.rules.ami.public

import data.amiaudit.lib.resources

findings contains f if {
	some img in input.shared_images
	public(img)
	f := {
		"resource": resources.image(img),
		"message": sprintf("AMI %s in %s is public: any AWS account can launch it.", [img.id, img.region]),
		"evidence": {"public": object.get(img, "public", false), "launch_permissions": img.launch_permissions},
	}
}

public(img) if img.public

public(img) if {
	some p in img.launch_permissions
	p.group == "all"
}
