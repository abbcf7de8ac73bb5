# METADATA
# title: KMS key behind AMIs or snapshots is disabled or pending deletion
# description: |
#   A key that encrypts AMIs or snapshots is disabled or scheduled for deletion:
#   none of them can be launched or restored while it stays so, and once the key
#   is deleted the data is lost for good.
# custom:
#   id: KMS-003
#   severity: medium
#   scope: region
#   remediation: |
#     If the data is still needed, cancel the deletion (aws kms cancel-key-deletion)
#     or enable the key (aws kms enable-key); otherwise deregister the AMIs and
#     delete the snapshots that depend on it.
#   references:
#     - https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html
#     - https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html
package amiaudit.rules.kms.unusable_key

import data.amiaudit.lib.resources

unusable_states := {"Disabled", "PendingDeletion", "PendingReplicaDeletion"}

findings contains f if {
	some key in input.keys
	key.key_state in unusable_states
	users := input.index.key_users[key.arn]
	f := {
		"resource": resources.key(key),
		"message": sprintf("KMS key %s in %s is %s, and %d AMI(s) and %d snapshot(s) encrypted with it cannot be used.", [key.id, key.region, key.key_state, count(users.images), count(users.snapshots)]),
		"evidence": {"key_state": key.key_state, "used_by": users},
	}
}
