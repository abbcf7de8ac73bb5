package amiaudit.rules.coverage.scope_unreadable_test

import data.amiaudit.rules.coverage.scope_unreadable as rule
import data.amiaudit.testing as t

test_each_error_is_a_finding if {
	doc := {"errors": [
		{"account": t.owner, "region": "ap-east-1", "service": "ec2", "action": "DescribeImages", "code": "OptInRequired", "message": "region not enabled"},
		{"account": t.member, "region": t.region, "service": "kms", "action": "GetKeyPolicy", "resource": "k1", "code": "AccessDeniedException", "message": "denied"},
		{"account": t.outsider, "service": "sts", "action": "AssumeRole", "code": "AccessDenied", "message": "not authorized"},
	]}
	fs := rule.findings with input as t.prepare(doc)
	count(fs) == 3
	arns := {f.resource.arn | some f in fs}
	arns == {
		"arn:aws:ec2:ap-east-1:111111111111:amiaudit-scope/DescribeImages",
		"arn:aws:kms:us-east-1:222222222222:amiaudit-scope/GetKeyPolicy/k1",
		"arn:aws:sts::999999999999:amiaudit-scope/AssumeRole",
	}
	some f in fs
	f.evidence.action == "AssumeRole"
	f.message == "Could not read account 999999999999: sts:AssumeRole failed with AccessDenied (not authorized)."
}

test_no_errors_no_findings if {
	count(rule.findings) == 0 with input as t.prepare({})
}
