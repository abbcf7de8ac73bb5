package amiaudit.lib.managed_by_test

import data.amiaudit.lib.managed_by

ar := {"account": "111111111111", "region": "us-east-1", "image_block_public_access_managed_by": "declarative-policy", "snapshot_block_public_access_managed_by": "account"}

test_of if {
	managed_by.of(ar, "image_block_public_access") == "declarative-policy"
	managed_by.of(ar, "snapshot_block_public_access") == "account"
	managed_by.of(ar, "allowed_images") == "unknown"
}

test_remediation if {
	contains(managed_by.remediation(ar, "image_block_public_access", "image_block_public_access", "fix the account"), "account 111111111111 cannot change it")
	managed_by.remediation(ar, "snapshot_block_public_access", "snapshot_block_public_access", "fix the account") == "fix the account"
	managed_by.remediation(ar, "allowed_images", "allowed_images_settings", "fix the account") == "fix the account"
}
