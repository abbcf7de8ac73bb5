# METADATA
# title: EBS snapshot is publicly restorable
# description: |
#   The snapshot's createVolumePermission holds Group=all: any AWS account can
#   create a volume from it and read all of its data. When snapshot block public
#   access is block-all-sharing in the account-region, AWS does not honour the
#   grant: the finding is then low, because the snapshot becomes public the
#   moment the block is lifted.
# custom:
#   id: SNAP-001
#   severity: critical
#   effect: data-exposure
#   fingerprint: []
#   scope: region
#   remediation: |
#     Remove the public permission
#     (aws ec2 modify-snapshot-attribute --snapshot-id SNAP --attribute createVolumePermission --operation-type remove --group-names all)
#     and set snapshot block public access to block-all-sharing.
#   references:
#     - https://docs.aws.amazon.com/ebs/latest/userguide/ebs-modifying-snapshot-permissions.html
#     - https://docs.aws.amazon.com/ebs/latest/userguide/block-public-access-snapshots.html
package amiaudit.rules.snapshot.public

import data.amiaudit.lib.resources

findings contains f if {
	some s in input.shared_snapshots
	some p in s.create_volume_permissions
	p.group == "all"
	not blocked(s)
	f := {
		"resource": resources.snapshot(s),
		"message": sprintf("Snapshot %s in %s is publicly restorable: any AWS account can create a volume from it.", [s.id, s.region]),
		"evidence": {"create_volume_permissions": s.create_volume_permissions, "snapshot_block_public_access": block_state(s)},
	}
}

findings contains f if {
	some s in input.shared_snapshots
	some p in s.create_volume_permissions
	p.group == "all"
	blocked(s)
	f := {
		"resource": resources.snapshot(s),
		"severity": "low",
		"message": sprintf("Snapshot %s in %s grants public createVolumePermission; snapshot block public access (block-all-sharing) stops it now, but it becomes public the moment the block is lifted.", [s.id, s.region]),
		"evidence": {"create_volume_permissions": s.create_volume_permissions, "snapshot_block_public_access": block_state(s)},
	}
}

blocked(s) if block_state(s) == "block-all-sharing"

block_state(s) := state if {
	state := input.index.account_regions[sprintf("%s/%s", [s.account, s.region])].snapshot_block_public_access
	state != null
} else := "unknown"
