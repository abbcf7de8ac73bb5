# METADATA
# title: Resource helpers
# description: Builds the resource objects of findings and looks resources up in the input indexes.
package amiaudit.lib.resources

image(img) := {"type": "ami", "id": img.id, "arn": img.arn, "account": img.account, "region": img.region}

snapshot(s) := {"type": "snapshot", "id": s.id, "arn": s.arn, "account": s.account, "region": s.region}

key(k) := {"type": "kms-key", "id": k.id, "arn": k.arn, "account": k.account, "region": k.region}

account_region(ar) := {
	"type": "account-region",
	"id": sprintf("%s/%s", [ar.account, ar.region]),
	"arn": sprintf("arn:%s:ec2:%s:%s:account-region", [input.partition, ar.region, ar.account]),
	"account": ar.account,
	"region": ar.region,
}

# shared is true when an AMI has any launch permission or is public.
shared(img) if count(img.launch_permissions) > 0

shared(img) if img.public

# grantees of an AMI as {kind, value}, "all" included.
grantees(img) := {g |
	some p in img.launch_permissions
	g := data.amiaudit.lib.trust.grantee(p)
} | {{"kind": "public", "value": "all"} | img.public}

# key_of finds the key behind a volume's kms_key_id (an ARN), if it was collected.
key_of(v) := input.index.keys[v.kms_key_id]

# images_unreadable is true when the AMIs of an account-region could not be listed,
# so the absence of an AMI there proves nothing.
images_unreadable(account, region) if "DescribeImages" in input.index.failed_actions[sprintf("%s/%s", [account, region])]

image_exists(region, id) if input.index.images[sprintf("%s/%s", [region, id])]

# volumes lists an AMI's EBS volumes with their encryption, taken from the
# snapshot when it was collected and from the block device mapping otherwise.
volumes(img) := [v |
	some bdm in img.block_device_mappings
	bdm.snapshot_id
	v := volume(img, bdm)
]

volume(img, bdm) := {
	"snapshot_id": bdm.snapshot_id,
	"encrypted": object.get(s, "encrypted", false),
	"kms_key_id": object.get(s, "kms_key_id", ""),
	"snapshot": s,
} if {
	s := input.index.snapshots[sprintf("%s/%s", [img.region, bdm.snapshot_id])]
} else := {
	"snapshot_id": bdm.snapshot_id,
	"encrypted": object.get(bdm, "encrypted", false),
	"kms_key_id": object.get(bdm, "kms_key_id", ""),
}
