package iampolicy

import (
	"strings"
	"testing"
)

// Evaluation logic: an applying explicit Deny wins, then an applying Allow,
// else implicit deny.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
// Principals: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
// NotPrincipal: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
// NotAction: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html
// NotResource: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html
func TestEvaluateLogic(t *testing.T) {
	acct := func(a string) RequestPrincipal { return RequestPrincipal{Account: a} }
	tests := []struct {
		name       string
		statements string // the Statement list's elements
		who        RequestPrincipal
		action     string
		resource   string
		ctx        Context
		want       Outcome
		wantStmt   string
		wantCond   string
		wantReason string // substring
	}{
		{"deny wins over allow", `
			{"Sid":"AllowAll","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},
			{"Sid":"DenyOutsideOrg","Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*",
			 "Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}`,
			acct(otherAcct), "kms:Decrypt", keyARN, ctxOf("!aws:PrincipalOrgID"), ExplicitDeny, "DenyOutsideOrg", "",
			`statement "DenyOutsideOrg" denies kms:Decrypt to a principal of account 444455556666: aws:PrincipalOrgID is absent`},
		{"deny does not apply to a member", `
			{"Sid":"AllowAll","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},
			{"Sid":"DenyOutsideOrg","Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*",
			 "Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}`,
			acct(otherAcct), "kms:Decrypt", keyARN, ctxOf("aws:PrincipalOrgID=o-a1b2c3d4e5"), Allowed, "AllowAll", "", `"AllowAll" allows`},
		{"allow but deny unknown is undetermined", `
			{"Sid":"AllowAll","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},
			{"Sid":"DenyOffNetwork","Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*",
			 "Condition":{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}`,
			acct(otherAcct), "kms:Decrypt", keyARN, Context{}, Undetermined, "DenyOffNetwork", "aws:SourceIp", "aws:SourceIp is not known"},
		{"implicit deny names the Allow a condition kept out", `
			{"Sid":"OrgUse","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*",
			 "Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}`,
			acct(otherAcct), "kms:Decrypt", keyARN, ctxOf("!aws:PrincipalOrgID"), ImplicitDeny, "", "",
			`no statement allows kms:Decrypt to a principal of account 444455556666; statement "OrgUse" would, but its condition StringEquals aws:PrincipalOrgID "o-a1b2c3d4e5" does not hold (aws:PrincipalOrgID is absent)`},
		{"deny unknown without any allow is implicit deny", `
			{"Sid":"DenyOffNetwork","Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*",
			 "Condition":{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}`,
			acct(otherAcct), "kms:Decrypt", keyARN, Context{}, ImplicitDeny, "", "", "no statement allows"},
		{"deny true beats unknown allow", `
			{"Sid":"AllowTagged","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"a"}}},
			{"Sid":"DenyDecrypt","Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*"}`,
			acct(otherAcct), "kms:Decrypt", keyARN, Context{}, ExplicitDeny, "DenyDecrypt", "", "denies"},
		{"allow unknown", `
			{"Sid":"AllowTagged","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"a"}}}`,
			acct(otherAcct), "kms:Decrypt", keyARN, Context{}, Undetermined, "AllowTagged", "aws:PrincipalTag/team", `statement "AllowTagged" allows kms:Decrypt only if StringEquals aws:PrincipalTag/team "a" holds`},
		{"false condition beats unknown one in the same statement", `
			{"Sid":"A","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*",
			 "Condition":{"StringEquals":{"aws:PrincipalTag/team":"a"},"StringEqualsIgnoreCase":{"kms:CallerAccount":"111122223333"}}}`,
			acct(otherAcct), "kms:Decrypt", keyARN, ctxOf("kms:CallerAccount=444455556666"), ImplicitDeny, "", "", "no statement"},
		{"second unknown condition named when first is true", `
			{"Sid":"A","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*",
			 "Condition":{"StringEquals":{"kms:CallerAccount":"444455556666","aws:SourceVpc":"vpc-1"}}}`,
			acct(otherAcct), "kms:Decrypt", keyARN, ctxOf("kms:CallerAccount=444455556666"), Undetermined, "A", "aws:SourceVpc", "aws:SourceVpc"},

		// KMS-001 shapes: a negated condition and a wildcard organization open the key to strangers.
		{"negated CallerAccount admits every other account", `
			{"Sid":"Open","Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*",
			 "Condition":{"StringNotEquals":{"kms:CallerAccount":"111122223333"}}}`,
			acct(thirdAcct), "kms:Decrypt", keyARN, ctxOf("kms:CallerAccount=777788889999"), Allowed, "Open", "", "kms:CallerAccount is \"777788889999\""},
		{"wildcard organization admits any organization", `
			{"Sid":"AnyOrg","Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*",
			 "Condition":{"StringLike":{"aws:PrincipalOrgID":"o-*"}}}`,
			acct(thirdAcct), "kms:Decrypt", keyARN, ctxOf("aws:PrincipalOrgID=o-zzzzzzzzzz"), Allowed, "AnyOrg", "", "allows"},
		{"wildcard organization excludes accounts outside organizations", `
			{"Sid":"AnyOrg","Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*",
			 "Condition":{"StringLike":{"aws:PrincipalOrgID":"o-*"}}}`,
			acct(thirdAcct), "kms:Decrypt", keyARN, ctxOf("!aws:PrincipalOrgID"), ImplicitDeny, "", "", "no statement"},

		// NotPrincipal with Allow: everyone but those listed, anonymous included (legacy behaviour AWS documents).
		{"NotPrincipal allow: stranger allowed", `
			{"Sid":"AllBut","Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"kms:Decrypt","Resource":"*"}`,
			acct(thirdAcct), "kms:Decrypt", keyARN, Context{}, Allowed, "AllBut", "", "allows"},
		{"NotPrincipal allow: anonymous allowed", `
			{"Sid":"AllBut","Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"kms:Decrypt","Resource":"*"}`,
			RequestPrincipal{Anonymous: true}, "kms:Decrypt", keyARN, Context{}, Allowed, "AllBut", "", "anonymous"},
		{"NotPrincipal allow: listed account's root user excluded", `
			{"Sid":"AllBut","Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"kms:Decrypt","Resource":"*"}`,
			RequestPrincipal{Account: otherAcct, ARN: "arn:aws:iam::444455556666:root"}, "kms:Decrypt", keyARN, Context{}, ImplicitDeny, "", "", "no statement"},
		{"NotPrincipal allow: a role of a listed account is undetermined (Allow is unsupported, levels undocumented)", `
			{"Sid":"AllBut","Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"kms:Decrypt","Resource":"*"}`,
			acct(otherAcct), "kms:Decrypt", keyARN, Context{}, Undetermined, "AllBut", "", "lists a principal of account 444455556666 only in part"},
		// NotPrincipal with Deny: everyone but those listed is denied.
		{"NotPrincipal deny: stranger denied", `
			{"Sid":"Root","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},
			{"Sid":"DenyAllBut","Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:root","arn:aws:iam::111122223333:role/Admin"]},"Action":"kms:*","Resource":"*"}`,
			acct(thirdAcct), "kms:Decrypt", keyARN, Context{}, ExplicitDeny, "DenyAllBut", "", "denies"},
		// NotPrincipal with Deny, at each level of the caller's identity (account, principal, session).
		{"NotPrincipal deny: a principal of a listed account that is not itself listed is denied", `
			{"Sid":"Root","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},
			{"Sid":"DenyAllBut","Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:root","arn:aws:iam::111122223333:user/Bob"]},"Action":"kms:*","Resource":"*"}`,
			acct(ownerAcct), "kms:Decrypt", keyARN, Context{}, ExplicitDeny, "DenyAllBut", "", "denies"},
		{"NotPrincipal deny: listed user and account spared", `
			{"Sid":"Root","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},
			{"Sid":"DenyAllBut","Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:root","arn:aws:iam::111122223333:user/Bob"]},"Action":"kms:*","Resource":"*"}`,
			RequestPrincipal{Account: ownerAcct, ARN: "arn:aws:iam::111122223333:user/Bob"}, "kms:Decrypt", keyARN, Context{}, Allowed, "Root", "", "allows"},
		{"NotPrincipal deny: listed root user spared", `
			{"Sid":"Root","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},
			{"Sid":"DenyAllBut","Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"}`,
			RequestPrincipal{Account: ownerAcct, ARN: "arn:aws:iam::111122223333:root"}, "kms:Decrypt", keyARN, Context{}, Allowed, "Root", "", "allows"},
		{"NotPrincipal deny: listed user without its account is undetermined", `
			{"Sid":"Root","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},
			{"Sid":"DenyAllBut","Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/Bob"},"Action":"kms:*","Resource":"*"}`,
			RequestPrincipal{Account: ownerAcct, ARN: "arn:aws:iam::111122223333:user/Bob"}, "kms:Decrypt", keyARN, Context{}, Undetermined, "DenyAllBut", "",
			"its NotPrincipal lists arn:aws:iam::111122223333:user/Bob but not its account 111122223333"},
		{"NotPrincipal deny: a role's sessions are denied unless listed", `
			{"Sid":"Root","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},
			{"Sid":"DenyAllBut","Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:root","arn:aws:iam::111122223333:role/Admin"]},"Action":"kms:*","Resource":"*"}`,
			RequestPrincipal{Account: ownerAcct, ARN: "arn:aws:iam::111122223333:role/Admin"}, "kms:Decrypt", keyARN, Context{}, ExplicitDeny, "DenyAllBut", "", "denies"},
		{"NotPrincipal deny: role with some sessions listed is undetermined", `
			{"Sid":"Root","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},
			{"Sid":"DenyAllBut","Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:root","arn:aws:iam::111122223333:role/Admin","arn:aws:sts::111122223333:assumed-role/Admin/alice"]},"Action":"kms:*","Resource":"*"}`,
			RequestPrincipal{Account: ownerAcct, ARN: "arn:aws:iam::111122223333:role/Admin"}, "kms:Decrypt", keyARN, Context{}, Undetermined, "DenyAllBut", "", "whose name decides"},
		{"NotPrincipal deny: listed session, role and account spared", `
			{"Sid":"Root","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},
			{"Sid":"DenyAllBut","Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:root","arn:aws:iam::111122223333:role/ops/Admin","arn:aws:sts::111122223333:assumed-role/Admin/alice"]},"Action":"kms:*","Resource":"*"}`,
			RequestPrincipal{Account: ownerAcct, ARN: "arn:aws:sts::111122223333:assumed-role/Admin/alice"}, "kms:Decrypt", keyARN, Context{}, Allowed, "Root", "", "allows"},
		{"NotPrincipal deny: listed session without its role is denied", `
			{"Sid":"Root","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},
			{"Sid":"DenyAllBut","Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:root","arn:aws:sts::111122223333:assumed-role/Admin/alice"]},"Action":"kms:*","Resource":"*"}`,
			RequestPrincipal{Account: ownerAcct, ARN: "arn:aws:sts::111122223333:assumed-role/Admin/alice"}, "kms:Decrypt", keyARN, Context{}, ExplicitDeny, "DenyAllBut", "", "denies"},
		{"NotPrincipal deny: service principal listed", `
			{"Sid":"Root","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},
			{"Sid":"DenyAllBut","Effect":"Deny","NotPrincipal":{"Service":"ec2.amazonaws.com"},"Action":"kms:*","Resource":"*"}`,
			RequestPrincipal{Service: "ec2.amazonaws.com"}, "kms:Decrypt", keyARN, Context{}, Allowed, "Root", "", "allows"},
		{"NotPrincipal deny: anonymous denied unless *", `
			{"Sid":"Root","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},
			{"Sid":"DenyAllBut","Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"}`,
			RequestPrincipal{Anonymous: true}, "kms:Decrypt", keyARN, Context{}, ExplicitDeny, "DenyAllBut", "", "denies"},
		{"Principal role ARN covers its sessions", `
			{"Sid":"Role","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/path/Launch"},"Action":"kms:Decrypt","Resource":"*"}`,
			RequestPrincipal{Account: otherAcct, ARN: "arn:aws:sts::444455556666:assumed-role/Launch/i-0abc"}, "kms:Decrypt", keyARN, Context{}, Allowed, "Role", "", "allows"},
		{"Principal role ARN does not cover another account's role of that name", `
			{"Sid":"Role","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/Launch"},"Action":"kms:Decrypt","Resource":"*"}`,
			RequestPrincipal{Account: thirdAcct, ARN: "arn:aws:sts::777788889999:assumed-role/Launch/i-0abc"}, "kms:Decrypt", keyARN, Context{}, ImplicitDeny, "", "", "no statement"},

		// Principal forms.
		{"account ID equals root ARN", `
			{"Sid":"Acct","Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"kms:Decrypt","Resource":"*"}`,
			RequestPrincipal{Account: otherAcct, ARN: "arn:aws:iam::444455556666:role/Any"}, "kms:Decrypt", keyARN, Context{}, Allowed, "Acct", "", "allows"},
		{"root ARN in another partition", `
			{"Sid":"Acct","Effect":"Allow","Principal":{"AWS":"arn:aws-cn:iam::444455556666:root"},"Action":"kms:Decrypt","Resource":"*"}`,
			acct(otherAcct), "kms:Decrypt", keyARN, Context{}, Allowed, "Acct", "", "allows"},
		{"account of a caller given only by its ARN", `
			{"Sid":"Acct","Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"kms:Decrypt","Resource":"*"}`,
			RequestPrincipal{ARN: "arn:aws:iam::444455556666:role/Any"}, "kms:Decrypt", keyARN, Context{}, Allowed, "Acct", "", "allows"},
		{"role ARN matches only that role", `
			{"Sid":"Role","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/Launch"},"Action":"kms:Decrypt","Resource":"*"}`,
			RequestPrincipal{Account: otherAcct, ARN: "arn:aws:iam::444455556666:role/Launch"}, "kms:Decrypt", keyARN, Context{}, Allowed, "Role", "", "allows"},
		{"role ARN does not match an unnamed principal of the account", `
			{"Sid":"Role","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/Launch"},"Action":"kms:Decrypt","Resource":"*"}`,
			acct(otherAcct), "kms:Decrypt", keyARN, Context{}, ImplicitDeny, "", "", "no statement"},
		{"role ARN path is case-sensitive", `
			{"Sid":"Role","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/Launch"},"Action":"kms:Decrypt","Resource":"*"}`,
			RequestPrincipal{Account: otherAcct, ARN: "arn:aws:iam::444455556666:role/launch"}, "kms:Decrypt", keyARN, Context{}, ImplicitDeny, "", "", "no statement"},
		{"service principal", `
			{"Sid":"Svc","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"kms:Decrypt","Resource":"*"}`,
			RequestPrincipal{Service: "ec2.amazonaws.com"}, "kms:Decrypt", keyARN, Context{}, Allowed, "Svc", "", "service ec2.amazonaws.com"},
		{"service principal does not match an account", `
			{"Sid":"Svc","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"kms:Decrypt","Resource":"*"}`,
			acct(otherAcct), "kms:Decrypt", keyARN, Context{}, ImplicitDeny, "", "", "no statement"},
		{"account principal does not match anonymous", `
			{"Sid":"Acct","Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"kms:Decrypt","Resource":"*"}`,
			RequestPrincipal{Anonymous: true}, "kms:Decrypt", keyARN, Context{}, ImplicitDeny, "", "", "anonymous"},

		// Action / NotAction: case-insensitive, wildcards including '?'.
		{"NotAction allows the rest", `
			{"Sid":"NA","Effect":"Allow","Principal":"*","NotAction":["kms:ScheduleKeyDeletion","kms:Put*"],"Resource":"*"}`,
			acct(otherAcct), "kms:Decrypt", keyARN, Context{}, Allowed, "NA", "", "allows"},
		{"NotAction excludes listed wildcard", `
			{"Sid":"NA","Effect":"Allow","Principal":"*","NotAction":["kms:ScheduleKeyDeletion","kms:Put*"],"Resource":"*"}`,
			acct(otherAcct), "kms:PutKeyPolicy", keyARN, Context{}, ImplicitDeny, "", "", "no statement"},
		{"action question mark", `
			{"Sid":"Q","Effect":"Allow","Principal":"*","Action":"kms:?ncrypt","Resource":"*"}`,
			acct(otherAcct), "kms:Encrypt", keyARN, Context{}, Allowed, "Q", "", "allows"},
		{"action wildcard across service prefix", `
			{"Sid":"W","Effect":"Allow","Principal":"*","Action":"*:Decrypt","Resource":"*"}`,
			acct(otherAcct), "kms:decrypt", keyARN, Context{}, Allowed, "W", "", "allows"},

		// Resource / NotResource: ARNs with wildcards, case-sensitive.
		{"resource ARN wildcard", `
			{"Sid":"R","Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"arn:aws:kms:*:111122223333:key/*"}`,
			acct(otherAcct), "kms:Decrypt", keyARN, Context{}, Allowed, "R", "", "allows"},
		// reference_policies_elements_resource.html#reference_policies_elements_resource_wildcards
		{"resource star inside a segment does not cross a colon", `
			{"Sid":"R","Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"arn:aws:kms:us-*-2:111122223333:key/*"}`,
			acct(otherAcct), "kms:Decrypt", "arn:aws:kms:us-x:y-2:111122223333:key/k", Context{}, ImplicitDeny, "", "", "no statement"},
		{"resource star inside a segment", `
			{"Sid":"R","Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"arn:aws:kms:us-*-2:111122223333:key/*"}`,
			acct(otherAcct), "kms:Decrypt", keyARN, Context{}, Allowed, "R", "", "allows"},
		{"resource star ending a segment crosses colons", `
			{"Sid":"R","Effect":"Allow","Principal":"*","Action":"logs:PutLogEvents","Resource":"arn:aws:logs:us-east-1:111122223333:log-group:app*"}`,
			acct(otherAcct), "logs:PutLogEvents", "arn:aws:logs:us-east-1:111122223333:log-group:app:log-stream:s1", Context{}, Allowed, "R", "", "allows"},
		{"resource question mark does not match a colon", `
			{"Sid":"R","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::a?b"}`,
			acct(otherAcct), "s3:GetObject", "arn:aws:s3:::a:b", Context{}, ImplicitDeny, "", "", "no statement"},
		{"resource literal is case-sensitive", `
			{"Sid":"R","Effect":"Allow","Principal":"*","Action":"iam:GetUser","Resource":"arn:aws:iam::111122223333:user/Bob"}`,
			acct(otherAcct), "iam:GetUser", "arn:aws:iam::111122223333:user/bob", Context{}, ImplicitDeny, "", "", "no statement"},
		{"resource variable resolved", `
			{"Sid":"Home","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/${aws:username}/*"}`,
			acct(otherAcct), "s3:GetObject", "arn:aws:s3:::bucket/bob/x", ctxOf("aws:username=bob"), Allowed, "Home", "", "allows"},
		{"resource ARN other account", `
			{"Sid":"R","Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"arn:aws:kms:*:444455556666:key/*"}`,
			acct(otherAcct), "kms:Decrypt", keyARN, Context{}, ImplicitDeny, "", "", "no statement"},
		{"NotResource", `
			{"Sid":"NR","Effect":"Deny","Principal":"*","Action":"kms:*","NotResource":"arn:aws:kms:us-west-2:111122223333:key/*"},
			{"Sid":"All","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}`,
			acct(otherAcct), "kms:Decrypt", "arn:aws:kms:eu-west-1:111122223333:key/k", Context{}, ExplicitDeny, "NR", "", "denies"},
		{"condition variable unknown", `
			{"Sid":"Self","Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/owner":"${aws:userName}"}}}`,
			acct(otherAcct), "kms:Decrypt", keyARN, ctxOf("aws:PrincipalTag/owner=bob"), Undetermined, "Self", "aws:PrincipalTag/owner", "its policy variable ${aws:userName} has no known single value"},
		{"multivalued key without set operator is undetermined", `
			{"Sid":"Tags","Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"aws:TagKeys":"env"}}}`,
			acct(otherAcct), "kms:Decrypt", keyARN, ctxOf("aws:TagKeys=env|owner"), Undetermined, "Tags", "aws:TagKeys",
			`aws:TagKeys has several values without a ForAnyValue/ForAllValues set operator, whose result AWS does not document (aws:TagKeys is ["env", "owner"])`},
		{"invalid policy value is undetermined", `
			{"Sid":"Num","Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"NumericLessThan":{"kms:RecipientAttestation:PCR0":"many"}}}`,
			acct(otherAcct), "kms:Decrypt", keyARN, ctxOf("kms:RecipientAttestation:PCR0=1"), Undetermined, "Num", "kms:RecipientAttestation:PCR0", "a policy value is not valid for the operator"},
		{"resource variable unknown", `
			{"Sid":"Home","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/${aws:username}/*"}`,
			acct(otherAcct), "s3:GetObject", "arn:aws:s3:::bucket/bob/x", Context{}, Undetermined, "Home", "", "policy variable ${aws:username}"},

		// Deny with StringNotEqualsIfExists still denies when the key is absent (aws-semantics B).
		{"deny IfExists absent key denies", `
			{"Sid":"All","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},
			{"Sid":"DenyOtherVpc","Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:SourceVpc":"vpc-1"}}}`,
			acct(otherAcct), "kms:Decrypt", keyARN, ctxOf("!aws:SourceVpc"), ExplicitDeny, "DenyOtherVpc", "", "aws:SourceVpc is absent"},

		// kms:EncryptionContext with ForAllValues in an Allow admits requests with no context (conditions-kms caution).
		// https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-encryption-context-keys
		{"ForAllValues allow admits absent key", `
			{"Sid":"EC","Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["Project"]}}}`,
			acct(otherAcct), "kms:Decrypt", keyARN, ctxOf("!kms:EncryptionContextKeys"), Allowed, "EC", "", "kms:EncryptionContextKeys is absent"},

		{"no statement applies", `
			{"Sid":"Other","Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}`,
			acct(otherAcct), "kms:Decrypt", keyARN, Context{}, ImplicitDeny, "", "", "no statement allows kms:Decrypt"},
		{"statement without principal (identity policy) applies to the caller", `
			{"Sid":"Id","Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}`,
			acct(otherAcct), "kms:Decrypt", keyARN, Context{}, Allowed, "Id", "", "allows"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := mustParse(t, `{"Version":"2012-10-17","Statement":[`+tc.statements+`]}`)
			d := p.Evaluate(Request{Principal: tc.who, Action: tc.action, Resource: tc.resource, Context: tc.ctx})
			checkDecision(t, d, tc.want, tc.wantStmt, tc.wantCond)
			if !strings.Contains(d.Reason, tc.wantReason) {
				t.Errorf("reason = %q, want it to contain %q", d.Reason, tc.wantReason)
			}
		})
	}
}

