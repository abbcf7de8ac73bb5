# METADATA
# title: Credential in AMI metadata
# description: |
#   The AMI's name, description, or a tag key or value holds a credential: an AWS
#   access key ID or secret access key, a private key block, a password
#   assignment, or another high-confidence token. Anyone the AMI is shared with,
#   and anyone who can describe it, can read it. Only a redacted form (first
#   four characters and a hash) is reported.
# custom:
#   id: AMI-007
#   severity: critical
#   effect: credentials
#   fingerprint: [field, detector, redacted]
#   scope: region
#   remediation: |
#     Revoke and rotate the credential first: it must be treated as leaked. Then
#     remove it from the AMI's metadata (tags can be changed; a name or
#     description cannot, so copy the AMI with clean metadata and deregister it).
#   references:
#     - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/building-shared-amis.html
#     - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html#rotating_access_keys_console
package amiaudit.rules.ami.credentials_metadata

import data.amiaudit.lib.resources

findings contains f if {
	some img in input.images
	some hit in amiaudit.metadata_secrets(img)
	f := {
		"resource": resources.image(img),
		"message": sprintf("AMI %s in %s has a credential (%s) in its %s: %s.", [img.id, img.region, hit.description, hit.field, hit.redacted]),
		"evidence": {"field": hit.field, "detector": hit.detector, "redacted": hit.redacted, "line": hit.line},
	}
}
