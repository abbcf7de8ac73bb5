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

test_launch_access_account_allowed_by_root_principal if {
	st := {"Sid": "Member", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:root"}, "Action": "kms:*", "Resource": "*"}
	key := t.key("k1", {"policy": json.marshal(t.policy([t.owner_statement, st]))})
	[r] := kms.launch_access(key, {"kind": "account", "value": t.member}) with input as t.prepare({"organization": t.organization})
	r.outcome == "allowed"
	r.statement == "Member"
}
