package amiaudit.rules.snapshot.credentials_metadata_test

import data.amiaudit.rules.snapshot.credentials_metadata as rule
import data.amiaudit.testing as t

test_password_in_description_fires if {
	doc := {"snapshots": [t.snapshot("snap-0a", {"description": concat("", ["db backup password=", "Tr0ub4dor&3xyz"])})]}
	fs := rule.findings with input as t.prepare(doc)
	count(fs) == 1
	some f in fs
	f.evidence.detector == "password-assignment"
	not contains(f.message, "Tr0ub4dor&3xyz")
}

test_clean_description_does_not_fire if {
	doc := {"snapshots": [t.snapshot("snap-0a", {"description": "Created by CreateImage(i-0123456789abcdef0) for ami-0123456789abcdef0 from vol-0123"})]}
	count(rule.findings) == 0 with input as t.prepare(doc)
}

test_password_split_across_tag_key_and_value if {
	doc := {"snapshots": [t.snapshot("snap-0a", {"tags": [{"key": "Name", "value": "db"}, {"key": "DB_PASSWORD", "value": concat("", ["s3cr3t-", "Pa55w0rd!"])}]})]}
	fs := rule.findings with input as t.prepare(doc)
	count(fs) == 1
	some f in fs
	f.evidence.field == "tags[1].value"
}

# A credential the collector masked in a tag value is found in detections.
test_masked_tag_fires_from_detections if {
	redacted := "Orde…sha256:931c43c756d8"
	doc := {"snapshots": [t.snapshot("snap-0a", {
		"tags": [{"key": "DB_PASSWORD", "value": redacted}],
		"detections": [{"field": "tags[0].value", "detector": "password-assignment", "description": "Password assigned in configuration, code or a command line", "redacted": redacted, "line": 1}],
	})]}
	fs := rule.findings with input as t.prepare(doc)
	count(fs) == 1
	some f in fs
	f.evidence.field == "tags[0].value"
	f.evidence.redacted == redacted
}
