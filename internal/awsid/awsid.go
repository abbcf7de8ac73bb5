// Package awsid is the one definition of the shapes of the AWS identifiers
// amiaudit checks: account IDs, organization IDs and ARNs, OU IDs and ARNs.
// Its users (TestDocNamesTheImporters holds this list equal to the
// importers): `snapshot` (the document's account IDs, key policy
// principals), `rules` (the configuration's trusted accounts, organizations
// and OUs), `iampolicy` and `access` (principals and condition values),
// `internal/cli` (--accounts) and `testbed/scenario`. The collector checks no
// identifier: it records what AWS returns, and the CLI checks the accounts it
// is given. The Rego rules ask data.amiaudit.lib.ids, whose pattern a test
// holds equal to AccountIDPattern.
//
// The shapes are AWS Organizations' own:
// https://docs.aws.amazon.com/organizations/latest/APIReference/API_Child.html
// (an account ID is exactly 12 digits; an OU ID is "ou-", 4 to 32 lowercase
// letters or digits, "-", 8 to 32 more),
// https://docs.aws.amazon.com/organizations/latest/APIReference/API_Organization.html
// (an organization ID is "o-" and 10 to 32 lowercase letters or digits) and
// https://docs.aws.amazon.com/organizations/latest/APIReference/API_OrganizationalUnit.html
// (arn:PARTITION:organizations::MANAGEMENT-ACCOUNT:ou/o-…/ou-…).
package awsid

import "regexp"

// The unanchored fragments, for patterns that embed an identifier.
const (
	// AccountIDFragment matches a 12-digit account ID.
	AccountIDFragment = `[0-9]{12}`
	// OrgIDFragment matches an organization ID (o-…).
	OrgIDFragment = `o-[a-z0-9]{10,32}`
	// OUIDFragment matches an organizational unit ID (ou-…-…).
	OUIDFragment = `ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}`
	// ARNPrefixFragment matches "arn:" and a partition (aws, aws-cn, aws-us-gov, …).
	ARNPrefixFragment = `arn:aws[a-z-]*`
)

// The anchored patterns of whole identifiers (the JSON Schema and Rego use
// AccountIDPattern).
const (
	AccountIDPattern = `^` + AccountIDFragment + `$`
	OrgIDPattern     = `^` + OrgIDFragment + `$`
	OUIDPattern      = `^` + OUIDFragment + `$`
	OrgARNPattern    = `^` + ARNPrefixFragment + `:organizations::` + AccountIDFragment + `:organization/` + OrgIDFragment + `$`
	OUARNPattern     = `^` + ARNPrefixFragment + `:organizations::` + AccountIDFragment + `:ou/` + OrgIDFragment + `/` + OUIDFragment + `$`
)

var (
	orgID  = regexp.MustCompile(OrgIDPattern)
	ouID   = regexp.MustCompile(OUIDPattern)
	orgARN = regexp.MustCompile(OrgARNPattern)
	ouARN  = regexp.MustCompile(OUARNPattern)
)

// IsAccountID reports whether s is a 12-digit account ID (AccountIDPattern).
// It is written out rather than matched, as the access model asks it for
// every principal of every statement; a test holds it equal to the pattern.
func IsAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// IsOrgID reports whether s is an organization ID such as o-a1b2c3d4e5.
func IsOrgID(s string) bool { return orgID.MatchString(s) }

// IsOUID reports whether s is an OU ID such as ou-ab12-cd34ef56.
func IsOUID(s string) bool { return ouID.MatchString(s) }

// IsOrgARN reports whether s is an organization ARN.
func IsOrgARN(s string) bool { return orgARN.MatchString(s) }

// IsOUARN reports whether s is an OU ARN.
func IsOUARN(s string) bool { return ouARN.MatchString(s) }
