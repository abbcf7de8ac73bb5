# METADATA
# title: AMI's snapshot grants more than the AMI
# description: |
#   One of the AMI's snapshots grants createVolumePermission to a principal the
#   AMI itself is not shared with, or to an untrusted principal. Launch
#   permission lets a grantee run the image; createVolumePermission lets it copy
#   the raw data of the volume, outside the owner's control. An AMI shared
#   with an organization or OU is shared with every account under it, nested
#   OUs included (the OU tree of the scanned organization is walked).
# custom:
#   id: AMI-010
#   severity: medium
#   effect: data-exposure
#   scope: region
#   remediation: |
#     Remove the createVolumePermission
#     (aws ec2 modify-snapshot-attribute --snapshot-id SNAP --attribute createVolumePermission --operation-type remove --user-ids ACCOUNT).
#     Sharing an AMI does not need it: launch permission is enough to launch.
#   references:
#     - https://docs.aws.amazon.com/ebs/latest/userguide/ebs-modifying-snapshot-permissions.html
package amiaudit.rules.ami.snapshot_permission_mismatch

import data.amiaudit.lib.resources
import data.amiaudit.lib.trust

findings contains f if {
	some s in input.shared_snapshots
	some img_id in object.get(input.index.images_by_snapshot, sprintf("%s/%s", [s.region, s.id]), [])
	img := input.index.images[sprintf("%s/%s", [s.region, img_id])]
	some p in s.create_volume_permissions
	g := trust.grantee(p)
	reason := why(img, g)
	f := {
		"resource": resources.image(img),
		"message": sprintf("AMI %s in %s has snapshot %s that grants createVolumePermission to %s, %s: they can copy the volume's data.", [img.id, img.region, s.id, g.value, reason]),
		"evidence": {"snapshot_id": s.id, "grantee": g.value, "reason": reason},
	}
}

why(img, g) := "which makes it public" if {
	g.kind == "public"
} else := "which is not trusted" if {
	not trust.grantee_trusted(g)
} else := "which the AMI may not be shared with: the OU tree cannot tell whether the AMI's organization or OU grantee holds it" if {
	not shared_with(img, g)
	maybe_shared_with(img, g)
} else := "which the AMI is not shared with" if {
	not shared_with(img, g)
}

# shared_with: the AMI's grantees cover the account, an organization or OU
# grantee through the OU tree, nested OUs included.
shared_with(img, g) if {
	some ig in resources.grantees(img)
	trust.account_in_grantee(g.value, ig)
}

maybe_shared_with(img, g) if {
	some ig in resources.grantees(img)
	trust.account_maybe_in_grantee(g.value, ig)
}
