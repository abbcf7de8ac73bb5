package amiaudit.lib.kms_test

import data.amiaudit.lib.kms
import data.amiaudit.testing as t

test_action_wildcards if {
	kms.statement_allows_action({"actions": ["kms:reencrypt*"]}, "kms:reencryptfrom")
	kms.statement_allows_action({"actions": ["*"]}, "kms:decrypt")
	not kms.statement_allows_action({"actions": ["kms:describe*"]}, "kms:decrypt")
	kms.statement_allows_action({"not_actions": ["kms:encrypt"]}, "kms:decrypt")
	not kms.statement_allows_action({"not_actions": ["kms:*"]}, "kms:decrypt")
}

test_conditioned_wildcard_admits_only_named_accounts if {
	st := {"principals": [{"type": "AWS", "value": "*", "wildcard": true}], "conditions": [{"operator": "StringEquals", "key": "kms:calleraccount", "values": [t.member]}]}
	kms.statement_covers_account(st, t.member)
	not kms.statement_covers_account(st, t.outsider)
}

test_org_paths if {
	kms.path_covers("o-exampleorg1/*", "o-exampleorg1", "")
	kms.path_covers("o-exampleorg1/r-ab12/ou-ab12-cdefgh34/*", "o-exampleorg1", "ou-ab12-cdefgh34")
	not kms.path_covers("o-exampleorg1/r-ab12/ou-ab12-cdefgh34/*", "o-exampleorg1", "")
	not kms.path_covers("o-other/*", "o-exampleorg1", "")
}