// A Policy built by hand (not through Parse) evaluates the same way, and an
// unknown operator in it is Unknown rather than a panic.
func TestEvaluateHandBuiltPolicy(t *testing.T) {
	p := &Policy{Version: "2012-10-17", Statements: []Statement{{
		Index: 0, Sid: "H", Effect: "Allow", Principal: &Principals{Any: true},
		Action: []string{"kms:*"}, Resource: []string{"*"},
		Conditions: []Condition{{Operator: "StringEqualz", Key: "kms:CallerAccount", Values: []string{otherAcct}}},
	}}}
	d := p.Evaluate(Request{Principal: RequestPrincipal{Account: otherAcct}, Action: "kms:Decrypt", Resource: keyARN, Context: ctxOf("kms:CallerAccount=" + otherAcct)})
	checkDecision(t, d, Undetermined, "H", "kms:CallerAccount")
	if !strings.Contains(d.Reason, `operator "StringEqualz" is unknown`) {
		t.Errorf("reason = %q", d.Reason)
	}
	p.Statements[0].Effect = "deny" // spelled by hand: still a Deny
	d = p.Evaluate(Request{Principal: RequestPrincipal{Account: otherAcct}, Action: "kms:Decrypt", Resource: keyARN, Context: ctxOf("kms:CallerAccount=" + otherAcct)})
	checkDecision(t, d, ImplicitDeny, "", "")
	p.Statements[0].Effect = "Allow"
	p.Statements[0].Conditions[0].Operator = "StringEquals"
	d = p.Evaluate(Request{Principal: RequestPrincipal{Account: otherAcct}, Action: "kms:Decrypt", Resource: keyARN, Context: ctxOf("kms:CallerAccount=" + otherAcct)})
	checkDecision(t, d, Allowed, "H", "")
}

