# METADATA
# title: Trust model
# description: |
#   Decides whether a principal that an AMI, snapshot or key is shared with is
#   trusted: an account of the scanned organization, an account, organization
#   or OU listed in the configuration, or the scanned organization itself and
#   its OUs. Everything else, and "all", is untrusted.
package amiaudit.lib.trust

# Accounts of the scanned organization; empty when it could not be read.
org_accounts := {a.id | some a in input.organization.accounts}

org_known if input.organization.id

# organization_read is org_known as a value, for evidence.
default organization_read := false

organization_read if org_known

trusted_accounts := {a | some a in input.config.trusted_accounts} | org_accounts

trusted_org_ids := {o | some o in input.config.trusted_organizations} | {input.organization.id | org_known}

trusted_ous := {o | some o in input.config.trusted_ous}

# org_id_of and ou_id_of read organization and OU ARNs:
#   arn:aws:organizations::MGMT:organization/o-abc
#   arn:aws:organizations::MGMT:ou/o-abc/ou-root-xyz
org_id_of(arn) := split(arn, "/")[1]

ou_id_of(arn) := split(arn, "/")[2]

account_trusted(id) if id in trusted_accounts

org_arn_trusted(arn) if org_id_of(arn) in trusted_org_ids

ou_arn_trusted(arn) if org_id_of(arn) in trusted_org_ids

ou_arn_trusted(arn) if arn in trusted_ous

ou_arn_trusted(arn) if ou_id_of(arn) in trusted_ous

# why_untrusted_account says why an account is not trusted, for finding messages.
why_untrusted_account(id) := msg if {
	org_known
	msg := sprintf("it is not a member of organization %s and is not listed in trusted_accounts", [input.organization.id])
} else := "the organization could not be read and trusted_accounts does not list it"

why_untrusted_org(arn) := sprintf("organization %s is neither the scanned organization nor listed in trusted_organizations", [org_id_of(arn)])

why_untrusted_ou(arn) := sprintf("OU %s belongs to organization %s, which is neither the scanned organization nor listed in trusted_organizations, and trusted_ous does not list it", [ou_id_of(arn), org_id_of(arn)])

# grantee describes one launch or create-volume permission as {kind, value}.
grantee(p) := {"kind": "public", "value": "all"} if p.group == "all"

grantee(p) := {"kind": "account", "value": p.user_id} if p.user_id

grantee(p) := {"kind": "organization", "value": p.organization_arn} if p.organization_arn

grantee(p) := {"kind": "ou", "value": p.organizational_unit_arn} if p.organizational_unit_arn

grantee_trusted(g) if {
	g.kind == "account"
	account_trusted(g.value)
}

grantee_trusted(g) if {
	g.kind == "organization"
	org_arn_trusted(g.value)
}

grantee_trusted(g) if {
	g.kind == "ou"
	ou_arn_trusted(g.value)
}

why_untrusted(g) := "it makes the resource public" if g.kind == "public"

why_untrusted(g) := why_untrusted_account(g.value) if g.kind == "account"

why_untrusted(g) := why_untrusted_org(g.value) if g.kind == "organization"

why_untrusted(g) := why_untrusted_ou(g.value) if g.kind == "ou"

# account_in_grantee is true when an account is covered by a grantee: the account
# itself, the public, or an organization or OU of the scanned organization that
# holds the account, however deep (AWS shares with an OU reach nested OUs; the
# access model walks the OU tree: amiaudit.org_under).
account_in_grantee(account, g) if {
	g.kind == "account"
	g.value == account
}

account_in_grantee(_, g) if g.kind == "public"

account_in_grantee(account, g) if {
	g.kind in {"organization", "ou"}
	amiaudit.org_under(input.organization, account, g.value) == "yes"
}

# account_maybe_in_grantee is true when the OU tree cannot tell whether an
# organization or OU grantee covers the account (the organization, or the
# account's place in it, could not be read; or it is a foreign organization).
account_maybe_in_grantee(account, g) if {
	g.kind in {"organization", "ou"}
	amiaudit.org_under(input.organization, account, g.value) == "unknown"
}
