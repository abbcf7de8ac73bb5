package iampolicy

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// Every shape AWS accepts: single value or list everywhere.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
func TestParseShapes(t *testing.T) {
	doc := `{
	  "Version": "2012-10-17",
	  "Statement": {
	    "Sid": "One",
	    "Effect": "Allow",
	    "Principal": {"AWS": "444455556666", "Service": ["ec2.amazonaws.com", "autoscaling.amazonaws.com"]},
	    "Action": "kms:Decrypt",
	    "Resource": ["*"],
	    "Condition": {
	      "StringEquals": {"kms:CallerAccount": ["444455556666", "111122223333"], "kms:ViaService": "ec2.us-east-1.amazonaws.com"},
	      "Bool": {"kms:GrantIsForAWSResource": true},
	      "NumericLessThan": {"s3:max-keys": 10}
	    }
	  }
	}`
	p := mustParse(t, doc)
	if p.Version != "2012-10-17" || len(p.Statements) != 1 {
		t.Fatalf("policy = %+v", p)
	}
	s := p.Statements[0]
	want := Statement{
		Index: 0, Sid: "One", Effect: "Allow",
		Principal: &Principals{AWS: []string{"444455556666"}, Service: []string{"ec2.amazonaws.com", "autoscaling.amazonaws.com"}},
		Action:    []string{"kms:Decrypt"},
		Resource:  []string{"*"},
		Conditions: []Condition{
			{Operator: "StringEquals", Key: "kms:CallerAccount", Values: []string{"444455556666", "111122223333"}},
			{Operator: "StringEquals", Key: "kms:ViaService", Values: []string{"ec2.us-east-1.amazonaws.com"}},
			{Operator: "Bool", Key: "kms:GrantIsForAWSResource", Values: []string{"true"}},
			{Operator: "NumericLessThan", Key: "s3:max-keys", Values: []string{"10"}},
		},
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("statement =\n%+v\nwant\n%+v", s, want)
	}
	if s.NotAction != nil || s.NotResource != nil || s.NotPrincipal != nil {
		t.Error("absent elements must be nil")
	}
}

