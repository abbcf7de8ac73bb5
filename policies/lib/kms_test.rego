package amiaudit.lib.kms_test

import data.amiaudit.lib.kms
import data.amiaudit.testing as t

test_policy_known_reads_the_raw_policy if {
	kms.policy_known(t.key("k1", {"policy": json.marshal(t.policy([t.owner_statement]))}))
	not kms.policy_known(t.key("k1", {}))
}

test_decided_names_sid_index_or_grant if {
	kms.decided({"statement": "AllowOrg"}) == "statement \"AllowOrg\""
	kms.decided({"statement": "Statement[2]"}) == "statement \"Statement[2]\""
	kms.decided({"statement": "grant g1"}) == "grant g1"
	kms.decided({"statement": ""}) == "no statement of the key policy and no grant allows it"
}

test_cannot_launch_lists_only_accounts_that_cannot if {
	st := {"Sid": "Member", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:root"}, "Action": "kms:*", "Resource": "*"}
	key := t.key("k1", {"policy": json.marshal(t.policy([t.owner_statement, st]))})
	count(kms.cannot_launch(key, {"kind": "account", "value": t.member})) == 0 with input as t.prepare({"organization": t.organization})
	[r] := kms.cannot_launch(key, {"kind": "account", "value": t.outsider}) with input as t.prepare({"organization": t.organization})
	r.outcome == "denied"
	r.account == t.outsider
	count(r.missing) == 7
}

test_users_lists_who_can_or_may if {
	st := {"Sid": "AllButOne", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringNotEquals": {"kms:CallerAccount": "999988887777"}}}
	key := t.key("k1", {"policy": json.marshal(t.policy([t.owner_statement, st]))})
	ws := kms.users(key) with input as t.prepare({"organization": t.organization})
	kinds := {w.kind | some w in ws}
	kinds == {"unnamed-account", "unnamed-organization"}
	every w in ws {
		w.outcome == "allowed"
		w.statement == "AllButOne"
	}
}
