# METADATA
# title: Part of the scope could not be read
# description: |
#   The collector could not read part of the requested scope (access denied,
#   region not enabled, throttled past retries, timeout). The finding names the
#   account, region and API call. An audit never passes silently over what it
#   could not see; in gate mode this fails the gate.
# custom:
#   id: SCAN-001
#   severity: high
#   fingerprint: []
#   scope: region
#   remediation: |
#     Give the scanning role the permission named in the finding (docs/iam-policy.json
#     lists them all), enable the region, or re-run when AWS no longer throttles;
#     then scan again.
#   references:
#     - https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
package amiaudit.rules.coverage.scope_unreadable

findings contains f if {
	some e in input.errors
	account := object.get(e, "account", "")
	region := object.get(e, "region", "")
	target := object.get(e, "resource", "")
	f := {
		"resource": {
			"type": "scope",
			"id": concat(" ", [x | some x in [sprintf("%s:%s", [e.service, e.action]), target]; x != ""]),
			"arn": sprintf("arn:%s:%s:%s:%s:amiaudit-scope/%s%s", [input.partition, e.service, region, account, e.action, suffix(target)]),
			"account": account,
			"region": region,
		},
		"message": sprintf("Could not read %s: %s:%s failed with %s (%s).", [where(account, region, target), e.service, e.action, e.code, e.message]),
		"evidence": {"service": e.service, "action": e.action, "code": e.code, "error": e.message},
	}
}

suffix(t) := "" if t == ""
else := sprintf("/%s", [t])

where(account, region, target) := concat(", ", [x |
	some x in [labelled("account", account), labelled("region", region), target]
	x != ""
])

labelled(label, value) := "" if value == ""
else := sprintf("%s %s", [label, value])
