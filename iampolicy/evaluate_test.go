package iampolicy

import (
	"strings"
	"testing"
)

const (
	ownerAcct   = "111122223333"
	otherAcct   = "444455556666"
	thirdAcct   = "777788889999"
	keyARN      = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	orgID       = "o-a1b2c3d4e5"
	ebsViaWest2 = "ec2.us-west-2.amazonaws.com"
)

func mustParse(t testing.TB, doc string) *Policy {
	t.Helper()
	p, err := Parse(doc)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return p
}

// ctxOf builds a context: "k=v1|v2" sets a present key, "!k" an absent one.
func ctxOf(entries ...string) Context {
	var c Context
	for _, e := range entries {
		if strings.HasPrefix(e, "!") {
			c.SetAbsent(e[1:])
			continue
		}
		k, v, _ := strings.Cut(e, "=")
		if v == "" {
			c.Set(k)
			continue
		}
		c.Set(k, strings.Split(v, "|")...)
	}
	return c
}

// Default key policy (programmatic): the account root with kms:*.
// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
// "gives the AWS account that owns the KMS key permission to use IAM policies
// to allow access": every principal of the account is delegated, no other.
const defaultKeyPolicy = `{
  "Version": "2012-10-17",
  "Id": "key-default-1",
  "Statement": [
    {
      "Sid": "Enable IAM User Permissions",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": "kms:*",
      "Resource": "*"
    }
  ]
}`

// Console default key policy: key administrators, key users, and the
// "Allow attachment of persistent resources" statement conditioned on
// kms:GrantIsForAWSResource.
// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-users
const consoleKeyPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
     "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"},
    {"Sid": "Allow access for Key Administrators", "Effect": "Allow",
     "Principal": {"AWS": "arn:aws:iam::111122223333:role/KMSAdminRole"},
     "Action": ["kms:Create*","kms:Describe*","kms:Enable*","kms:List*","kms:Put*","kms:Update*","kms:Revoke*","kms:Disable*","kms:Get*","kms:Delete*","kms:TagResource","kms:UntagResource","kms:ScheduleKeyDeletion","kms:CancelKeyDeletion"],
     "Resource": "*"},
    {"Sid": "Allow use of the key", "Effect": "Allow",
     "Principal": {"AWS": ["arn:aws:iam::111122223333:role/ExampleRole", "arn:aws:iam::444455556666:root"]},
     "Action": ["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:DescribeKey"],
     "Resource": "*"},
    {"Sid": "Allow attachment of persistent resources", "Effect": "Allow",
     "Principal": {"AWS": ["arn:aws:iam::111122223333:role/ExampleRole", "arn:aws:iam::444455556666:root"]},
     "Action": ["kms:CreateGrant","kms:ListGrants","kms:RevokeGrant"],
     "Resource": "*",
     "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}}
  ]
}`

// kms:ViaService and kms:CallerAccount, as in the key policy of an AWS managed
// key for Amazon EBS.
// https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account
// https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
const awsManagedEBSPolicy = `{
  "Version": "2012-10-17",
  "Id": "auto-ebs-2",
  "Statement": [
    {"Sid": "Allow access through EBS for all principals in the account that are authorized to use EBS",
     "Effect": "Allow", "Principal": {"AWS": "*"},
     "Action": ["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:CreateGrant","kms:DescribeKey"],
     "Resource": "*",
     "Condition": {"StringEquals": {"kms:CallerAccount": "111122223333", "kms:ViaService": "ec2.us-west-2.amazonaws.com"}}},
    {"Sid": "Allow direct access to key metadata to the account", "Effect": "Allow",
     "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
     "Action": ["kms:Describe*","kms:Get*","kms:List*","kms:RevokeGrant"], "Resource": "*"}
  ]
}`

// aws:PrincipalOrgID: allow every account of an organization.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid
// and the org/OU key statement for shared AMIs:
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/allow-org-ou-to-use-key.html
const orgKeyPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "Allow access for organization root", "Effect": "Allow", "Principal": "*",
     "Action": ["kms:Describe*","kms:List*","kms:Get*","kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*"],
     "Resource": "*",
     "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}
  ]
}`

