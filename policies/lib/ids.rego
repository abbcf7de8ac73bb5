# METADATA
# title: Shapes of AWS identifiers
# description: |
#   One definition, for every rule, of what an AWS account ID looks like:
#   exactly 12 digits (AWS Organizations' own pattern,
#   https://docs.aws.amazon.com/organizations/latest/APIReference/API_Child.html).
#   The Go code asks package internal/awsid; a Go test holds
#   account_id_pattern equal to awsid.AccountIDPattern.
package amiaudit.lib.ids

# account_id_pattern matches a whole 12-digit account ID.
account_id_pattern := `^[0-9]{12}$`

# account_id(s) holds when s is an account ID, rather than an alias such as
# aws-marketplace or amazon, an ARN, or an organization or OU ID.
account_id(s) if regex.match(account_id_pattern, s)
