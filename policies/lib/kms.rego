# METADATA
# title: KMS keys through the access model
# description: |
#   Asks the access model (Go package access, through the amiaudit.cannot_launch
#   and amiaudit.key_users builtins) who can use a key, the way AWS evaluates
#   key policies and grants: explicit Deny first, then Allow, else implicit
#   deny, with three outcomes (allowed, denied, undetermined). See
#   docs/access-model.md.
package amiaudit.lib.kms

import data.amiaudit.lib.trust

customer_managed(key) if key.key_manager == "CUSTOMER"

aws_managed(key) if key.key_manager == "AWS"

# aws_ebs_key_alias is the alias of the AWS managed key for EBS; Go's
# snapshot.AWSManagedEBSKeyAlias, held equal to it by a test (rules/rego_test.go).
aws_ebs_key_alias := "alias/aws/ebs"

aws_managed(key) if aws_ebs_key_alias in object.get(key, "aliases", [])

# policy_known is false for a key whose policy could not be read: no rule
# guesses what it allows (SCAN-001 reports the AMIs it encrypts).
policy_known(key) if object.get(key, "policy", "") != ""

policy_known(key) if count(object.get(key, "policy_statements", [])) > 0

# used is true for keys that encrypt at least one collected AMI or snapshot.
used(key) if input.index.key_users[key.arn]

# cannot_launch lists the accounts a launch permission grantee ({kind, value})
# covers that cannot (denied) or may not (undetermined) use the key to launch:
# the account itself, each member of the scanned organization under an
# organization or OU grantee, nested OUs included, or one witness account for
# a foreign organization or OU. Empty when every one can.
cannot_launch(key, g) := amiaudit.cannot_launch(key, input.organization, g)

# users lists the access model's witnesses that can (allowed) or may
# (undetermined) use the key, among every account, organization and OU the
# policy or a grant names, an unnamed account outside every organization and
# one of an unnamed foreign organization.
users(key) := amiaudit.key_users(key, input.organization, trusted_ids)

# trusted_ids are the IDs an unnamed witness must not be, computed once.
trusted_ids := trust.trusted_accounts | trust.trusted_org_ids

# decided says which statement or grant decided, for messages.
decided(r) := sprintf("statement %q", [r.statement]) if {
	r.statement != ""
	not startswith(r.statement, "grant ")
} else := r.statement if {
	r.statement != ""
} else := "no statement of the key policy and no grant allows it"

# explain is the evaluator's reason: it names the statement or grant that
# decided, or for an implicit deny the Allow a condition kept from applying.
explain(r) := r.reason if r.reason != ""
else := decided(r)

# undetermined_because names the condition an undetermined answer depends on.
undetermined_because(r) := sprintf("%s depends on %s, which the snapshot cannot tell", [decided(r), r.condition]) if {
	r.condition != ""
} else := r.reason
