package amiaudit.rules.ami.public_test

import data.amiaudit.rules.ami.public
import data.amiaudit.testing as t

test_public_flag_fires if {
	doc := {"images": [t.image("ami-0a", {"public": true, "launch_permissions": [{"group": "all"}]})]}
	fs := public.findings with input as t.prepare(doc)
	count(fs) == 1
	some f in fs
	f.resource.id == "ami-0a"
	f.resource.arn == "arn:aws:ec2:us-east-1::image/ami-0a"
}

test_group_all_without_flag_fires if {
	doc := {"images": [t.image("ami-0a", {"launch_permissions": [{"group": "all"}]})]}
	count(public.findings) == 1 with input as t.prepare(doc)
}

test_private_and_account_shares_do_not_fire if {
	doc := {"images": [
		t.image("ami-0a", {}),
		t.image("ami-0b", {"launch_permissions": [{"user_id": t.outsider}, {"organization_arn": t.org_arn}]}),
	]}
	count(public.findings) == 0 with input as t.prepare(doc)
}
