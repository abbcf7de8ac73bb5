package amiaudit.rules.ami.unused_share_test

import data.amiaudit.rules.ami.unused_share as rule
import data.amiaudit.testing as t

# collected_at is 2026-06-01 in t.prepare.
shared(extra) := t.image("ami-0a", object.union({"launch_permissions": [{"user_id": t.member}], "creation_date": "2024-01-01T00:00:00Z"}, extra))

findings(img, config) := fs if {
	fs := rule.findings with input as t.prepare({"images": [img], "config": config})
}

test_unused_share_fires if {
	fs := findings(shared({"last_launched_time": "2025-11-01T00:00:00Z"}), {})
	count(fs) == 1
	some f in fs
	f.evidence.idle_days == 212
	contains(f.message, "last used to launch an instance on 2025-11-01")
}

test_recent_launch_passes if {
	count(findings(shared({"last_launched_time": "2026-05-20T00:00:00Z"}), {})) == 0
}

test_threshold_comes_from_config if {
	count(findings(shared({"last_launched_time": "2026-03-01T00:00:00Z"}), {})) == 0
	count(findings(shared({"last_launched_time": "2026-03-01T00:00:00Z"}), {"max_unused_shared_image_days": 30})) == 1
}

test_never_launched_and_old_fires if {
	fs := findings(shared({}), {})
	some f in fs
	f.evidence.last_launched_time == null
	contains(f.message, "no recorded launch")
}

test_never_launched_but_young_passes if {
	count(findings(shared({"creation_date": "2026-05-01T00:00:00Z"}), {})) == 0
}

test_public_image_fires_and_says_public if {
	img := t.image("ami-0b", {"public": true, "launch_permissions": [{"group": "all"}], "last_launched_time": "2024-06-01T00:00:00Z"})
	some f in findings(img, {})
	contains(f.message, "is public")
}

test_private_image_is_not_judged if {
	count(findings(t.image("ami-0c", {"creation_date": "2020-01-01T00:00:00Z"}), {})) == 0
}
