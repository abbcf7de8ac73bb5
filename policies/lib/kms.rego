# METADATA
# title: KMS key policy analysis
# description: |
#   Reads normalised key policy statements and grants (see the snapshot
#   document) and answers who may use a key for what. Actions are lower-cased
#   and may hold wildcards; Allow needs a matching statement or grant, and an
#   unconditional Deny that matches takes it away.
package amiaudit.lib.kms

# Launching an instance from an AMI with encrypted snapshots needs all of these
# on the snapshot's key (AWS: "Share a KMS key for use with EBS snapshots").
launch_actions := {
	"kms:creategrant",
	"kms:decrypt",
	"kms:describekey",
	"kms:generatedatakeywithoutplaintext",
	"kms:reencryptfrom",
	"kms:reencryptto",
}

# Any of these is "use" of a key.
use_actions := {
	"kms:creategrant",
	"kms:decrypt",
	"kms:encrypt",
	"kms:generatedatakey",
	"kms:generatedatakeywithoutplaintext",
	"kms:reencryptfrom",
	"kms:reencryptto",
}

# Condition keys that restrict a wildcard principal to known accounts.
restricting_condition_keys := {
	"aws:principalorgid",
	"aws:principalorgpaths",
	"aws:principalaccount",
	"aws:sourceaccount",
	"kms:calleraccount",
	"aws:principalarn",
}

account_condition_keys := {"aws:principalaccount", "aws:sourceaccount", "kms:calleraccount"}

statement_allows_action(st, action) if {
	some pattern in st.actions
	glob.match(pattern, [], action)
}

statement_allows_action(st, action) if {
	count(object.get(st, "not_actions", [])) > 0
	not action_in(st.not_actions, action)
}

action_in(patterns, action) if {
	some pattern in patterns
	glob.match(pattern, [], action)
}

wildcard(st) if {
	some p in st.principals
	p.wildcard
}

conditions(st) := object.get(st, "conditions", [])

restricted(st) if {
	some c in conditions(st)
	c.key in restricting_condition_keys
}

# condition_values gathers the values a statement's conditions give a key.
condition_values(st, key) := {v |
	some c in conditions(st)
	c.key == key
	some v in c.values
}

# wildcard_admits_account is true when a wildcard statement's conditions let the
# account in: no restricting condition, or an account condition naming it, or a
# principal-ARN condition in it, or an organization condition naming its org.
wildcard_admits_account(st, _) if not restricted(st)

wildcard_admits_account(st, account) if {
	some key in account_condition_keys
	some v in condition_values(st, key)
	glob.match(v, [], account)
}

wildcard_admits_account(st, account) if {
	some v in condition_values(st, "aws:principalarn")
	glob.match(v, [], sprintf("arn:aws:iam::%s:root", [account]))
}

wildcard_admits_account(st, account) if {
	account in data.amiaudit.lib.trust.org_accounts
	some v in condition_values(st, "aws:principalorgid")
	glob.match(v, [], input.organization.id)
}

statement_covers_account(st, account) if {
	some p in st.principals
	p.account == account
}

statement_covers_account(st, account) if {
	wildcard(st)
	wildcard_admits_account(st, account)
}

# A Deny takes effect here only when it has no condition: conditions cannot be
# evaluated offline, and guessing would hide or invent findings.
denied(key, account, action) if {
	some st in object.get(key, "policy_statements", [])
	st.effect == "Deny"
	count(conditions(st)) == 0
	statement_allows_action(st, action)
	statement_covers_account(st, account)
}

policy_allows_account(key, account, action) if {
	some st in object.get(key, "policy_statements", [])
	st.effect == "Allow"
	statement_allows_action(st, action)
	statement_covers_account(st, account)
}

grant_allows_account(key, account, action) if {
	some g in key.grants
	g.grantee_account == account
	some op in g.operations
	lower(sprintf("kms:%s", [op])) == action
}

