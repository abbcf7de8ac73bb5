package amiaudit.rules.ami.untrusted_org_test

import data.amiaudit.rules.ami.untrusted_org as rule
import data.amiaudit.testing as t

shared_with(perms) := {"organization": t.organization, "images": [t.image("ami-0a", {"launch_permissions": perms})]}

test_foreign_org_fires if {
	fs := rule.findings with input as t.prepare(shared_with([{"organization_arn": t.foreign_org_arn}]))
	count(fs) == 1
	some f in fs
	f.evidence.grantee_kind == "organization"
	contains(f.message, "o-foreignorg99")
}

test_foreign_ou_fires if {
	ou := "arn:aws:organizations::888888888888:ou/o-foreignorg99/ou-zz99-abcdefgh"
	fs := rule.findings with input as t.prepare(shared_with([{"organizational_unit_arn": ou}]))
	count(fs) == 1
}

test_own_org_and_its_ou_are_trusted if {
	doc := shared_with([{"organization_arn": t.org_arn}, {"organizational_unit_arn": t.ou_arn}])
	count(rule.findings) == 0 with input as t.prepare(doc)
}

test_configured_org_and_ou_are_trusted if {
	ou := "arn:aws:organizations::777777777777:ou/o-partnerorg77/ou-pp77-abcdefgh"
	doc := {
		"images": [t.image("ami-0a", {"launch_permissions": [{"organization_arn": t.foreign_org_arn}, {"organizational_unit_arn": ou}]})],
		"config": {"trusted_organizations": ["o-foreignorg99"], "trusted_ous": [ou]},
	}
	count(rule.findings) == 0 with input as t.prepare(doc)
}

test_own_org_untrusted_when_org_unknown if {
	doc := {"images": [t.image("ami-0a", {"launch_permissions": [{"organization_arn": t.org_arn}]})]}
	count(rule.findings) == 1 with input as t.prepare(doc)
}
