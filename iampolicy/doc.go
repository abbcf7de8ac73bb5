// Package iampolicy parses and evaluates AWS IAM policy documents — KMS key
// policies first — the way AWS does, with a third outcome for what the
// request context cannot decide. It is pure: no AWS calls, no I/O, no other
// amiaudit package. A parsed Policy is read-only: Evaluate is safe to call
// from many goroutines. Parse compiles patterns and operators once; a
// parsed Policy's statements must not be modified afterwards (build a new
// Policy instead; one built by hand is compiled on each Evaluate).
//
// # API (the contract with the access model)
//
//	p, err := iampolicy.Parse(doc)  // *ParseError: Path "Statement[2].Condition.StringEq", Sid, Msg
//	d := p.Evaluate(iampolicy.Request{
//		Principal: iampolicy.RequestPrincipal{Account: "111122223333"},
//		Action:    "kms:Decrypt",
//		Resource:  keyARN,
//		Context:   ctx, // ctx.Set("kms:CallerAccount", "111122223333"); ctx.SetAbsent("aws:PrincipalOrgID")
//	})
//	d.Outcome   // Allowed | ExplicitDeny | ImplicitDeny | Undetermined; d.Outcome.Denied()
//	d.Statement // the deciding statement (Name(): Sid or "Statement[i]")
//	d.Condition // for Undetermined: the condition whose result is unknown (nil when the
//	            // unknown part is the NotPrincipal level check or a variable in Resource)
//	d.Reason    // one sentence for a finding's message
//	p.EvaluateAllowedBy(req, "grant g-1") // an Allow from outside (a KMS grant): only Denies can take it away
//	iampolicy.EvaluateCondition(c, ctx) // True | False | Unknown for one condition
//	iampolicy.MatchWildcard("o-*", "o-abc") // StringLike matching, for witnesses
//
// Context keys are case-insensitive (stored lower-cased; Set and SetAbsent
// do it). A key in Values is present, a key in Absent is known absent, any
// other key is unknown: a condition that depends on it is Unknown unless its
// result is the same whatever the key holds (absent, empty or any values),
// e.g. StringLikeIfExists "*", ForAllValues:StringLike "*", Null
// ["true","false"].
//
// # Principals (key policies)
//
// "*" and {"AWS":"*"} match everyone, anonymous and service principals
// included; an account ID or arn:aws:iam::ID:root matches every principal
// of that account (RequestPrincipal.ARN "" stands for a principal the policy
// does not name individually); a role ARN matches the role and its
// assumed-role sessions (arn:aws:sts::ID:assumed-role/NAME/…); any other
// ARN matches only a request with exactly that ARN (case-sensitive; AWS
// allows no wildcards in Principal); Service matches
// RequestPrincipal.Service. Federated and CanonicalUser never match (the
// access model has no such callers). A statement with neither element (an
// identity policy) matches any caller.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
//
// NotPrincipal (with Deny, and with Allow in the legacy reading) leaves in
// the statement everyone it does not list — judged, as AWS documents, at
// every level of the caller's identity: account, principal, and for a role
// its assumed-role session. So listing an account spares only its root user,
// not its roles and users (unnamed principals of a listed account are in the
// statement); a listed user or role whose account is not listed is Unknown
// ("might deny access to the entire account"); a role is spared only if its
// session ARN is listed too (Unknown when some sessions of it are listed).
// AWS documents those levels for Deny; with Allow ("not supported" today)
// a caller listed at some levels only is Unknown.
// This refines the "NotPrincipal inverts" of the contract only for
// callers listed at some levels and not others.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
//
// # Evaluation
//
// A statement applies when principal, action (case-insensitive, '*' and '?'),
// resource (case-sensitive; '?' and a '*' inside an ARN segment stay in
// that segment, a '*' ending a segment may cross colons, as
// reference_policies_elements_resource.html documents; absent Resource
// matches all) and every condition match: a three-valued AND. An applying
// Deny gives ExplicitDeny. Otherwise an applying Allow gives Allowed, unless
// some Deny might apply (Undetermined, deciding = that Deny). Otherwise an
// Allow that might apply gives Undetermined. Otherwise ImplicitDeny, whose
// Reason names the first Allow that only a condition kept out (Statement
// stays nil). A Deny that might apply with no Allow that can is still
// ImplicitDeny: denied either way (use EvaluateAllowedBy when an Allow comes
// from a grant).
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
//
// # Conditions
//
// Operators AND, keys of one operator AND, values of one key OR, values of
// a negated operator (StringNotEquals, StringNotEqualsIgnoreCase,
// StringNotLike, NumericNotEquals, DateNotEquals, NotIpAddress, ArnNotEquals,
// ArnNotLike) NOR. Absent key: positive operators false, negated true,
// …IfExists true, Null "true" true; ForAnyValue false and ForAllValues true
// for an absent or empty key. Wildcards only in StringLike/StringNotLike and
// the Arn operators (per ARN component; ArnEquals and ArnLike behave alike).
// The page for each rule is cited on compiledCondition.eval (condition.go).
//
// # Where AWS's documentation is silent (so the answer is Unknown, not a guess)
//
//   - A multivalued key used without ForAnyValue/ForAllValues: AWS says such
//     keys require a set operator. Both readings (any value, every value)
//     are computed; when they differ the condition is Unknown.
//   - A policy value that does not parse for its operator (NumericEquals
//     "ten", a Date with a wildcard): Unknown.
//   - A policy variable whose key is absent without a default, multivalued,
//     or unknown: Unknown ("this might cause the entire statement to be
//     invalid", reference_policies_variables.html). Substituted values are
//     literal text in wildcard patterns; ${*}, ${?}, ${$} are literal
//     characters. Variables are recognised only under Version "2012-10-17"
//     and only in Resource and the String, Arn and Bool operators.
//   - An unknown operator in a hand-built Policy: Unknown (Parse refuses it).
//
// # Limits
//
//   - One policy at a time: combining a key policy with IAM policies, SCPs,
//     RCPs or permissions boundaries is the caller's job (EvaluateAllowedBy
//     covers an Allow from a KMS grant).
//   - Context keys are matched ignoring case everywhere, also in the part
//     of kms:EncryptionContext:context-key that AWS compares case-sensitively
//     (https://docs.aws.amazon.com/kms/latest/APIReference/API_GrantConstraints.html);
//     the access model leaves the encryption context unknown, so such
//     conditions are Unknown either way.
//   - Federated and CanonicalUser principals, and the permissions-boundary
//     rule of NotPrincipal with Deny, are not modelled.
//
// Condition operator names and the ForAnyValue:/ForAllValues: prefixes are
// matched case-insensitively (never rejecting a policy AWS stored); element
// names are case-sensitive, and unknown or duplicated elements are parse
// errors, since a policy AWS stored never has them and guessing their
// meaning could hide a grant.
package iampolicy
