// Package iampolicy parses and evaluates AWS IAM policy documents — KMS key
// policies first — the way AWS does, with a third outcome for what the
// request context cannot decide. It is pure: no AWS calls, no I/O, no other
// amiaudit package.
//
// API (the contract with the access model):
//
//	p, err := iampolicy.Parse(doc)  // *ParseError names the element: "Statement[2].Condition: …"
//	d := p.Evaluate(iampolicy.Request{
//		Principal: iampolicy.RequestPrincipal{Account: "111122223333"},
//		Action:    "kms:Decrypt",
//		Resource:  keyARN,
//		Context:   ctx, // Context.Set("kms:CallerAccount", "111122223333"); Context.SetAbsent("aws:PrincipalOrgID")
//	})
//	d.Outcome   // Allowed | ExplicitDeny | ImplicitDeny | Undetermined; d.Outcome.Denied()
//	d.Statement // the deciding statement (Name(): Sid or "Statement[i]")
//	d.Condition // for Undetermined: the condition whose key is unknown
//	d.Reason    // one sentence for a finding's message
//	iampolicy.EvaluateCondition(c, ctx) // True | False | Unknown for one condition
//
// Context keys are case-insensitive (stored lower-cased; Set and SetAbsent
// do it). A key in Values is present, a key in Absent is known absent, any
// other key is unknown: a condition that depends on it is Unknown unless its
// result is the same whatever the key holds.
//
// Principal matching (key policies): "*" and {"AWS":"*"} match everyone,
// anonymous included; an account ID or arn:aws:iam::ID:root matches every
// principal of that account (RequestPrincipal.ARN "" stands for a principal
// the policy does not name individually); any other ARN matches only a
// request with exactly that ARN; Service matches RequestPrincipal.Service.
// NotPrincipal matches everyone it does not list.
//
// Evaluation (reference_policies_evaluation-logic.html): a statement applies
// when principal, action, resource and every condition match (three-valued
// AND). An applying Deny gives ExplicitDeny. Otherwise an applying Allow
// gives Allowed, unless a Deny might apply (Undetermined, deciding = that
// Deny). Otherwise an Allow that might apply gives Undetermined. Otherwise
// ImplicitDeny.
//
// Condition semantics, with the AWS page for each, are documented on
// compiledCondition.eval in condition.go; policy variables in template.go.
package iampolicy
