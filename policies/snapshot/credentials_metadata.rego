# METADATA
# title: Credential in snapshot metadata
# description: |
#   The snapshot's description, or a tag key or value, holds a credential (the
#   same detectors as AMI-007). Only a redacted form is reported.
# custom:
#   id: SNAP-004
#   severity: critical
#   effect: credentials
#   fingerprint: [field, detector, redacted]
#   scope: region
#   remediation: |
#     Revoke and rotate the credential first: it must be treated as leaked. Then
#     remove it from the snapshot's tags; a description cannot be changed, so copy
#     the snapshot with a clean description and delete the original.
#   references:
#     - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html#rotating_access_keys_console
package amiaudit.rules.snapshot.credentials_metadata

import data.amiaudit.lib.resources

findings contains f if {
	some s in input.snapshots
	some hit in amiaudit.metadata_secrets(s)
	f := {
		"resource": resources.snapshot(s),
		"message": sprintf("Snapshot %s in %s has a credential (%s) in its %s: %s.", [s.id, s.region, hit.description, hit.field, hit.redacted]),
		"evidence": {"field": hit.field, "detector": hit.detector, "redacted": hit.redacted, "line": hit.line},
	}
}