account_may(key, account, action) if {
	policy_allows_account(key, account, action)
	not denied(key, account, action)
}

account_may(key, account, action) if {
	grant_allows_account(key, account, action)
	not denied(key, account, action)
}

# org_may: an organization (or an OU of it) may use the key when a wildcard
# statement is conditioned on its aws:PrincipalOrgID (or an org path that holds it).
org_may(key, org_id, _, action) if {
	some st in object.get(key, "policy_statements", [])
	st.effect == "Allow"
	wildcard(st)
	statement_allows_action(st, action)
	some v in condition_values(st, "aws:principalorgid")
	glob.match(v, [], org_id)
}

org_may(key, org_id, ou_id, action) if {
	some st in object.get(key, "policy_statements", [])
	st.effect == "Allow"
	wildcard(st)
	statement_allows_action(st, action)
	some v in condition_values(st, "aws:principalorgpaths")
	path_covers(v, org_id, ou_id)
}

# An org path is o-xxx/r-xxxx/ou-xxx/…/, possibly with wildcards. One that names
# no OU covers the whole organization; one that names an OU covers that OU.
path_covers(v, org_id, _) if {
	startswith(v, sprintf("%s/", [org_id]))
	not contains(v, "/ou-")
}

path_covers(v, org_id, ou_id) if {
	ou_id != ""
	startswith(v, sprintf("%s/", [org_id]))
	contains(v, sprintf("/%s/", [ou_id]))
}

# missing_launch_actions lists what a grantee lacks to launch from the key.
missing_launch_actions(key, g) := {a |
	some a in launch_actions
	not grantee_may(key, g, a)
}

grantee_may(key, g, action) if {
	g.kind == "account"
	account_may(key, g.value, action)
}

grantee_may(key, g, action) if {
	g.kind == "organization"
	org_may(key, data.amiaudit.lib.trust.org_id_of(g.value), "", action)
}

grantee_may(key, g, action) if {
	g.kind == "ou"
	org_may(key, data.amiaudit.lib.trust.org_id_of(g.value), data.amiaudit.lib.trust.ou_id_of(g.value), action)
}

customer_managed(key) if key.key_manager == "CUSTOMER"

# policy_known is false for a key whose policy could not be read: no rule
# guesses what it allows.
policy_known(key) if count(object.get(key, "policy_statements", [])) > 0

aws_managed(key) if key.key_manager == "AWS"

aws_managed(key) if "alias/aws/ebs" in object.get(key, "aliases", [])

# used is true for keys that encrypt at least one collected AMI or snapshot.
used(key) if input.index.key_users[key.arn]

# principals_using lists the accounts and organizations outside the key's own
# account that the key policy or grants let use the key, each with where it came from.
outside_users(key) := {u |
	some i, st in object.get(key, "policy_statements", [])
	st.effect == "Allow"
	some action in use_actions
	statement_allows_action(st, action)
	some u in statement_outside_users(st, i, key)
} | {u |
	some g in key.grants
	g.grantee_account != ""
	g.grantee_account != key.account
	some op in g.operations
	lower(sprintf("kms:%s", [op])) in use_actions
	u := {"kind": "account", "value": g.grantee_account, "via": sprintf("grant %s", [g.grant_id])}
}

statement_outside_users(st, i, key) := {u |
	some p in st.principals
	p.account != ""
	p.account != key.account
	u := {"kind": "account", "value": p.account, "via": statement_name(st, i)}
} | {u |
	wildcard(st)
	some ck in account_condition_keys
	some v in condition_values(st, ck)
	v != key.account
	u := {"kind": "account", "value": v, "via": statement_name(st, i)}
} | {u |
	wildcard(st)
	some v in condition_values(st, "aws:principalorgid")
	u := {"kind": "organization-id", "value": v, "via": statement_name(st, i)}
}

statement_name(st, i) := sprintf("statement %q", [st.sid]) if st.sid
else := sprintf("statement #%d", [i])
