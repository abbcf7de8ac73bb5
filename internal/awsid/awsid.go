// Package awsid is the one definition of the shapes of the AWS identifiers
// amiaudit checks: account IDs, organization IDs and ARNs, OU IDs and ARNs,
// AMI and EBS snapshot IDs.
// Its users (TestDocNamesTheImporters holds this list equal to the
// importers): `snapshot` (the document's identifiers, key policy
// principals), `rules` (the configuration's trusted accounts, organizations
// and OUs; AMI IDs in snapshot descriptions), `iampolicy` and `access`
// (principals and condition values), `gate` (grantees, --image, the
// placeholders of a proposed copy), `collector` (the default partition; the
// AMI and snapshot IDs of CloudTrail events), `report` (the default
// partition of ASFF product ARNs), `internal/cli` (--accounts) and
// `testbed/scenario`. The collector checks no account or organization
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
//
// EC2 resource IDs are a prefix (ami-, snap-) and 8 or 17 characters
// (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/resource-ids.html:
// 8 before January 2016, 17 since; lowercase hexadecimal, as the EC2 API
// reference's patterns write them, e.g. (ami-[0-9a-f]{8})|(ami-[0-9a-f]{17})
// in https://docs.aws.amazon.com/snowball/latest/api-reference/API_Ec2AmiResource.html).
// The snapshot document accepts any number of hex digits (ImageIDPattern,
// SnapshotIDPattern), so that a test bed or a future ID width still reads;
// IsIssuedImageID is the strict form, for IDs read out of free text.
package awsid

import (
	"regexp"
	"strings"
)

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

// DefaultPartition is the partition of the commercial regions, assumed where
// a document or an ARN does not name one.
const DefaultPartition = "aws"

// The prefixes of EC2 resource IDs.
const (
	ImageIDPrefix    = "ami-"
	SnapshotIDPrefix = "snap-"
)

// The anchored patterns of whole identifiers (the JSON Schema uses
// AccountIDPattern, ImageIDPattern and SnapshotIDPattern, and Rego
// AccountIDPattern; tests hold their copies equal to these).
const (
	ImageIDPattern    = `^` + ImageIDPrefix + `[0-9a-f]+$`
	SnapshotIDPattern = `^` + SnapshotIDPrefix + `[0-9a-f]+$`

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

// IsImageID reports whether s is an AMI ID (ImageIDPattern): ami- and
// lowercase hex digits.
func IsImageID(s string) bool { return isHexID(s, ImageIDPrefix) }

// IsSnapshotID reports whether s is an EBS snapshot ID (SnapshotIDPattern):
// snap- and lowercase hex digits.
func IsSnapshotID(s string) bool { return isHexID(s, SnapshotIDPrefix) }

// IsIssuedImageID reports whether s is an AMI ID as EC2 issues them: ami- and
// 8 or 17 lowercase hex digits. It is stricter than IsImageID, for reading an
// ID out of free text (an image description) without taking a word for one.
func IsIssuedImageID(s string) bool {
	n := len(s) - len(ImageIDPrefix)
	return (n == 8 || n == 17) && IsImageID(s)
}

// isHexID reports whether s is prefix and one or more lowercase hex digits.
// It is written out rather than matched, as the snapshot decoder asks it for
// every image and snapshot; a test holds it equal to the patterns.
func isHexID(s, prefix string) bool {
	hex, ok := strings.CutPrefix(s, prefix)
	if !ok || hex == "" {
		return false
	}
	for i := 0; i < len(hex); i++ {
		if c := hex[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
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
