package amiaudit.rules.ami.credentials_on_disk_test

import data.amiaudit.rules.ami.credentials_on_disk as rule
import data.amiaudit.testing as t

hit(path, detector) := {
	"snapshot_id": "snap-0a", "partition": "1", "path": path, "detector": detector,
	"description": "AWS access key ID", "redacted": "AKIA…sha256:0123456789ab", "line": 2,
}

scan(image_id, hits) := {
	"image_id": image_id, "account": "111122223333", "region": "us-east-1",
	"snapshot_ids": ["snap-0a"], "bytes_read": 1048576, "blocks_fetched": 2,
	"allocated_bytes": 4194304, "duration_ms": 10, "findings": hits,
}

shared_image := t.image("ami-0a", {"launch_permissions": [{"user_id": "999988887777"}]})

test_one_finding_per_hit_naming_snapshot_partition_path if {
	doc := {"images": [shared_image], "deep_scans": [scan("ami-0a", [
		hit("/root/.aws/credentials", "aws-access-key-id"),
		hit("/home/ubuntu/.bash_history", "password-assignment"),
	])]}
	fs := rule.findings with input as t.prepare(doc)
	count(fs) == 2
	some f in fs
	f.resource.id == "ami-0a"
	f.evidence.path == "/root/.aws/credentials"
	f.evidence.snapshot_id == "snap-0a"
	f.evidence.partition == "1"
	f.evidence.detector == "aws-access-key-id"
	contains(f.message, "/root/.aws/credentials")
	contains(f.message, "snap-0a")
}

test_authorized_keys_only_on_shared_images if {
	keys := [hit("/home/ubuntu/.ssh/authorized_keys", "ssh-authorized-keys")]
	shared := {"images": [shared_image], "deep_scans": [scan("ami-0a", keys)]}
	count(rule.findings) == 1 with input as t.prepare(shared)
	private := {"images": [t.image("ami-0a", {})], "deep_scans": [scan("ami-0a", keys)]}
	count(rule.findings) == 0 with input as t.prepare(private)
}

test_credentials_fire_on_unshared_images_too if {
	doc := {"images": [t.image("ami-0a", {})], "deep_scans": [scan("ami-0a", [hit("/etc/shadow", "unlocked-password-hash")])]}
	count(rule.findings) == 1 with input as t.prepare(doc)
}

test_no_deep_scan_no_finding if {
	count(rule.findings) == 0 with input as t.prepare({"images": [shared_image]})
}

test_clean_scan_no_finding if {
	doc := {"images": [shared_image], "deep_scans": [scan("ami-0a", [])]}
	count(rule.findings) == 0 with input as t.prepare(doc)
}
