package iampolicy

import (
	"fmt"
	"strings"
	"testing"
)

// benchPolicies builds n key policies in the shapes the access model meets:
// the console default (root, admins, users, grants for AWS resources), an
// organization statement with a Deny outside the organization, and the
// EBS-style CallerAccount + ViaService policy, with varying account IDs.
func benchPolicies(tb testing.TB, n int) []*Policy {
	tb.Helper()
	templates := []string{consoleKeyPolicy, awsManagedEBSPolicy, `{
	  "Version": "2012-10-17",
	  "Statement": [
	    {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"},
	    {"Sid": "OrgUse", "Effect": "Allow", "Principal": "*",
	     "Action": ["kms:Describe*","kms:List*","kms:Get*","kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*"], "Resource": "*",
	     "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}},
	    {"Sid": "OUGrant", "Effect": "Allow", "Principal": "*", "Action": "kms:CreateGrant", "Resource": "*",
	     "Condition": {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*"}, "Bool": {"kms:GrantIsForAWSResource": "true"}}},
	    {"Sid": "DenyOutsideOrg", "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
	     "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}, "ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/aws-service-role/*"}}}
	  ]
	}`}
	out := make([]*Policy, n)
	for i := range out {
		doc := templates[i%len(templates)]
		doc = strings.ReplaceAll(doc, "444455556666", fmt.Sprintf("%012d", 400000000000+i))
		p, err := Parse(doc)
		if err != nil {
			tb.Fatal(err)
		}
		out[i] = p
	}
	return out
}

func benchRequests() []Request {
	members := ctxOf("aws:PrincipalOrgID=o-a1b2c3d4e5", "aws:PrincipalOrgPaths=o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/", "kms:ViaService=ec2.us-west-2.amazonaws.com", "kms:GrantIsForAWSResource=true", "aws:PrincipalArn=arn:aws:iam::400000000001:root")
	stranger := ctxOf("!aws:PrincipalOrgID", "!aws:PrincipalOrgPaths", "kms:ViaService=ec2.us-west-2.amazonaws.com", "kms:GrantIsForAWSResource=true")
	foreign := ctxOf("aws:PrincipalOrgID=o-zzzzzzzzzz", "aws:PrincipalOrgPaths=o-zzzzzzzzzz/r-zz/", "kms:ViaService=ec2.us-west-2.amazonaws.com")
	unknownOrg := ctxOf("kms:ViaService=ec2.us-west-2.amazonaws.com")
	principals := []struct {
		p   RequestPrincipal
		ctx Context
	}{
		{RequestPrincipal{Account: "400000000001"}, members},
		{RequestPrincipal{Account: "999999999999"}, stranger},
		{RequestPrincipal{Account: "888888888888"}, foreign},
		{RequestPrincipal{Account: "111122223333", ARN: "arn:aws:iam::111122223333:role/ExampleRole"}, unknownOrg},
	}
	actions := []string{"kms:DescribeKey", "kms:CreateGrant", "kms:Decrypt", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo"}
	var reqs []Request
	for _, pr := range principals {
		for _, a := range actions {
			ctx := Context{Values: map[string][]string{}, Absent: map[string]bool{}}
			for k, v := range pr.ctx.Values {
				ctx.Values[k] = v
			}
			for k, v := range pr.ctx.Absent {
				ctx.Absent[k] = v
			}
			ctx.Set("kms:CallerAccount", pr.p.Account)
			reqs = append(reqs, Request{Principal: pr.p, Action: a, Resource: keyARN, Context: ctx})
		}
	}
	return reqs
}

// BenchmarkEvaluate: one op is a full sweep of 5,000 key policies × 4
// principals × 6 actions (120,000 decisions), the access model's load for a
// large organization; ns/decision is reported beside it.
func BenchmarkEvaluate(b *testing.B) {
	policies := benchPolicies(b, 5000)
	reqs := benchRequests()
	outcomes := map[Outcome]int{}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, p := range policies {
			for i := range reqs {
				outcomes[p.Evaluate(reqs[i]).Outcome]++
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(policies)*len(reqs)), "ns/decision")
	if len(outcomes) < 3 {
		b.Fatalf("the benchmark exercises too few outcomes: %v", outcomes)
	}
}

// BenchmarkParse: parsing and compiling one key policy.
func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(consoleKeyPolicy); err != nil {
			b.Fatal(err)
		}
	}
}
