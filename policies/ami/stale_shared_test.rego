package amiaudit.rules.ami.stale_shared_test

import data.amiaudit.rules.ami.stale_shared as rule
import data.amiaudit.testing as t

doc(extra) := {
	"collected_at": "2026-06-01T00:00:00Z",
	"images": [t.image("ami-0a", object.union({"launch_permissions": [{"user_id": t.member}]}, extra))],
}

test_old_shared_without_deprecation_fires if {
	fs := rule.findings with input as t.prepare(doc({"creation_date": "2025-01-01T00:00:00Z"}))
	count(fs) == 1
	some f in fs
	f.evidence.age_days == 516
}

test_threshold_from_config if {
	d := object.union(doc({"creation_date": "2026-03-01T00:00:00Z"}), {"config": {"max_shared_image_age_days": 30}})
	count(rule.findings) == 1 with input as t.prepare(d)
	count(rule.findings) == 0 with input as t.prepare(doc({"creation_date": "2026-03-01T00:00:00Z"}))
}

test_past_deprecation_fires if {
	d := doc({"creation_date": "2026-05-01T00:00:00Z", "deprecation_time": "2026-05-20T00:00:00Z"})
	fs := rule.findings with input as t.prepare(d)
	count(fs) == 1
	some f in fs
	f.evidence.deprecation_time == "2026-05-20T00:00:00Z"
}

test_old_with_future_deprecation_does_not_fire if {
	d := doc({"creation_date": "2024-01-01T00:00:00Z", "deprecation_time": "2026-12-01T00:00:00Z"})
	count(rule.findings) == 0 with input as t.prepare(d)
}

test_unshared_old_image_does_not_fire if {
	d := {"images": [t.image("ami-0a", {"creation_date": "2020-01-01T00:00:00Z"})]}
	count(rule.findings) == 0 with input as t.prepare(d)
}
