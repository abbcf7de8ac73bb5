package snapshot

import (
	"reflect"
	"testing"
)

func TestParsePolicyShapes(t *testing.T) {
	policy := `{
	  "Version": "2012-10-17",
	  "Statement": [
	    {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"},
	    {"Effect": "Allow", "Principal": {"AWS": ["444455556666", "arn:aws:iam::777788889999:role/Launcher", "*"]},
	     "Action": ["kms:Decrypt", "kms:ReEncrypt*"], "Resource": "*",
	     "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij", "kms:CallerAccount": ["1", "2"]}, "Bool": {"aws:SecureTransport": true}}},
	    {"Effect": "Deny", "Principal": "*", "NotAction": "kms:Describe*", "Resource": "*"},
	    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "kms:CreateGrant"}
	  ]
	}`
	st, err := ParsePolicy(policy)
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 4 {
		t.Fatalf("got %d statements, want 4", len(st))
	}
	want0 := []Principal{{Type: "AWS", Value: "arn:aws:iam::111122223333:root", Account: "111122223333", Root: true}}
	if !reflect.DeepEqual(st[0].Principals, want0) || !reflect.DeepEqual(st[0].Actions, []string{"kms:*"}) {
		t.Errorf("statement 0 = %+v", st[0])
	}
	want1 := []Principal{
		{Type: "AWS", Value: "444455556666", Account: "444455556666", Root: true},
		{Type: "AWS", Value: "arn:aws:iam::777788889999:role/Launcher", Account: "777788889999"},
		{Type: "AWS", Value: "*", Wildcard: true},
	}
	if !reflect.DeepEqual(st[1].Principals, want1) {
		t.Errorf("statement 1 principals = %+v", st[1].Principals)
	}
	wantCond := []Condition{
		{Operator: "Bool", Key: "aws:securetransport", Values: []string{"true"}},
		{Operator: "StringEquals", Key: "aws:principalorgid", Values: []string{"o-abcdefghij"}},
		{Operator: "StringEquals", Key: "kms:calleraccount", Values: []string{"1", "2"}},
	}
	if !reflect.DeepEqual(st[1].Conditions, wantCond) {
		t.Errorf("conditions = %+v", st[1].Conditions)
	}
	if st[2].Effect != "Deny" || !st[2].Principals[0].Wildcard || st[2].Principals[0].Type != "*" || !reflect.DeepEqual(st[2].NotActions, []string{"kms:describe*"}) {
		t.Errorf("statement 2 = %+v", st[2])
	}
	if p := st[3].Principals[0]; p.Type != "Service" || p.Account != "" || p.Wildcard {
		t.Errorf("service principal = %+v", p)
	}
}

func TestParsePolicySingleStatementObject(t *testing.T) {
	st, err := ParsePolicy(`{"Statement": {"Effect": "allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt"}}`)
	if err != nil || len(st) != 1 || st[0].Effect != "Allow" || !st[0].Principals[0].Wildcard {
		t.Fatalf("got %+v, %v", st, err)
	}
}

func TestParsePolicyErrors(t *testing.T) {
	for _, p := range []string{
		``, `[]`, `{}`, `{"Statement": 3}`,
		`{"Statement": [{"Effect": "Permit"}]}`,
		`{"Statement": [{"Effect": "Allow", "Principal": "someone"}]}`,
		`{"Statement": [{"Effect": "Allow", "Action": 7}]}`,
		`{"Statement": [{"Effect": "Allow", "Condition": {"StringEquals": {"k": {"nested": 1}}}}]}`,
	} {
		if _, err := ParsePolicy(p); err == nil {
			t.Errorf("ParsePolicy(%q) gave no error", p)
		}
	}
}

func TestAccountOfPrincipal(t *testing.T) {
	cases := map[string]struct {
		account string
		root    bool
	}{
		"123456789012":                                     {"123456789012", true},
		"arn:aws:iam::123456789012:root":                   {"123456789012", true},
		"arn:aws-us-gov:iam::123456789012:root":            {"123456789012", true},
		"arn:aws:iam::123456789012:role/x":                 {"123456789012", false},
		"arn:aws:sts::123456789012:assumed-role/x/session": {"123456789012", false},
		"ec2.us-east-1.amazonaws.com":                      {"", false},
		"AROAEXAMPLEID":                                    {"", false},
		"1234567890123":                                    {"", false},
		"arn:aws:kms:us-east-1:123456789012:key/abc":       {"", false},
	}
	for in, want := range cases {
		acct, root := AccountOfPrincipal(in)
		if acct != want.account || root != want.root {
			t.Errorf("AccountOfPrincipal(%q) = %q, %v; want %q, %v", in, acct, root, want.account, want.root)
		}
	}
}

func FuzzParsePolicy(f *testing.F) {
	f.Add(`{"Statement": [{"Effect": "Allow", "Principal": {"AWS": ["*", "123456789012"]}, "Action": ["kms:*"], "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-x"}}}]}`)
	f.Add(`{"Statement": {"Effect": "Deny", "Principal": "*", "NotAction": "kms:Decrypt"}}`)
	f.Fuzz(func(t *testing.T, policy string) {
		st, err := ParsePolicy(policy)
		if err != nil {
			return
		}
		for _, s := range st {
			if s.Effect != "Allow" && s.Effect != "Deny" {
				t.Fatalf("effect %q accepted", s.Effect)
			}
			for _, p := range append(s.Principals, s.NotPrincipals...) {
				if p.Wildcard && p.Value != "*" {
					t.Fatalf("wildcard principal with value %q", p.Value)
				}
			}
		}
	})
}