// A KMS grant allows outside the key policy; only the policy's Deny
// statements can take it away.
// https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html
// https://docs.aws.amazon.com/kms/latest/developerguide/grants.html
func TestEvaluateAllowedBy(t *testing.T) {
	p := mustParse(t, `{"Version":"2012-10-17","Statement":[
		{"Sid":"Root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},
		{"Sid":"DenyOutsideOrg","Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*",
		 "Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}]}`)
	req := func(ctx Context) Request {
		return Request{Principal: RequestPrincipal{Account: otherAcct}, Action: "kms:Decrypt", Resource: keyARN, Context: ctx}
	}
	tests := []struct {
		name     string
		ctx      Context
		want     Outcome
		wantStmt string
		wantCond string
		reason   string
	}{
		{"member: the grant stands", ctxOf("aws:PrincipalOrgID=o-a1b2c3d4e5"), Allowed, "", "", "grant g-1 allows kms:Decrypt to a principal of account 444455556666 and no Deny statement applies"},
		{"outsider: the Deny takes it away", ctxOf("!aws:PrincipalOrgID"), ExplicitDeny, "DenyOutsideOrg", "", "denies"},
		{"unknown organization: undetermined", Context{}, Undetermined, "DenyOutsideOrg", "aws:PrincipalOrgID", `grant g-1 allows kms:Decrypt, but statement "DenyOutsideOrg" denies it if`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := p.EvaluateAllowedBy(req(tc.ctx), "grant g-1")
			if d.Outcome != tc.want {
				t.Fatalf("outcome = %s, want %s (%s)", d.Outcome, tc.want, d.Reason)
			}
			got := ""
			if d.Statement != nil {
				got = d.Statement.Name()
			}
			if got != tc.wantStmt {
				t.Errorf("statement = %q, want %q", got, tc.wantStmt)
			}
			gotCond := ""
			if d.Condition != nil {
				gotCond = d.Condition.Key
			}
			if gotCond != tc.wantCond {
				t.Errorf("condition = %q, want %q", gotCond, tc.wantCond)
			}
			if !strings.Contains(d.Reason, tc.reason) {
				t.Errorf("reason = %q, want it to contain %q", d.Reason, tc.reason)
			}
		})
	}
	// The contrast the method exists for: the Deny statements alone, as a
	// policy, give ImplicitDeny for the unknown organization.
	denies := &Policy{Version: p.Version, Statements: []Statement{p.Statements[1]}}
	if d := denies.Evaluate(req(Context{})); d.Outcome != ImplicitDeny {
		t.Errorf("Deny-only policy: %s", d.Outcome)
	}
}

// A parsed Policy is shared by the access model's goroutines: Evaluate
// only reads it (run with -race to check).
func TestEvaluateConcurrent(t *testing.T) {
	p := mustParse(t, consoleKeyPolicy)
	want := p.Evaluate(Request{Principal: RequestPrincipal{Account: otherAcct}, Action: "kms:Decrypt", Resource: keyARN})
	done := make(chan Outcome)
	for g := 0; g < 8; g++ {
		go func() {
			var last Outcome
			for i := 0; i < 200; i++ {
				last = p.Evaluate(Request{Principal: RequestPrincipal{Account: otherAcct}, Action: "kms:Decrypt", Resource: keyARN}).Outcome
			}
			done <- last
		}()
	}
	for g := 0; g < 8; g++ {
		if got := <-done; got != want.Outcome {
			t.Errorf("concurrent Evaluate = %s, want %s", got, want.Outcome)
		}
	}
}
