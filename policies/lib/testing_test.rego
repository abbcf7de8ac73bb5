# Test fixtures for the rules' tests: accounts, an organization, key policy
# statements, images, snapshots and keys, and prepare, which turns a
# snapshot-shaped document into the engine's input with the Go code that
# builds it for a real evaluation.
package amiaudit.testing

owner := "111111111111"

member := "222222222222"

outsider := "999999999999"

org_id := "o-exampleorg1"

org_arn := "arn:aws:organizations::111111111111:organization/o-exampleorg1"

ou_arn := "arn:aws:organizations::111111111111:ou/o-exampleorg1/ou-ab12-cdefgh34"

foreign_org_arn := "arn:aws:organizations::888888888888:organization/o-foreignorg99"

region := "us-east-1"

organization := {
	"id": org_id,
	"arn": org_arn,
	"management_account": owner,
	"accounts": [
		{"id": owner, "parent_ou": "r-ab12"},
		{"id": member, "parent_ou": "ou-ab12-cdefgh34"},
	],
	"organizational_units": [{"id": "ou-ab12-cdefgh34", "arn": ou_arn, "parent": "r-ab12"}],
}

# nested_member sits in child_ou, an OU inside ou-ab12-cdefgh34 (ou_arn).
nested_member := "333333333333"

child_ou := "ou-ab12-child0001"

child_ou_arn := "arn:aws:organizations::111111111111:ou/o-exampleorg1/ou-ab12-child0001"

nested_organization := object.union(organization, {
	"accounts": array.concat(organization.accounts, [{"id": nested_member, "parent_ou": child_ou}]),
	"organizational_units": array.concat(organization.organizational_units, [{"id": child_ou, "arn": child_ou_arn, "parent": "ou-ab12-cdefgh34"}]),
})

# policy wraps key policy statements, written as AWS takes them, in a document;
# a key fixture carries it as json.marshal(policy([…])) in "policy".
policy(statements) := {"Version": "2012-10-17", "Statement": statements}

# owner_statement is the default key policy's first statement
# (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
owner_statement := {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "kms:*", "Resource": "*"}

# launch_actions are the actions AWS documents for users of a shared key
# (https://docs.aws.amazon.com/ebs/latest/userguide/share-kms-key.html).
launch_actions := ["kms:DescribeKey", "kms:CreateGrant", "kms:GenerateDataKey*", "kms:ReEncrypt*", "kms:Decrypt"]

image(id, extra) := object.union(
	{"id": id, "account": owner, "region": region, "launch_permissions": [], "block_device_mappings": []},
	extra,
)

snapshot(id, extra) := object.union(
	{"id": id, "account": owner, "region": region, "create_volume_permissions": []},
	extra,
)

key_arn(id) := sprintf("arn:aws:kms:%s:%s:key/%s", [region, owner, id])

key(id, extra) := object.union(
	{"arn": key_arn(id), "id": id, "account": owner, "region": region, "key_manager": "CUSTOMER", "key_state": "Enabled", "grants": []},
	extra,
)

bdm(snap_id) := {"device_name": "/dev/xvda", "snapshot_id": snap_id}

# collected_at is when a fixture's snapshot was collected, unless it says.
collected_at := "2026-06-01T00:00:00Z"

# prepare turns a snapshot-shaped document, with an optional "config" holding
# configuration file keys, into the engine's input. amiaudit.test_input is
# registered by the Go test runner (rules/testinput_test.go): it decodes doc
# as a snapshot file and config as a configuration file are decoded, and
# returns what rules.Input builds from them, indexes included. A fixture field
# the snapshot does not define, or a value it refuses, fails the test.
prepare(doc) := amiaudit.test_input(
	object.union({"collected_at": collected_at}, object.remove(doc, ["config"])),
	object.get(doc, "config", {}),
)
