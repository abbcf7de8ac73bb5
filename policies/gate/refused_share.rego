# METADATA
# title: Proposed share that AWS will refuse
# description: |
#   A proposed public share (launch permission group all) that AWS refuses
#   outright: the AMI has encrypted snapshots, or a product code, or image
#   block public access is block-new-sharing in its account-region. The call
#   would fail, so the AMI would stay private; the pipeline step that makes it
#   is broken and fails the gate. The share is not applied to the state the
#   other rules judge.
# custom:
#   id: GATE-004
#   severity: high
#   scope: region
#   remediation: |
#     Share with the accounts, organization or OUs that need the image instead
#     of making it public (an encrypted AMI or one with a product code can only
#     be shared that way); if it must be public, rebuild it unencrypted and
#     without a product code, and have image block public access lifted for the
#     account-region first.
#   references:
#     - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/sharingamis-intro.html
#     - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/block-public-access-to-amis.html
package amiaudit.rules.gate.refused_share

import data.amiaudit.lib.resources

findings contains f if {
	some c in input.proposed
	c.kind == "launch-permission"
	c.refused
	img := input.index.images[sprintf("%s/%s", [c.region, c.image_id])]
	f := {
		"resource": resources.image(img),
		"message": sprintf("AWS will refuse the proposed public share of AMI %s in %s: %s.", [img.id, img.region, c.refused]),
		"evidence": {"refused": c.refused, "grantee": c.grantee, "proposed_change": c.source, "address": object.get(c, "address", "")},
	}
}
