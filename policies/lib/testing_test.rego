# Test fixtures and a Rego twin of rules.Input, so that each rule's tests can
# state a snapshot-shaped input and get the indexes the engine adds. A Go test
# (rules/input_test.go) checks that this twin and rules.Input agree.
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

default_config := {
	"trusted_accounts": [],
	"trusted_organizations": [],
	"trusted_ous": [],
	"max_shared_image_age_days": 365,
	"policy_data": {},
	"max_unused_shared_image_days": 180,
}

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

# prepare turns a snapshot-shaped document into the engine's input.
prepare(doc) := object.union(base, derived) if {
	given := object.union(
		{"partition": "aws", "organization": null, "account_regions": [], "images": [], "snapshots": [], "keys": [], "errors": [], "proposed": [], "deep_scans": [], "recycle_bin_images": [], "recycle_bin_snapshots": [], "collected_at": "2026-06-01T00:00:00Z"},
		doc,
	)
	partition := given.partition
	images := [object.union({"arn": sprintf("arn:%s:ec2:%s::image/%s", [partition, i.region, i.id])}, i) | some i in given.images]
	snaps := [object.union({"arn": sprintf("arn:%s:ec2:%s::snapshot/%s", [partition, s.region, s.id])}, s) | some s in given.snapshots]
	base := object.union(given, {"images": images, "snapshots": snaps})
	derived := {
		"now_ns": time.parse_rfc3339_ns(given.collected_at),
		"config": object.union(default_config, object.get(doc, "config", {})),
		"shared_images": [i | some i in images; shared(i)],
		"shared_snapshots": [s | some s in snaps; count(s.create_volume_permissions) > 0],
		"index": {
			"images": {sprintf("%s/%s", [i.region, i.id]): i | some i in images},
			"snapshots": {sprintf("%s/%s", [s.region, s.id]): s | some s in snaps},
			"keys": {k.arn: k | some k in given.keys},
			"images_by_snapshot": images_by_snapshot(images),
			"registered_snapshots": registered_snapshots(images),
			"key_users": key_users(images, snaps),
			"account_regions": {sprintf("%s/%s", [ar.account, ar.region]): ar | some ar in given.account_regions},
			"recycle_bin_images": {sprintf("%s/%s", [b.region, b.id]): b | some b in given.recycle_bin_images},
			"failed_actions": {k: actions |
				some e in given.errors
				k := sprintf("%s/%s", [object.get(e, "account", ""), object.get(e, "region", "")])
				actions := [x.action |
					some x in given.errors
					sprintf("%s/%s", [object.get(x, "account", ""), object.get(x, "region", "")]) == k
				]
			},
		},
	}
}

shared(i) if count(i.launch_permissions) > 0

shared(i) if i.public

registered_snapshots(images) := {id: regions |
	some i in images
	some b in i.block_device_mappings
	id := b.snapshot_id
	regions := sort({j.region |
		some j in images
		object.get(j, "state", "") != "deregistered"
		some c in j.block_device_mappings
		object.get(c, "snapshot_id", "") == id
	})
	count(regions) > 0
}

images_by_snapshot(images) := {k: ids |
	some i in images
	some b in i.block_device_mappings
	b.snapshot_id
	k := sprintf("%s/%s", [i.region, b.snapshot_id])
	ids := [j.id |
		some j in images
		some c in j.block_device_mappings
		sprintf("%s/%s", [j.region, object.get(c, "snapshot_id", "")]) == k
	]
}

image_key(i, b, snaps_by_id) := k if {
	s := snaps_by_id[sprintf("%s/%s", [i.region, b.snapshot_id])]
	s.encrypted
	k := s.kms_key_id
} else := k if {
	not snaps_by_id[sprintf("%s/%s", [i.region, b.snapshot_id])]
	k := b.kms_key_id
}

key_users(images, snaps) := {arn: {"images": sort(image_ids), "snapshots": sort(snap_ids)} |
	snaps_by_id := {sprintf("%s/%s", [s.region, s.id]): s | some s in snaps}
	used := {k |
		some i in images
		some b in i.block_device_mappings
		k := image_key(i, b, snaps_by_id)
	} | {s.kms_key_id | some s in snaps; s.encrypted}
	some arn in used
	image_ids := {i.id |
		some i in images
		some b in i.block_device_mappings
		image_key(i, b, snaps_by_id) == arn
	}
	snap_ids := {s.id | some s in snaps; s.encrypted; s.kms_key_id == arn}
}
