package amiaudit.lib.ids_test

import data.amiaudit.lib.ids

test_account_id if {
	ids.account_id("123456789012")
	ids.account_id("000000000000")
}

test_not_account_id if {
	not ids.account_id("12345678901")
	not ids.account_id("1234567890123")
	not ids.account_id("12345678901a")
	not ids.account_id("aws-marketplace")
	not ids.account_id("amazon")
	not ids.account_id("o-a1b2c3d4e5")
	not ids.account_id("arn:aws:iam::123456789012:root")
	not ids.account_id(" 123456789012")
}
