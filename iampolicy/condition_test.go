package iampolicy

import (
	"fmt"
	"strings"
	"testing"
)

// Sources, cited per case by their short name:
//
//	ops:   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
//	multi: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html
//	sets:  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
//	mvex:  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition_examples-multi-valued-context-keys.html
//	vars:  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
//	cond:  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html
//	kms:   https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html
//	keys:  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
func TestEvaluateCondition(t *testing.T) {
	tests := []struct {
		name string
		op   string
		key  string
		vals []string
		ctx  []string // ctxOf entries; a key not listed is unknown
		want Tri
	}{
		// ops#Conditions_String: StringEquals is exact and case-sensitive; values of one key are ORed (multi).
		{"ops: StringEquals match", "StringEquals", "aws:PrincipalTag/job", []string{"admin"}, []string{"aws:PrincipalTag/job=admin"}, True},
		{"ops: StringEquals case-sensitive", "StringEquals", "aws:PrincipalTag/job", []string{"admin"}, []string{"aws:PrincipalTag/job=Admin"}, False},
		{"multi: StringEquals values ORed", "StringEquals", "aws:PrincipalTag/job", []string{"audit", "security"}, []string{"aws:PrincipalTag/job=security"}, True},
		{"ops: StringEquals has no wildcards", "StringEquals", "aws:PrincipalOrgID", []string{"o-*"}, []string{"aws:PrincipalOrgID=o-abc"}, False},
		{"ops: StringEquals literal star equals itself", "StringEquals", "aws:PrincipalOrgID", []string{"o-*"}, []string{"aws:PrincipalOrgID=o-*"}, True},
		// ops (Important box): absent key -> positive false, negated true.
		{"ops: StringEquals absent key is false", "StringEquals", "aws:PrincipalOrgID", []string{"o-a"}, []string{"!aws:PrincipalOrgID"}, False},
		{"ops: StringNotEquals absent key is true", "StringNotEquals", "aws:PrincipalOrgID", []string{"o-a"}, []string{"!aws:PrincipalOrgID"}, True},
		{"ops: StringEquals unknown key", "StringEquals", "aws:PrincipalOrgID", []string{"o-a"}, nil, Unknown},
		{"ops: StringNotEquals unknown key", "StringNotEquals", "aws:PrincipalOrgID", []string{"o-a"}, nil, Unknown},
		// multi#reference_policies_multiple-conditions-negated-matching-eval: negated operator values are NORed.
		{"multi: StringNotEquals NOR, one equal", "StringNotEquals", "aws:PrincipalTag/role", []string{"audit", "security"}, []string{"aws:PrincipalTag/role=audit"}, False},
		{"multi: StringNotEquals NOR, none equal", "StringNotEquals", "aws:PrincipalTag/role", []string{"audit", "security"}, []string{"aws:PrincipalTag/role=dev"}, True},
		{"ops: StringEqualsIgnoreCase", "StringEqualsIgnoreCase", "aws:PrincipalTag/job", []string{"ADMIN"}, []string{"aws:PrincipalTag/job=admin"}, True},
		{"ops: StringNotEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "aws:PrincipalTag/job", []string{"ADMIN", "dev"}, []string{"aws:PrincipalTag/job=Admin"}, False},
		// ops#Conditions_String-wildcard: StringLike "*" multi-character, "?" single character, case-sensitive.
		{"ops: StringLike star", "StringLike", "s3:prefix", []string{"home/*"}, []string{"s3:prefix=home/bob/notes"}, True},
		{"ops: StringLike star matches empty", "StringLike", "s3:prefix", []string{"home/*"}, []string{"s3:prefix=home/"}, True},
		{"ops: StringLike question mark one char", "StringLike", "aws:PrincipalOrgID", []string{"o-????"}, []string{"aws:PrincipalOrgID=o-abcd"}, True},
		{"ops: StringLike question mark not two", "StringLike", "aws:PrincipalOrgID", []string{"o-???"}, []string{"aws:PrincipalOrgID=o-abcd"}, False},
		{"ops: StringLike case-sensitive", "StringLike", "s3:prefix", []string{"Home/*"}, []string{"s3:prefix=home/x"}, False},
		{"ops: StringLike wildcard organization", "StringLike", "aws:PrincipalOrgID", []string{"o-*"}, []string{"aws:PrincipalOrgID=o-zzzzzzzzzz"}, True},
		{"multi: StringNotLike NOR", "StringNotLike", "s3:prefix", []string{"home/*", "tmp/*"}, []string{"s3:prefix=tmp/x"}, False},
		{"multi: StringNotLike none match", "StringNotLike", "s3:prefix", []string{"home/*", "tmp/*"}, []string{"s3:prefix=etc/x"}, True},
		{"ops: StringNotLike absent key is true", "StringNotLike", "s3:prefix", []string{"home/*"}, []string{"!s3:prefix"}, True},

		// ops#Conditions_IfExists: true when the key is absent, else the operator.
		{"ops: StringLikeIfExists absent", "StringLikeIfExists", "ec2:InstanceType", []string{"t1.*", "t2.*"}, []string{"!ec2:InstanceType"}, True},
		{"ops: StringLikeIfExists present mismatch", "StringLikeIfExists", "ec2:InstanceType", []string{"t1.*", "t2.*"}, []string{"ec2:InstanceType=m5.large"}, False},
		{"ops: StringLikeIfExists present match", "StringLikeIfExists", "ec2:InstanceType", []string{"t1.*", "t2.*"}, []string{"ec2:InstanceType=t2.micro"}, True},
		{"ops: StringNotEqualsIfExists absent is true", "StringNotEqualsIfExists", "aws:PrincipalOrgID", []string{"o-a"}, []string{"!aws:PrincipalOrgID"}, True},
		{"ops: StringNotEqualsIfExists present equal", "StringNotEqualsIfExists", "aws:PrincipalOrgID", []string{"o-a"}, []string{"aws:PrincipalOrgID=o-a"}, False},
		{"ops: IfExists unknown key stays unknown", "StringEqualsIfExists", "aws:PrincipalOrgID", []string{"o-a"}, nil, Unknown},
		// Decidable despite an unknown key: true whether absent or present with any value.
		{"ops: StringLikeIfExists star on unknown key is true", "StringLikeIfExists", "aws:SourceVpc", []string{"*"}, nil, True},
		{"ops: StringLike star on unknown key is unknown (absent would be false)", "StringLike", "aws:SourceVpc", []string{"*"}, nil, Unknown},

		// ops#Conditions_Numeric.
		{"ops: NumericEquals int vs float", "NumericEquals", "s3:max-keys", []string{"10"}, []string{"s3:max-keys=10.0"}, True},
		{"ops: NumericNotEquals NOR", "NumericNotEquals", "s3:max-keys", []string{"10", "20"}, []string{"s3:max-keys=20"}, False},
		{"ops: NumericLessThan", "NumericLessThan", "s3:max-keys", []string{"10"}, []string{"s3:max-keys=9"}, True},
		{"ops: NumericLessThan equal is false", "NumericLessThan", "s3:max-keys", []string{"10"}, []string{"s3:max-keys=10"}, False},
		{"ops: NumericLessThanEquals", "NumericLessThanEquals", "s3:max-keys", []string{"10"}, []string{"s3:max-keys=10"}, True},
		{"ops: NumericGreaterThan", "NumericGreaterThan", "aws:MultiFactorAuthAge", []string{"3600"}, []string{"aws:MultiFactorAuthAge=3601"}, True},
		{"ops: NumericGreaterThanEquals", "NumericGreaterThanEquals", "aws:MultiFactorAuthAge", []string{"3600"}, []string{"aws:MultiFactorAuthAge=3599.5"}, False},
		{"ops: Numeric request not a number", "NumericEquals", "s3:max-keys", []string{"10"}, []string{"s3:max-keys=ten"}, False},
		{"ops: Numeric invalid policy value is unknown", "NumericEquals", "s3:max-keys", []string{"ten"}, []string{"s3:max-keys=10"}, Unknown},

		// ops#Conditions_Date: ISO 8601 or epoch time, no wildcards.
		{"ops: DateGreaterThan ISO", "DateGreaterThan", "aws:CurrentTime", []string{"2020-04-01T00:00:00Z"}, []string{"aws:CurrentTime=2020-06-30T00:00:00Z"}, True},
		{"ops: DateLessThan ISO", "DateLessThan", "aws:CurrentTime", []string{"2020-04-01T00:00:00Z"}, []string{"aws:CurrentTime=2020-06-30T00:00:00Z"}, False},
		{"ops: DateEquals epoch vs ISO", "DateEquals", "aws:EpochTime", []string{"1577836800"}, []string{"aws:EpochTime=2020-01-01T00:00:00Z"}, True},
		{"ops: DateLessThanEquals date only", "DateLessThanEquals", "aws:TokenIssueTime", []string{"2020-01-01"}, []string{"aws:TokenIssueTime=2020-01-01T00:00:00Z"}, True},
		{"ops: DateNotEquals", "DateNotEquals", "aws:CurrentTime", []string{"2020-01-01T00:00:00Z"}, []string{"aws:CurrentTime=2020-01-01T00:00:01Z"}, True},
		{"ops: DateGreaterThanEquals offset", "DateGreaterThanEquals", "aws:CurrentTime", []string{"2020-01-01T01:00:00+01:00"}, []string{"aws:CurrentTime=2020-01-01T00:00:00Z"}, True},
		{"ops: Date has no wildcards", "DateEquals", "aws:CurrentTime", []string{"2020-*"}, []string{"aws:CurrentTime=2020-01-01T00:00:00Z"}, Unknown},

		// ops#Conditions_Boolean.
		{"ops: Bool true", "Bool", "aws:SecureTransport", []string{"true"}, []string{"aws:SecureTransport=true"}, True},
		{"ops: Bool case-insensitive", "Bool", "aws:SecureTransport", []string{"TRUE"}, []string{"aws:SecureTransport=True"}, True},
		{"ops: Bool false vs true", "Bool", "aws:SecureTransport", []string{"false"}, []string{"aws:SecureTransport=true"}, False},
		{"ops: Bool absent is false", "Bool", "aws:MultiFactorAuthPresent", []string{"false"}, []string{"!aws:MultiFactorAuthPresent"}, False},
		{"ops: BoolIfExists absent is true", "BoolIfExists", "aws:MultiFactorAuthPresent", []string{"false"}, []string{"!aws:MultiFactorAuthPresent"}, True},

		// ops#Conditions_BinaryEquals: base64 values compared as bytes.
		{"ops: BinaryEquals", "BinaryEquals", "key", []string{"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}, []string{"key=QmluYXJ5VmFsdWVJbkJhc2U2NA=="}, True},
		{"ops: BinaryEquals differs", "BinaryEquals", "key", []string{"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}, []string{"key=YWJj"}, False},

		// ops#Conditions_IPAddress: CIDR, IPv4 and IPv6.
		{"ops: IpAddress v4 in range", "IpAddress", "aws:SourceIp", []string{"203.0.113.0/24"}, []string{"aws:SourceIp=203.0.113.7"}, True},
		{"ops: IpAddress v4 outside", "IpAddress", "aws:SourceIp", []string{"203.0.113.0/24"}, []string{"aws:SourceIp=198.51.100.7"}, False},
		{"ops: IpAddress v6", "IpAddress", "aws:SourceIp", []string{"2001:DB8:1234:5678::/64"}, []string{"aws:SourceIp=2001:db8:1234:5678::1"}, True},
		{"ops: IpAddress single address", "IpAddress", "aws:SourceIp", []string{"203.0.113.7"}, []string{"aws:SourceIp=203.0.113.7"}, True},
		{"multi: NotIpAddress NOR", "NotIpAddress", "aws:SourceIp", []string{"203.0.113.0/24", "198.51.100.0/24"}, []string{"aws:SourceIp=198.51.100.9"}, False},
		{"ops: NotIpAddress outside", "NotIpAddress", "aws:SourceIp", []string{"203.0.113.0/24"}, []string{"aws:SourceIp=192.0.2.1"}, True},
		{"ops: IpAddress unknown source ip", "IpAddress", "aws:SourceIp", []string{"203.0.113.0/24"}, nil, Unknown},

		// ops#Conditions_ARN: ArnEquals and ArnLike behave identically; wildcards per ARN component.
		{"ops: ArnLike role wildcard", "ArnLike", "aws:PrincipalArn", []string{"arn:aws:iam::*:role/Admin*"}, []string{"aws:PrincipalArn=arn:aws:iam::444455556666:role/AdminOps"}, True},
		{"ops: ArnEquals behaves like ArnLike", "ArnEquals", "aws:PrincipalArn", []string{"arn:aws:iam::*:role/Admin*"}, []string{"aws:PrincipalArn=arn:aws:iam::444455556666:role/AdminOps"}, True},
		{"ops: ArnLike account component", "ArnLike", "aws:SourceArn", []string{"arn:aws:sns:us-east-1:111122223333:*"}, []string{"aws:SourceArn=arn:aws:sns:us-east-1:444455556666:topic"}, False},
		{"ops: ArnLike star stays in its component", "ArnLike", "aws:SourceArn", []string{"arn:aws:sns:*:111122223333:topic"}, []string{"aws:SourceArn=arn:aws:sns:us-east-1:extra:111122223333:topic"}, False},
		{"ops: ArnLike resource keeps colons", "ArnLike", "aws:SourceArn", []string{"arn:aws:logs:us-east-1:111122223333:log-group:*"}, []string{"aws:SourceArn=arn:aws:logs:us-east-1:111122223333:log-group:app:log-stream:x"}, True},
		{"ops: ArnLike request not an ARN", "ArnLike", "aws:SourceArn", []string{"arn:aws:sns:*:*:*"}, []string{"aws:SourceArn=not-an-arn"}, False},
		{"multi: ArnNotLike NOR", "ArnNotLike", "aws:PrincipalArn", []string{"arn:aws:iam::*:role/A", "arn:aws:iam::*:role/B"}, []string{"aws:PrincipalArn=arn:aws:iam::1:role/B"}, False},
		{"ops: ArnNotEquals absent is true", "ArnNotEquals", "aws:PrincipalArn", []string{"arn:aws:iam::*:role/A"}, []string{"!aws:PrincipalArn"}, True},

		// ops#Conditions_Null: "true" tests absence, "false" presence; IfExists does not apply to Null.
		{"ops: Null true, absent", "Null", "aws:TokenIssueTime", []string{"true"}, []string{"!aws:TokenIssueTime"}, True},
		{"ops: Null true, present", "Null", "aws:TokenIssueTime", []string{"true"}, []string{"aws:TokenIssueTime=2020-01-01T00:00:00Z"}, False},
		{"ops: Null false, present", "Null", "aws:TokenIssueTime", []string{"false"}, []string{"aws:TokenIssueTime=2020-01-01T00:00:00Z"}, True},
		{"ops: Null false, absent", "Null", "aws:TokenIssueTime", []string{"false"}, []string{"!aws:TokenIssueTime"}, False},
		{"ops: Null unknown key", "Null", "aws:TokenIssueTime", []string{"true"}, nil, Unknown},
		{"ops: Null either way on unknown key", "Null", "aws:TokenIssueTime", []string{"true", "false"}, nil, True},
		{"mvex: Null false, empty key is null", "Null", "aws:TagKeys", []string{"false"}, []string{"aws:TagKeys="}, False},

		// sets: ForAnyValue false if absent or empty; ForAllValues true if absent or empty.
		{"sets: ForAnyValue absent", "ForAnyValue:StringEquals", "aws:TagKeys", []string{"env"}, []string{"!aws:TagKeys"}, False},
		{"sets: ForAnyValue empty", "ForAnyValue:StringEquals", "aws:TagKeys", []string{"env"}, []string{"aws:TagKeys="}, False},
		{"sets: ForAnyValue one matches", "ForAnyValue:StringEquals", "aws:TagKeys", []string{"env"}, []string{"aws:TagKeys=owner|env"}, True},
		{"sets: ForAnyValue none matches", "ForAnyValue:StringEquals", "aws:TagKeys", []string{"env"}, []string{"aws:TagKeys=owner|cost"}, False},
		{"sets: ForAllValues absent", "ForAllValues:StringEquals", "aws:TagKeys", []string{"env"}, []string{"!aws:TagKeys"}, True},
		{"sets: ForAllValues empty", "ForAllValues:StringEquals", "aws:TagKeys", []string{"env"}, []string{"aws:TagKeys="}, True},
		{"sets: ForAllValues all match", "ForAllValues:StringEquals", "aws:TagKeys", []string{"env", "owner"}, []string{"aws:TagKeys=owner|env"}, True},
		{"sets: ForAllValues one outside", "ForAllValues:StringEquals", "aws:TagKeys", []string{"env"}, []string{"aws:TagKeys=owner|env"}, False},
		{"sets: ForAllValues single value", "ForAllValues:StringEquals", "aws:TagKeys", []string{"env"}, []string{"aws:TagKeys=owner"}, False},
		{"sets: ForAllValues unknown key", "ForAllValues:StringEquals", "aws:TagKeys", []string{"env"}, nil, Unknown},
		{"sets: ForAllValues star on unknown key", "ForAllValues:StringLike", "aws:TagKeys", []string{"*"}, nil, True},
		{"sets: ForAnyValue star on unknown key", "ForAnyValue:StringLike", "aws:TagKeys", []string{"*"}, nil, Unknown},
		// mvex "Deny a single policy condition value for a multivalued context key": the documented table.
		{"mvex: ForAllValues:StringNotLike key1:legal", "ForAllValues:StringNotLike", "aws:TagKeys", []string{"key1*"}, []string{"aws:TagKeys=key1:legal"}, False},
		{"mvex: ForAllValues:StringNotLike key1:hr key1:personnel", "ForAllValues:StringNotLike", "aws:TagKeys", []string{"key1*"}, []string{"aws:TagKeys=key1:hr|key1:personnel"}, False},
		{"mvex: ForAllValues:StringNotLike key2:audit", "ForAllValues:StringNotLike", "aws:TagKeys", []string{"key1*"}, []string{"aws:TagKeys=key2:audit"}, True},
		{"mvex: ForAllValues:StringNotLike absent", "ForAllValues:StringNotLike", "aws:TagKeys", []string{"key1*"}, []string{"!aws:TagKeys"}, True},
		// mvex "Deny multiple policy condition values for a multivalued context key".
		{"mvex: ForAllValues:StringNotLike two patterns, one value matches one", "ForAllValues:StringNotLike", "aws:TagKeys", []string{"key1*", "key2*"}, []string{"aws:TagKeys=key1:hr|key2:personnel"}, False},
		{"mvex: ForAllValues:StringNotLike two patterns, none matches", "ForAllValues:StringNotLike", "aws:TagKeys", []string{"key1*", "key2*"}, []string{"aws:TagKeys=key3:legal"}, True},
		{"mvex: ForAllValues:StringNotLike mixed", "ForAllValues:StringNotLike", "aws:TagKeys", []string{"key1*", "key2*"}, []string{"aws:TagKeys=key1:hr|key3:legal"}, False},
		{"sets: ForAnyValue:StringNotEquals some value outside", "ForAnyValue:StringNotEquals", "aws:TagKeys", []string{"env"}, []string{"aws:TagKeys=env|owner"}, True},
		{"sets: ForAnyValue:StringNotEquals every value listed", "ForAnyValue:StringNotEquals", "aws:TagKeys", []string{"env", "owner"}, []string{"aws:TagKeys=env|owner"}, False},
		{"sets: ForAnyValue IfExists absent", "ForAnyValue:StringEqualsIfExists", "aws:TagKeys", []string{"env"}, []string{"!aws:TagKeys"}, True},
		// keys#condition-keys-principalorgpaths: ForAnyValue:StringLike over the org paths (multivalued).
		{"keys: PrincipalOrgPaths OU and descendants", "ForAnyValue:StringLike", "aws:PrincipalOrgPaths", []string{"o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-22222222/*"},
			[]string{"aws:PrincipalOrgPaths=o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-22222222/ou-ab12-33333333/"}, True},
		{"keys: PrincipalOrgPaths StringEquals: accounts directly in the OU", "ForAnyValue:StringEquals", "aws:PrincipalOrgPaths", []string{"o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-22222222/"},
			[]string{"aws:PrincipalOrgPaths=o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-22222222/"}, True},
		{"keys: PrincipalOrgPaths StringEquals: not a child OU", "ForAnyValue:StringEquals", "aws:PrincipalOrgPaths", []string{"o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-22222222/"},
			[]string{"aws:PrincipalOrgPaths=o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-22222222/ou-ab12-33333333/"}, False},
		{"keys: PrincipalOrgPaths ou-* is descendants only, not the OU itself", "ForAnyValue:StringLike", "aws:PrincipalOrgPaths", []string{"o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-*"},
			[]string{"aws:PrincipalOrgPaths=o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"}, False},
		{"keys: PrincipalOrgPaths ou-* matches a child OU", "ForAnyValue:StringLike", "aws:PrincipalOrgPaths", []string{"o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-*"},
			[]string{"aws:PrincipalOrgPaths=o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-22222222/"}, True},
		{"keys: PrincipalOrgPaths other OU", "ForAnyValue:StringLike", "aws:PrincipalOrgPaths", []string{"o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-22222222/*"},
			[]string{"aws:PrincipalOrgPaths=o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"}, False},
		// kms#conditions-kms-grant-operations: ForAllValues over kms:GrantOperations; absent is true (the documented caution).
		{"kms: GrantOperations subset", "ForAllValues:StringEquals", "kms:GrantOperations", []string{"Decrypt", "Encrypt"}, []string{"kms:GrantOperations=Decrypt"}, True},
		{"kms: GrantOperations outside", "ForAllValues:StringEquals", "kms:GrantOperations", []string{"Decrypt", "Encrypt"}, []string{"kms:GrantOperations=Decrypt|ReEncryptFrom"}, False},

		// Multivalued key without a set operator: AWS says such keys require one and does not document the result.
		{"sets: no set operator, every reading true", "StringEquals", "aws:TagKeys", []string{"a", "b"}, []string{"aws:TagKeys=a|b"}, True},
		{"sets: no set operator, readings differ", "StringEquals", "aws:TagKeys", []string{"a"}, []string{"aws:TagKeys=a|b"}, Unknown},
		{"sets: no set operator negated, every reading true", "StringNotEquals", "aws:TagKeys", []string{"z"}, []string{"aws:TagKeys=a|b"}, True},
		{"sets: no set operator, every reading false", "StringEquals", "aws:TagKeys", []string{"z"}, []string{"aws:TagKeys=a|b"}, False},

		// cond: condition key names are case-insensitive; the context stores them lower-cased.
		{"cond: key name case-insensitive", "StringEquals", "AWS:PRINCIPALORGID", []string{"o-a"}, []string{"aws:principalorgid=o-a"}, True},

		// vars: substitution from the context; ${*} is a literal star; a default applies when the key is absent.
		{"vars: variable resolved", "StringLike", "s3:prefix", []string{"home/${aws:username}/*"}, []string{"aws:username=bob", "s3:prefix=home/bob/x"}, True},
		{"vars: variable resolved, other user", "StringLike", "s3:prefix", []string{"home/${aws:username}/*"}, []string{"aws:username=bob", "s3:prefix=home/alice/x"}, False},
		{"vars: variable unknown", "StringLike", "s3:prefix", []string{"home/${aws:username}/*"}, []string{"s3:prefix=home/bob/x"}, Unknown},
		{"vars: variable absent without default", "StringEquals", "s3:prefix", []string{"${aws:username}"}, []string{"!aws:username", "s3:prefix=bob"}, Unknown},
		{"vars: default when absent", "StringEquals", "aws:PrincipalTag/team", []string{"${aws:RequestTag/team, 'company-wide'}"}, []string{"!aws:RequestTag/team", "aws:PrincipalTag/team=company-wide"}, True},
		{"vars: literal star escape", "StringLike", "s3:prefix", []string{"a${*}b"}, []string{"s3:prefix=axb"}, False},
		{"vars: literal star escape matches star", "StringLike", "s3:prefix", []string{"a${*}b"}, []string{"s3:prefix=a*b"}, True},
		{"vars: variable in ArnLike", "ArnLike", "aws:PrincipalArn", []string{"arn:aws:iam::${aws:PrincipalAccount}:role/*"}, []string{"aws:PrincipalAccount=111122223333", "aws:PrincipalArn=arn:aws:iam::111122223333:role/x"}, True},
		{"vars: multivalued key cannot be a variable", "StringEquals", "s3:prefix", []string{"${aws:TagKeys}"}, []string{"aws:TagKeys=a|b", "s3:prefix=a"}, Unknown},
		{"vars: incomplete variable is literal text", "StringEquals", "s3:prefix", []string{"${aws:username"}, []string{"s3:prefix=${aws:username"}, True},
		{"vars: malformed default is literal text", "StringEquals", "s3:prefix", []string{"${aws:username, guest}"}, []string{"s3:prefix=${aws:username, guest}"}, True},
		{"vars: quote in a default", "StringEquals", "s3:prefix", []string{"${aws:username, 'o''brien'}"}, []string{"!aws:username", "s3:prefix=o'brien"}, True},
		{"vars: dollar escape", "StringEquals", "s3:prefix", []string{"cost${$}"}, []string{"s3:prefix=cost$"}, True},
		{"vars: variable in Bool", "Bool", "aws:SecureTransport", []string{"${aws:ViaAWSService}"}, []string{"aws:ViaAWSService=true", "aws:SecureTransport=true"}, True},
		{"vars: Bool variable not a boolean", "Bool", "aws:SecureTransport", []string{"${aws:username}"}, []string{"aws:username=bob", "aws:SecureTransport=true"}, Unknown},
		{"vars: no variables in Numeric", "NumericEquals", "s3:max-keys", []string{"${aws:username}"}, []string{"aws:username=5", "s3:max-keys=5"}, Unknown},
		{"ops: IpAddress IPv4-mapped IPv6 range", "IpAddress", "aws:SourceIp", []string{"::ffff:203.0.113.0/120"}, []string{"aws:SourceIp=203.0.113.9"}, True},
		{"ops: IpAddress invalid request address", "IpAddress", "aws:SourceIp", []string{"203.0.113.0/24"}, []string{"aws:SourceIp=somewhere"}, False},
		{"ops: IpAddress invalid policy range", "IpAddress", "aws:SourceIp", []string{"203.0.113.0/33"}, []string{"aws:SourceIp=203.0.113.9"}, Unknown},
		{"ops: Bool request not a boolean", "Bool", "aws:SecureTransport", []string{"true"}, []string{"aws:SecureTransport=yes"}, False},
		{"ops: Bool invalid policy value", "Bool", "aws:SecureTransport", []string{"yes"}, []string{"aws:SecureTransport=true"}, Unknown},
		{"ops: BinaryEquals request not base64", "BinaryEquals", "key", []string{"YWJj"}, []string{"key=***"}, False},
		{"ops: one unknown policy value does not hide a match", "StringEquals", "s3:prefix", []string{"${aws:username}", "home"}, []string{"s3:prefix=home"}, True},
		{"ops: one unknown policy value and no match", "StringEquals", "s3:prefix", []string{"${aws:username}", "home"}, []string{"s3:prefix=etc"}, Unknown},
		{"vars: substituted value is literal", "StringLike", "s3:prefix", []string{"${aws:username}"}, []string{"aws:username=b*", "s3:prefix=bob"}, False},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Condition{Operator: tc.op, Key: tc.key, Values: tc.vals}
			got := EvaluateCondition(c, ctxOf(tc.ctx...))
			if got != tc.want {
				t.Errorf("%s %s %v with %v = %s, want %s", tc.op, tc.key, tc.vals, tc.ctx, got, tc.want)
			}
		})
	}
}

// An unknown operator is Unknown at evaluation, never a panic or a guess.
func TestEvaluateConditionUnknownOperator(t *testing.T) {
	for _, op := range []string{"StringEq", "NullIfExists", "ForSomeValues:StringEquals", ""} {
		c := Condition{Operator: op, Key: "aws:SourceIp", Values: []string{"x"}}
		if got := EvaluateCondition(c, ctxOf("aws:SourceIp=x")); got != Unknown {
			t.Errorf("%q: got %s, want unknown", op, got)
		}
	}
}

// Operator names are accepted in any case; the set prefix and IfExists
// suffix compose with every family except IfExists on Null.
func TestParseOperator(t *testing.T) {
	for base := range baseOperators {
		for _, name := range []string{base, strings.ToUpper(base), "ForAnyValue:" + base, "forallvalues:" + base, base + "IfExists"} {
			_, err := parseOperator(name)
			wantErr := strings.HasSuffix(name, "IfExists") && base == "null"
			if (err != nil) != wantErr {
				t.Errorf("parseOperator(%q) error = %v, want error %v", name, err, wantErr)
			}
		}
	}
	if _, err := parseOperator("StringEqualsIfExistsIfExists"); err == nil {
		t.Error("double IfExists accepted")
	}
}

func TestParseDate(t *testing.T) {
	for _, s := range []string{"2020-01-01T00:00:00Z", "2020-01-01T00:00:00.000Z", "2020-01-01T01:00:00+01:00", "2020-01-01", "1577836800", "1577836800.0", "2020-01-01T00:00Z", "20200101T000000Z"} {
		d, ok := parseDate(s)
		if !ok {
			t.Errorf("parseDate(%q) failed", s)
			continue
		}
		if got := d.UTC().Format("2006-01-02T15:04:05Z"); got != "2020-01-01T00:00:00Z" {
			t.Errorf("parseDate(%q) = %s", s, got)
		}
	}
	for _, s := range []string{"", "yesterday", "2020-13-01", "1e300"} {
		if _, ok := parseDate(s); ok {
			t.Errorf("parseDate(%q) accepted", s)
		}
	}
}

func ExampleEvaluateCondition() {
	var ctx Context
	ctx.Set("aws:PrincipalOrgID", "o-a1b2c3d4e5")
	ctx.SetAbsent("aws:PrincipalOrgPaths")
	fmt.Println(EvaluateCondition(Condition{Operator: "StringEquals", Key: "aws:PrincipalOrgID", Values: []string{"o-a1b2c3d4e5"}}, ctx))
	fmt.Println(EvaluateCondition(Condition{Operator: "ForAnyValue:StringLike", Key: "aws:PrincipalOrgPaths", Values: []string{"o-a1b2c3d4e5/*"}}, ctx))
	fmt.Println(EvaluateCondition(Condition{Operator: "IpAddress", Key: "aws:SourceIp", Values: []string{"203.0.113.0/24"}}, ctx))
	// Output:
	// true
	// false
	// unknown
}

// A Context filled by hand with keys in their documented case still works.
func TestContextMixedCaseKeys(t *testing.T) {
	ctx := Context{Values: map[string][]string{"aws:PrincipalOrgID": {"o-a"}}, Absent: map[string]bool{"kms:ViaService": true}}
	if got := EvaluateCondition(Condition{Operator: "StringEquals", Key: "aws:principalorgid", Values: []string{"o-a"}}, ctx); got != True {
		t.Errorf("present key: %s", got)
	}
	if got := EvaluateCondition(Condition{Operator: "StringNotEquals", Key: "KMS:VIASERVICE", Values: []string{"x"}}, ctx); got != True {
		t.Errorf("absent key: %s", got)
	}
	if got := EvaluateCondition(Condition{Operator: "StringEquals", Key: "aws:SourceIp", Values: []string{"x"}}, ctx); got != Unknown {
		t.Errorf("unknown key: %s", got)
	}
	var c Context
	c.Set("K", "v")
	c.SetAbsent("k")
	if _, st := c.lookup("k"); st != keyAbsent {
		t.Error("SetAbsent after Set must leave the key absent")
	}
	c.Set("k", "v")
	if _, st := c.lookup("k"); st != keyPresent {
		t.Error("Set after SetAbsent must leave the key present")
	}
}
