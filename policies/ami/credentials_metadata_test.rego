package amiaudit.rules.ami.credentials_metadata_test

import data.amiaudit.rules.ami.credentials_metadata as rule
import data.amiaudit.testing as t

# Built from pieces so that secret scanners do not flag this file.
fake_key_id := concat("", ["AKIA", "Q3ZT7XPLMN2W4RVB"])

test_access_key_in_description_fires_redacted if {
	doc := {"images": [t.image("ami-0a", {"description": sprintf("build with %s", [fake_key_id])})]}
	fs := rule.findings with input as t.prepare(doc)
	count(fs) == 1
	some f in fs
	f.evidence.field == "description"
	f.evidence.detector == "aws-access-key-id"
	not contains(f.message, fake_key_id)
	not contains(json.marshal(f.evidence), fake_key_id)
}

test_private_key_in_tag_value_fires if {
	doc := {"images": [t.image("ami-0a", {"tags": [{"key": "bootstrap", "value": "-----BEGIN RSA PRIVATE KEY-----\nMIIE"}]})]}
	fs := rule.findings with input as t.prepare(doc)
	some f in fs
	f.evidence.field == "tags[0].value"
}

test_clean_metadata_does_not_fire if {
	doc := {"images": [t.image("ami-0123456789abcdef0", {
		"name": "amzn2-ami-kernel-5.10-hvm-2.0.20240131.0-x86_64-gp2",
		"description": "Built from ami-0abcdef1234567890 snap-0123456789abcdef0 by Packer",
		"tags": [{"key": "build-id", "value": "5f0c2e0e-3b7a-4c1e-9a77-0e3c1b2a9d4f"}],
	})]}
	count(rule.findings) == 0 with input as t.prepare(doc)
}

# The collector masks the key in the description and records it in
# detections: the finding is the one the raw description gives.
test_masked_description_fires_from_detections if {
	raw := {"images": [t.image("ami-0a", {"description": sprintf("build with %s", [fake_key_id])})]}
	redacted := "AKIA…sha256:0123456789ab"
	masked := {"images": [t.image("ami-0a", {
		"description": sprintf("build with %s", [redacted]),
		"detections": [{"field": "description", "detector": "aws-access-key-id", "description": "AWS access key ID", "redacted": redacted, "line": 1}],
	})]}
	fs := rule.findings with input as t.prepare(masked)
	count(fs) == 1
	some f in fs
	f.evidence == {"field": "description", "detector": "aws-access-key-id", "redacted": redacted, "line": 1}
	some g in rule.findings with input as t.prepare(raw)
	f.message == replace(g.message, g.evidence.redacted, redacted)
}

# A password whose value is a redacted form is not a password: masking never
# makes a second finding.
test_redacted_form_is_not_a_credential if {
	doc := {"images": [t.image("ami-0a", {"tags": [{"key": "DB_PASSWORD", "value": "hunt…sha256:0123456789ab"}]})]}
	count(rule.findings) == 0 with input as t.prepare(doc)
}
