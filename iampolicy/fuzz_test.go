package iampolicy

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// fuzzBudget bounds one input's parse and evaluations. Inputs are a few
// kilobytes: anything near this means super-linear behaviour (the wildcard
// matcher is quadratic at worst), not a slow machine.
const fuzzBudget = 5 * time.Second

var fuzzSeedPolicies = []string{
	defaultKeyPolicy,
	consoleKeyPolicy,
	awsManagedEBSPolicy,
	orgKeyPolicy,
	`{"Version":"2012-10-17","Statement":[{"Sid":"DenyOutsideOrg","Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}},{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}]}`,
	`{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotPrincipal":{"AWS":["111122223333"]},"NotAction":"kms:Put*","NotResource":"arn:aws:kms:*:111122223333:key/${aws:username}","Condition":{"ForAllValues:StringNotLike":{"aws:TagKeys":["key1*","a${*}b"]},"NumericLessThanEquals":{"s3:max-keys":10},"Bool":{"aws:SecureTransport":true}}}}`,
	`{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"*","Condition":{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]},"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"},"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/A*"},"Null":{"aws:TokenIssueTime":"false"},"BinaryEquals":{"k":"YWJj"}}}]}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringLikeIfExists":{"aws:SourceVpc":"*"},"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":"o-a1b2c3d4e5/*"}}}]}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":["111122223333","arn:aws:iam::111122223333:role/ExampleRole","arn:aws:sts::111122223333:assumed-role/ExampleRole/session"],"Service":"ec2.amazonaws.com"},"Action":"kms:*","Resource":"*"},{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"kms:*","Resource":"*"}]}`,
	`{"Statement":[`,
	`{"Statement":[{"Effect":"Allow","Action":"*"}],"Statement":[]}`,
}

// FuzzParse: Parse never panics, and whatever it accepts evaluates without
// panicking to a well-formed decision.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeedPolicies {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		start := time.Now()
		defer checkBudget(t, start)
		p, err := Parse(doc)
		if err != nil {
			if p != nil {
				t.Fatal("policy returned with an error")
			}
			return
		}
		for _, who := range fuzzPrincipals {
			for _, action := range []string{"kms:Decrypt", "kms:CreateGrant", "s3:GetObject"} {
				d := p.Evaluate(Request{Principal: who, Action: action, Resource: keyARN})
				checkWellFormed(t, p, d)
			}
		}
	})
}

var fuzzPrincipals = []RequestPrincipal{
	{Account: otherAcct},
	{Account: ownerAcct, ARN: "arn:aws:iam::111122223333:role/ExampleRole"},
	{Service: "ec2.amazonaws.com"},
	{Anonymous: true},
	{Account: ownerAcct, ARN: "arn:aws:sts::111122223333:assumed-role/ExampleRole/session"},
	{ARN: "arn:aws:iam::444455556666:root"},
}

func checkWellFormed(t *testing.T, p *Policy, d Decision) {
	t.Helper()
	switch d.Outcome {
	case Allowed, ExplicitDeny:
		if d.Statement == nil {
			t.Fatalf("%s without a statement", d.Outcome)
		}
	case Undetermined:
		if d.Statement == nil {
			t.Fatal("undetermined without a statement")
		}
	case ImplicitDeny:
		if d.Statement != nil {
			t.Fatal("implicit deny with a statement")
		}
	default:
		t.Fatalf("outcome %q", d.Outcome)
	}
	if d.Outcome != Undetermined && d.Condition != nil {
		t.Fatalf("%s with a condition", d.Outcome)
	}
	if d.Statement != nil {
		found := false
		for i := range p.Statements {
			if &p.Statements[i] == d.Statement {
				found = true
			}
		}
		if !found {
			t.Fatal("deciding statement is not one of the policy's")
		}
	}
	if d.Reason == "" {
		t.Fatal("empty reason")
	}
}

// FuzzEvaluate: no panic, and soundness of the third value: when a request
// with one context key unknown is decided (allowed or denied), fixing that
// key (absent, or present with values) never changes the outcome.
func FuzzEvaluate(f *testing.F) {
	for _, s := range fuzzSeedPolicies {
		f.Add(s, "kms:Decrypt", "aws:PrincipalOrgID", "o-a1b2c3d4e5", uint8(0))
		f.Add(s, "kms:CreateGrant", "kms:GrantIsForAWSResource", "true", uint8(1))
		f.Add(s, "kms:Encrypt", "aws:TagKeys", "key1:a|key2:b", uint8(2))
		f.Add(s, "s3:GetObject", "aws:username", "bob", uint8(3))
	}
	f.Fuzz(func(t *testing.T, doc, action, key, value string, who uint8) {
		if !utf8.ValidString(key) || strings.TrimSpace(key) == "" {
			return
		}
		start := time.Now()
		defer checkBudget(t, start)
		p, err := Parse(doc)
		if err != nil {
			return
		}
		req := Request{Principal: fuzzPrincipals[int(who)%len(fuzzPrincipals)], Action: action, Resource: keyARN}
		unknown := p.Evaluate(req)
		checkWellFormed(t, p, unknown)

		var absent Context
		absent.SetAbsent(key)
		req.Context = absent
		dAbsent := p.Evaluate(req)
		checkWellFormed(t, p, dAbsent)

		var present Context
		present.Set(key, strings.Split(value, "|")...)
		req.Context = present
		dPresent := p.Evaluate(req)
		checkWellFormed(t, p, dPresent)

		// Allowed and ExplicitDeny stay as they are. ImplicitDeny stays a
		// deny: a Deny whose condition was unknown may turn out to apply
		// (no Allow could apply either way).
		for _, d := range []Decision{dAbsent, dPresent} {
			ok := true
			switch unknown.Outcome {
			case Allowed, ExplicitDeny:
				ok = d.Outcome == unknown.Outcome
			case ImplicitDeny:
				ok = d.Outcome.Denied()
			}
			if !ok {
				t.Fatalf("decided %s with %s unknown, but %s when absent and %s when %q",
					unknown.Outcome, key, dAbsent.Outcome, dPresent.Outcome, value)
			}
		}
		for i := range p.Statements {
			for _, c := range p.Statements[i].Conditions {
				u := EvaluateCondition(c, Context{})
				if u == Unknown {
					continue
				}
				if a := EvaluateCondition(c, absent); a != u {
					t.Fatalf("%+v: %s with the key unknown, %s when absent", c, u, a)
				}
				if pr := EvaluateCondition(c, present); pr != u && strings.EqualFold(c.Key, key) {
					t.Fatalf("%+v: %s with the key unknown, %s when %q", c, u, pr, value)
				}
			}
		}
	})
}

func checkBudget(t *testing.T, start time.Time) {
	if d := time.Since(start); d > fuzzBudget {
		t.Fatalf("one input took %v", d)
	}
}
