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

outside_key := "arn:aws:kms:us-east-1:777777777777:key/k-central"

encrypted_image(key_arn) := {
	"images": [t.image("ami-0a", {"launch_permissions": [{"user_id": t.member}], "block_device_mappings": [t.bdm("snap-0a")]})],
	"snapshots": [t.snapshot("snap-0a", {"encrypted": true, "kms_key_id": key_arn})],
}

# Why (issue 9): an AMI whose key lives in an account outside the scope, never
# described, is not passed silently.
test_key_outside_scope_names_key_and_ami if {
	fs := rule.findings with input as t.prepare(encrypted_image(outside_key))
	count(fs) == 1
	some f in fs
	f.resource.id == "ami-0a"
	f.evidence.kms_key_arn == outside_key
	contains(f.message, "AMI ami-0a")
	contains(f.message, "777777777777 was not scanned")
}

test_key_described_but_policy_unread if {
	key := {"arn": outside_key, "id": "k-central", "account": "777777777777", "region": t.region, "key_manager": "CUSTOMER", "key_state": "Enabled", "grants": []}
	fs := rule.findings with input as t.prepare(object.union(encrypted_image(outside_key), {"keys": [key]}))
	some f in fs
	contains(f.evidence.reason, "can be read only by the key's own account")
}

test_get_key_policy_denied_is_named if {
	d := object.union(encrypted_image(t.key_arn("k1")), {
		"keys": [t.key("k1", {})],
		"errors": [{"account": t.owner, "region": t.region, "service": "kms", "action": "GetKeyPolicy", "resource": "k1", "code": "AccessDeniedException", "message": "denied"}],
	})
	fs := rule.findings with input as t.prepare(d)
	count(fs) == 2
	some f in fs
	f.resource.type == "ami"
	f.evidence.reason == "GetKeyPolicy failed with AccessDeniedException"
}

test_readable_and_aws_managed_keys_are_fine if {
	readable := object.union(encrypted_image(t.key_arn("k1")), {"keys": [t.key("k1", {"policy": json.marshal(t.policy([t.owner_statement]))})]})
	count(rule.findings) == 0 with input as t.prepare(readable)
	managed := object.union(encrypted_image(t.key_arn("k1")), {"keys": [t.key("k1", {"key_manager": "AWS"})]})
	count(rule.findings) == 0 with input as t.prepare(managed)
}