// "*" and {"AWS": "*"} are the same principal (everyone, anonymous included).
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
func TestParsePrincipalForms(t *testing.T) {
	tests := []struct {
		principal string
		want      Principals
	}{
		{`"*"`, Principals{Any: true}},
		{`{"AWS": "*"}`, Principals{Any: true, AWS: []string{"*"}}},
		{`{"AWS": ["arn:aws:iam::111122223333:root", "*"]}`, Principals{Any: true, AWS: []string{"arn:aws:iam::111122223333:root", "*"}}},
		{`{"AWS": "111122223333"}`, Principals{AWS: []string{"111122223333"}}},
		{`{"AWS": ["arn:aws:iam::111122223333:role/R", "arn:aws:iam::111122223333:user/U"]}`, Principals{AWS: []string{"arn:aws:iam::111122223333:role/R", "arn:aws:iam::111122223333:user/U"}}},
		{`{"Service": "ec2.amazonaws.com"}`, Principals{Service: []string{"ec2.amazonaws.com"}}},
		{`{"Federated": "cognito-identity.amazonaws.com"}`, Principals{Federated: []string{"cognito-identity.amazonaws.com"}}},
		{`{"CanonicalUser": "79a59df900b949e55d96a1e698fbaced"}`, Principals{CanonicalUser: []string{"79a59df900b949e55d96a1e698fbaced"}}},
	}
	for _, tc := range tests {
		doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":` + tc.principal + `,"Action":"kms:*","Resource":"*"}]}`
		p := mustParse(t, doc)
		if got := p.Statements[0].Principal; got == nil || !reflect.DeepEqual(*got, tc.want) {
			t.Errorf("Principal %s = %+v, want %+v", tc.principal, got, tc.want)
		}
		doc = strings.Replace(doc, `"Principal"`, `"NotPrincipal"`, 1)
		p = mustParse(t, doc)
		if got := p.Statements[0].NotPrincipal; got == nil || !reflect.DeepEqual(*got, tc.want) {
			t.Errorf("NotPrincipal %s = %+v, want %+v", tc.principal, got, tc.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	stmt := func(s string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},` + s + `]}`
	}
	tests := []struct {
		name, doc string
		wantPath  string // ParseError.Path
		wantMsg   string // substring of the message
	}{
		{"bad JSON", "{\n  \"Statement\": [\n    {\"Effect\": \"Allow\",}\n  ]\n}", "", "line 3"},
		{"truncated", `{"Statement": [`, "", "invalid JSON"},
		{"not an object", `[]`, "", "expected a JSON object"},
		{"no statement", `{"Version":"2012-10-17"}`, "", "no Statement"},
		{"unknown top element", `{"Statement":[],"Foo":1}`, "", `unknown element "Foo"`},
		{"missing effect", stmt(`{"Principal":"*","Action":"kms:*","Resource":"*"}`), "Statement[1]", "missing Effect"},
		{"missing effect named by sid", stmt(`{"Principal":"*","Action":"kms:*","Resource":"*","Sid":"S"}`), "Statement[1]", `Statement[1] (Sid "S"): missing Effect`},
		{"unknown operator named by sid", stmt(`{"Condition":{"StringEq":{"a":"b"}},"Effect":"Deny","Principal":"*","Action":"kms:*","Sid":"Guard"}`), "Statement[1].Condition.StringEq", `Statement[1].Condition.StringEq (Sid "Guard"): unknown condition operator "StringEq"`},
		{"unknown effect", stmt(`{"Effect":"Maybe","Principal":"*","Action":"kms:*","Resource":"*"}`), "Statement[1].Effect", `unknown effect "Maybe"`},
		{"principal and notprincipal", stmt(`{"Effect":"Deny","Principal":"*","NotPrincipal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"}`), "Statement[1]", "both Principal and NotPrincipal"},
		{"action and notaction", stmt(`{"Effect":"Deny","Principal":"*","Action":"kms:*","NotAction":"kms:Decrypt","Resource":"*"}`), "Statement[1]", "both Action and NotAction"},
		{"resource and notresource", stmt(`{"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","NotResource":"*"}`), "Statement[1]", "both Resource and NotResource"},
		{"no action", stmt(`{"Effect":"Deny","Principal":"*","Resource":"*"}`), "Statement[1]", "missing Action or NotAction"},
		{"unknown operator", stmt(`{"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringEq":{"a":"b"}}}`), "Statement[1].Condition.StringEq", `unknown condition operator "StringEq"`},
		{"NullIfExists", stmt(`{"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"NullIfExists":{"a":"true"}}}`), "Statement[1].Condition.NullIfExists", "IfExists cannot be added to Null"},
		{"condition value object", stmt(`{"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"a":{"b":1}}}}`), "Statement[1].Condition.StringEquals.a", "expected a string, number or boolean"},
		{"condition not object", stmt(`{"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":"x"}`), "Statement[1].Condition", "expected a JSON object"},
		{"unknown statement element", stmt(`{"Effect":"Deny","Principal":"*","action":"kms:*","Resource":"*"}`), "Statement[1]", `unknown element "action"`},
		{"duplicate element", stmt(`{"Effect":"Deny","Effect":"Allow","Principal":"*","Action":"kms:*"}`), "Statement[1]", `duplicate element "Effect"`},
		{"principal string", stmt(`{"Effect":"Deny","Principal":"111122223333","Action":"kms:*"}`), "Statement[1].Principal", `must be "*"`},
		{"principal type", stmt(`{"Effect":"Deny","Principal":{"Account":"111122223333"},"Action":"kms:*"}`), "Statement[1].Principal", `unknown principal type "Account"`},
		{"action number", stmt(`{"Effect":"Deny","Principal":"*","Action":5}`), "Statement[1].Action", "expected a string or a list of strings"},
		{"null action", stmt(`{"Effect":"Deny","Principal":"*","Action":null}`), "Statement[1].Action", "expected a string or a list of strings, got null"},
		{"null condition value", stmt(`{"Effect":"Deny","Principal":"*","Action":"*","Condition":{"Null":{"k":null}}}`), "Statement[1].Condition.Null.k", "expected a string, number or boolean, got null"},
		{"trailing data", `{"Statement":[]} {}`, "", "unexpected data"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.doc)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a *ParseError", err)
			}
			if pe.Path != tc.wantPath {
				t.Errorf("path = %q, want %q (err: %v)", pe.Path, tc.wantPath, err)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("err = %q, want it to contain %q", err, tc.wantMsg)
			}
		})
	}
}

func TestStatementName(t *testing.T) {
	p := mustParse(t, `{"Statement":[{"Sid":"Named","Effect":"Allow","Action":"*"},{"Effect":"Deny","Action":"*"}]}`)
	if got := p.Statements[0].Name(); got != "Named" {
		t.Errorf("Name() = %q", got)
	}
	if got := p.Statements[1].Name(); got != "Statement[1]" {
		t.Errorf("Name() = %q", got)
	}
	if p.Statements[1].Index != 1 {
		t.Errorf("Index = %d", p.Statements[1].Index)
	}
}

// Under Version 2008-10-17 (or none) ${…} is literal text, not a variable.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html
func TestVariablesNeedVersion2012(t *testing.T) {
	body := `"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/${aws:username}/*"}]`
	ctx := ctxOf("aws:username=bob")
	req := Request{Principal: RequestPrincipal{Account: otherAcct}, Action: "s3:GetObject", Context: ctx}

	req.Resource = "arn:aws:s3:::bucket/bob/file"
	if d := mustParse(t, `{"Version":"2012-10-17",`+body+`}`).Evaluate(req); d.Outcome != Allowed {
		t.Errorf("2012-10-17, substituted: %s (%s)", d.Outcome, d.Reason)
	}
	if d := mustParse(t, `{"Version":"2008-10-17",`+body+`}`).Evaluate(req); d.Outcome != ImplicitDeny {
		t.Errorf("2008-10-17, literal: %s (%s)", d.Outcome, d.Reason)
	}
	req.Resource = "arn:aws:s3:::bucket/${aws:username}/file"
	if d := mustParse(t, `{"Version":"2008-10-17",`+body+`}`).Evaluate(req); d.Outcome != Allowed {
		t.Errorf("2008-10-17, literal text matches itself: %s (%s)", d.Outcome, d.Reason)
	}
}
