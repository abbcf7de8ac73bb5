package amiaudit.rules.ami.untrusted_account_test

import data.amiaudit.rules.ami.untrusted_account as rule
import data.amiaudit.testing as t

shared_with(accounts) := {"images": [t.image("ami-0a", {"launch_permissions": [{"user_id": a} | some a in accounts]})]}

test_outsider_fires_with_org_known if {
	fs := rule.findings with input as t.prepare(object.union(shared_with([t.outsider, t.member]), {"organization": t.organization}))
	count(fs) == 1
	some f in fs
	f.evidence.grantee == t.outsider
	contains(f.message, "not a member of organization o-exampleorg1")
}

test_org_member_and_configured_account_are_trusted if {
	doc := object.union(shared_with([t.member, "333333333333"]), {
		"organization": t.organization,
		"config": {"trusted_accounts": ["333333333333"]},
	})
	count(rule.findings) == 0 with input as t.prepare(doc)
}

test_unknown_org_makes_member_untrusted_and_says_why if {
	fs := rule.findings with input as t.prepare(shared_with([t.member]))
	count(fs) == 1
	some f in fs
	contains(f.message, "organization could not be read")
	f.evidence.organization_known == false
}

test_org_and_public_grants_are_not_this_rule if {
	doc := {"images": [t.image("ami-0a", {"public": true, "launch_permissions": [{"group": "all"}, {"organization_arn": t.foreign_org_arn}]})]}
	count(rule.findings) == 0 with input as t.prepare(doc)
}
