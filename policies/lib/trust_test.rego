package amiaudit.lib.trust_test

import data.amiaudit.lib.trust
import data.amiaudit.testing as t

test_org_members_and_config_are_trusted if {
	inp := t.prepare({"organization": t.organization, "config": {"trusted_accounts": ["333333333333"]}})
	trust.account_trusted(t.member) with input as inp
	trust.account_trusted("333333333333") with input as inp
	not trust.account_trusted(t.outsider) with input as inp
}

test_ou_in_trusted_org_and_listed_ou_ids if {
	inp := t.prepare({"config": {"trusted_organizations": ["o-foreignorg99"], "trusted_ous": ["ou-ab12-cdefgh34"]}})
	trust.ou_arn_trusted("arn:aws:organizations::888888888888:ou/o-foreignorg99/ou-zz99-abcdefgh") with input as inp
	trust.ou_arn_trusted(t.ou_arn) with input as inp
	not trust.org_arn_trusted(t.org_arn) with input as inp
}

test_account_in_grantee if {
	inp := t.prepare({"organization": t.organization})
	trust.account_in_grantee(t.member, {"kind": "organization", "value": t.org_arn}) with input as inp
	trust.account_in_grantee(t.member, {"kind": "ou", "value": t.ou_arn}) with input as inp
	not trust.account_in_grantee(t.owner, {"kind": "ou", "value": t.ou_arn}) with input as inp
	not trust.account_in_grantee(t.outsider, {"kind": "organization", "value": t.org_arn}) with input as inp
}
