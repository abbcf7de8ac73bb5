# METADATA
# title: AMI shared with an untrusted organization or OU
# description: |
#   A launch permission names an organization ARN or an OU ARN that is neither
#   the scanned organization (or one of its OUs) nor listed in
#   trusted_organizations or trusted_ous. Every account in it, now and later,
#   can launch and copy the AMI.
# custom:
#   id: AMI-003
#   severity: high
#   effect: data-exposure
#   fingerprint: [grantee]
#   scope: region
#   remediation: |
#     Remove the launch permission
#     (aws ec2 modify-image-attribute --image-id AMI --launch-permission "Remove=[{OrganizationArn=ARN}]"
#     or OrganizationalUnitArn=ARN), or list the organization or OU in the configuration if it is trusted.
#   references:
#     - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/share-amis-with-organizations-and-OUs.html
package amiaudit.rules.ami.untrusted_org

import data.amiaudit.lib.resources
import data.amiaudit.lib.trust

findings contains f if {
	some img in input.shared_images
	some p in img.launch_permissions
	g := trust.grantee(p)
	g.kind in {"organization", "ou"}
	not trust.grantee_trusted(g)
	f := {
		"resource": resources.image(img),
		"message": sprintf("AMI %s in %s is shared with %s %s, which is not trusted: %s.", [img.id, img.region, kind_words[g.kind], g.value, trust.why_untrusted(g)]),
		"evidence": {"grantee": g.value, "grantee_kind": g.kind},
	}
}

kind_words := {"organization": "organization", "ou": "organizational unit"}