func TestEvaluateKMSExamples(t *testing.T) {
	caller := func(acct, arn string) RequestPrincipal { return RequestPrincipal{Account: acct, ARN: arn} }
	tests := []struct {
		name     string
		policy   string
		who      RequestPrincipal
		action   string
		ctx      Context
		want     Outcome
		wantStmt string // Name() of the deciding statement, "" for none
		wantCond string // key of the deciding condition for Undetermined
	}{
		// key-policy-default.html: the root statement delegates to every principal of the owner.
		{"default policy: owner role via IAM", defaultKeyPolicy, caller(ownerAcct, "arn:aws:iam::111122223333:role/Any"), "kms:Decrypt", Context{}, Allowed, "Enable IAM User Permissions", ""},
		{"default policy: unnamed owner principal", defaultKeyPolicy, caller(ownerAcct, ""), "kms:CreateGrant", Context{}, Allowed, "Enable IAM User Permissions", ""},
		{"default policy: other account denied", defaultKeyPolicy, caller(otherAcct, ""), "kms:Decrypt", Context{}, ImplicitDeny, "", ""},
		{"default policy: anonymous denied", defaultKeyPolicy, RequestPrincipal{Anonymous: true}, "kms:Decrypt", Context{}, ImplicitDeny, "", ""},
		{"default policy: action case-insensitive", defaultKeyPolicy, caller(ownerAcct, ""), "KMS:decrypt", Context{}, Allowed, "Enable IAM User Permissions", ""},
		{"default policy: other service action", defaultKeyPolicy, caller(ownerAcct, ""), "s3:GetObject", Context{}, ImplicitDeny, "", ""},

		// key-policy-modifying-external-accounts.html: naming the external account's root lets it delegate.
		{"console policy: external account uses the key", consoleKeyPolicy, caller(otherAcct, ""), "kms:Decrypt", Context{}, Allowed, "Allow use of the key", ""},
		{"console policy: external account ReEncrypt wildcard", consoleKeyPolicy, caller(otherAcct, ""), "kms:ReEncryptFrom", Context{}, Allowed, "Allow use of the key", ""},
		{"console policy: external account cannot administer", consoleKeyPolicy, caller(otherAcct, ""), "kms:ScheduleKeyDeletion", Context{}, ImplicitDeny, "", ""},
		{"console policy: named role", consoleKeyPolicy, caller(thirdAcct, "arn:aws:iam::111122223333:role/ExampleRole"), "kms:Encrypt", Context{}, Allowed, "Allow use of the key", ""},
		{"console policy: third account", consoleKeyPolicy, caller(thirdAcct, ""), "kms:Decrypt", Context{}, ImplicitDeny, "", ""},
		// key-policy-default.html#key-policy-service-integration: CreateGrant only for AWS resources.
		{"grant: for AWS resource", consoleKeyPolicy, caller(otherAcct, ""), "kms:CreateGrant", ctxOf("kms:GrantIsForAWSResource=true"), Allowed, "Allow attachment of persistent resources", ""},
		{"grant: not for AWS resource", consoleKeyPolicy, caller(otherAcct, ""), "kms:CreateGrant", ctxOf("kms:GrantIsForAWSResource=false"), ImplicitDeny, "", ""},
		{"grant: key absent", consoleKeyPolicy, caller(otherAcct, ""), "kms:CreateGrant", ctxOf("!kms:GrantIsForAWSResource"), ImplicitDeny, "", ""},
		{"grant: key unknown", consoleKeyPolicy, caller(otherAcct, ""), "kms:CreateGrant", Context{}, Undetermined, "Allow attachment of persistent resources", "kms:GrantIsForAWSResource"},

		// conditions-kms.html: kms:CallerAccount + kms:ViaService.
		{"managed EBS key: owner via EC2", awsManagedEBSPolicy, caller(ownerAcct, ""), "kms:Decrypt",
			ctxOf("kms:CallerAccount=111122223333", "kms:ViaService=ec2.us-west-2.amazonaws.com"), Allowed,
			"Allow access through EBS for all principals in the account that are authorized to use EBS", ""},
		{"managed EBS key: other account via EC2", awsManagedEBSPolicy, caller(otherAcct, ""), "kms:Decrypt",
			ctxOf("kms:CallerAccount=444455556666", "kms:ViaService=ec2.us-west-2.amazonaws.com"), ImplicitDeny, "", ""},
		{"managed EBS key: owner directly", awsManagedEBSPolicy, caller(ownerAcct, ""), "kms:Decrypt",
			ctxOf("kms:CallerAccount=111122223333", "!kms:ViaService"), ImplicitDeny, "", ""},
		{"managed EBS key: wrong region", awsManagedEBSPolicy, caller(ownerAcct, ""), "kms:Decrypt",
			ctxOf("kms:CallerAccount=111122223333", "kms:ViaService=ec2.eu-west-1.amazonaws.com"), ImplicitDeny, "", ""},
		{"managed EBS key: ViaService unknown", awsManagedEBSPolicy, caller(ownerAcct, ""), "kms:Decrypt",
			ctxOf("kms:CallerAccount=111122223333"), Undetermined,
			"Allow access through EBS for all principals in the account that are authorized to use EBS", "kms:ViaService"},
		{"managed EBS key: condition key name case-insensitive", awsManagedEBSPolicy, caller(ownerAcct, ""), "kms:Decrypt",
			ctxOf("KMS:CALLERACCOUNT=111122223333", "Kms:ViaService=ec2.us-west-2.amazonaws.com"), Allowed,
			"Allow access through EBS for all principals in the account that are authorized to use EBS", ""},

		// aws:PrincipalOrgID (single-valued, present only for organization members).
		{"org: member", orgKeyPolicy, caller(otherAcct, ""), "kms:Decrypt", ctxOf("aws:PrincipalOrgID=o-a1b2c3d4e5"), Allowed, "Allow access for organization root", ""},
		{"org: other organization", orgKeyPolicy, caller(otherAcct, ""), "kms:Decrypt", ctxOf("aws:PrincipalOrgID=o-zzzzzzzzzz"), ImplicitDeny, "", ""},
		{"org: not in an organization", orgKeyPolicy, caller(otherAcct, ""), "kms:Decrypt", ctxOf("!aws:PrincipalOrgID"), ImplicitDeny, "", ""},
		{"org: value case matters for StringEquals", orgKeyPolicy, caller(otherAcct, ""), "kms:Decrypt", ctxOf("aws:PrincipalOrgID=O-A1B2C3D4E5"), ImplicitDeny, "", ""},
		{"org: unknown membership", orgKeyPolicy, caller(otherAcct, ""), "kms:Decrypt", Context{}, Undetermined, "Allow access for organization root", "aws:PrincipalOrgID"},
		{"org: anonymous caller has no org", orgKeyPolicy, RequestPrincipal{Anonymous: true}, "kms:Decrypt", ctxOf("!aws:PrincipalOrgID"), ImplicitDeny, "", ""},
		{"org: action not listed", orgKeyPolicy, caller(otherAcct, ""), "kms:CreateGrant", ctxOf("aws:PrincipalOrgID=o-a1b2c3d4e5"), ImplicitDeny, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := mustParse(t, tc.policy)
			d := p.Evaluate(Request{Principal: tc.who, Action: tc.action, Resource: keyARN, Context: tc.ctx})
			checkDecision(t, d, tc.want, tc.wantStmt, tc.wantCond)
		})
	}
}

func checkDecision(t *testing.T, d Decision, want Outcome, wantStmt, wantCond string) {
	t.Helper()
	if d.Outcome != want {
		t.Fatalf("outcome = %s, want %s (reason: %s)", d.Outcome, want, d.Reason)
	}
	gotStmt := ""
	if d.Statement != nil {
		gotStmt = d.Statement.Name()
	}
	if gotStmt != wantStmt {
		t.Errorf("statement = %q, want %q", gotStmt, wantStmt)
	}
	gotCond := ""
	if d.Condition != nil {
		gotCond = d.Condition.Key
	}
	if gotCond != wantCond {
		t.Errorf("condition key = %q, want %q", gotCond, wantCond)
	}
	if d.Reason == "" {
		t.Error("empty reason")
	}
	if (want == ExplicitDeny || want == ImplicitDeny) != d.Outcome.Denied() {
		t.Errorf("Denied() = %v for %s", d.Outcome.Denied(), d.Outcome)
	}
}
