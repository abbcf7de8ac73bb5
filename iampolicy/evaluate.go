package iampolicy

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/amiaudit/amiaudit/internal/awsid"
)

// Request is one request to judge: who asks to do what to which resource,
// with the request context AWS would build.
type Request struct {
	Principal RequestPrincipal
	Action    string // "kms:Decrypt"; matched case-insensitively
	Resource  string // e.g. the key ARN
	Context   Context
}

// RequestPrincipal is the caller.
type RequestPrincipal struct {
	Account string // 12-digit account of the caller ("" when anonymous)
	// ARN of the calling principal; "" means "some principal of Account that
	// the policy does not name individually".
	ARN       string
	Service   string // a service principal such as "ec2.amazonaws.com"; else ""
	Anonymous bool
}

// Outcome is the result of evaluating a policy for a request.
type Outcome string

// The outcomes. Undetermined: the answer depends on a context key the
// request context could not fix; it is never turned into allowed or denied.
const (
	Allowed      Outcome = "allowed"
	ExplicitDeny Outcome = "explicit-deny"
	ImplicitDeny Outcome = "implicit-deny"
	Undetermined Outcome = "undetermined"
)

// Denied reports whether the outcome is an explicit or implicit deny.
func (o Outcome) Denied() bool { return o == ExplicitDeny || o == ImplicitDeny }

// Decision is an outcome with what decided it.
type Decision struct {
	Outcome Outcome
	// Statement decided: the applying Deny, the applying Allow, or for
	// Undetermined the statement whose condition is unknown. nil for
	// ImplicitDeny.
	Statement *Statement
	// Condition is, for Undetermined, the condition whose result is unknown
	// (nil when the unknown part is a policy variable in Resource).
	Condition *Condition
	Reason    string // one sentence for messages
}

// compiledStatement holds a statement's patterns, built once.
type compiledStatement struct {
	allow, deny bool              // Effect, read case-insensitively (a hand-built statement may spell it otherwise)
	actions     []string          // wildcard patterns (Action or NotAction), matched ignoring ASCII case
	notAction   bool              // actions came from NotAction
	resources   []template        // Resource or NotResource; nil = element absent
	resPatterns []resourcePattern // compiled resources (those without variables)
	notRes      bool
	hasRes      bool
	conditions  []compiledCondition
}

// EvaluateAllowedBy decides a request that something outside the policy
// allows — a KMS grant, named by allowedBy for the message — the way KMS
// combines grants with the key policy: only the policy's Deny statements
// can take that Allow away
// ("explicitly allowed, and never denied, in a key policy, IAM policy, or
// grant": https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html).
// It returns ExplicitDeny when a Deny applies, Undetermined when one might
// (Statement and Condition name it), and otherwise Allowed with Statement
// nil. Evaluating a policy made of the Deny statements alone is not the
// same: with no Allow that can apply, an unknown Deny changes nothing there
// and the answer is ImplicitDeny.
func (p *Policy) EvaluateAllowedBy(r Request, allowedBy string) Decision {
	compiled := p.compiledFor()
	ctx := &r.Context
	var denyUnknown *stmtResult
	var unknownRes stmtResult
	for i := range p.Statements {
		s := &p.Statements[i]
		if !compiled[i].deny {
			continue
		}
		res := evalStatement(s, &compiled[i], &r, ctx)
		switch res.applies {
		case True:
			return Decision{Outcome: ExplicitDeny, Statement: s,
				Reason: reasonApplies(s, &compiled[i], &r, "denies")}
		case Unknown:
			if denyUnknown == nil {
				unknownRes = res
				denyUnknown = &unknownRes
			}
		}
	}
	if denyUnknown != nil {
		return undetermined(denyUnknown, &r, fmt.Sprintf("%s allows %s, but statement %q denies it if ",
			allowedBy, r.Action, denyUnknown.stmt.Name()))
	}
	return Decision{Outcome: Allowed,
		Reason: allowedBy + " allows " + r.Action + " to " + describePrincipal(r.Principal) + " and no Deny statement applies"}
}

// compiledFor returns the statements' compiled form: Parse's, or built now
// for a Policy assembled by hand.
func (p *Policy) compiledFor() []compiledStatement {
	if len(p.compiled) == len(p.Statements) {
		return p.compiled
	}
	compiled := make([]compiledStatement, len(p.Statements))
	vars := p.Version == versionWithVariables
	for i := range p.Statements {
		compiled[i] = compileStatement(&p.Statements[i], vars)
	}
	return compiled
}

func compileStatement(s *Statement, vars bool) compiledStatement {
	cs := compiledStatement{allow: strings.EqualFold(s.Effect, "Allow"), deny: strings.EqualFold(s.Effect, "Deny")}
	acts := s.Action
	if s.NotAction != nil {
		acts, cs.notAction = s.NotAction, true
	}
	cs.actions = make([]string, len(acts))
	for i, a := range acts {
		cs.actions[i] = literalToPattern(a)
	}
	res := s.Resource
	if s.NotResource != nil {
		res, cs.notRes = s.NotResource, true
	}
	cs.hasRes = s.Resource != nil || s.NotResource != nil
	cs.resources = make([]template, len(res))
	cs.resPatterns = make([]resourcePattern, len(res))
	for i, r := range res {
		cs.resources[i] = newTemplate(r, vars)
		if cs.resources[i].parts == nil {
			cs.resPatterns[i] = compileResource(cs.resources[i].pattern)
		}
	}
	cs.conditions = make([]compiledCondition, len(s.Conditions))
	for i, c := range s.Conditions {
		// Parse refuses unknown operators; a hand-built statement keeps one
		// and evaluates it as Unknown.
		cs.conditions[i] = compileCondition(c, vars)
	}
	return cs
}

// Evaluate decides the request the way AWS evaluates one policy
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
// a statement applies when its principal, action, resource and every
// condition match; an applying Deny wins; otherwise an applying Allow
// allows; otherwise the request is implicitly denied. With three-valued
// matching, an Allow that applies is not enough while some Deny might apply
// (Undetermined, deciding = that Deny), and an Allow that might apply is
// Undetermined.
func (p *Policy) Evaluate(r Request) Decision {
	compiled := p.compiledFor()
	ctx := &r.Context
	var allowTrue, allowUnknown, denyUnknown *stmtResult
	var results [3]stmtResult
	near, nearCond := -1, -1 // an Allow that only a condition kept from applying
	for i := range p.Statements {
		s := &p.Statements[i]
		if !compiled[i].allow && !compiled[i].deny {
			// Only a hand-built statement can have another Effect; it
			// neither allows nor denies.
			continue
		}
		res := evalStatement(s, &compiled[i], &r, ctx)
		switch {
		case res.applies == False:
			if res.failed >= 0 && compiled[i].allow && near < 0 {
				near, nearCond = i, res.failed
			}
			continue
		case compiled[i].deny && res.applies == True:
			return Decision{Outcome: ExplicitDeny, Statement: s,
				Reason: reasonApplies(s, &compiled[i], &r, "denies")}
		case compiled[i].deny:
			if denyUnknown == nil {
				results[0] = res
				denyUnknown = &results[0]
			}
		case res.applies == True:
			if allowTrue == nil {
				results[1] = res
				allowTrue = &results[1]
			}
		default:
			if allowUnknown == nil {
				results[2] = res
				allowUnknown = &results[2]
			}
		}
	}
	switch {
	case allowTrue != nil && denyUnknown != nil:
		return undetermined(denyUnknown, &r, fmt.Sprintf("statement %q would allow %s, but statement %q denies it if ",
			allowTrue.stmt.Name(), r.Action, denyUnknown.stmt.Name()))
	case allowTrue != nil:
		s := allowTrue.stmt
		return Decision{Outcome: Allowed, Statement: s,
			Reason: reasonApplies(s, allowTrue.cs, &r, "allows")}
	case allowUnknown != nil:
		return undetermined(allowUnknown, &r, fmt.Sprintf("statement %q allows %s only if ",
			allowUnknown.stmt.Name(), r.Action))
	}
	reason := "no statement allows " + r.Action + " to " + describePrincipal(r.Principal)
	if near >= 0 {
		s := &p.Statements[near]
		c := &s.Conditions[nearCond]
		reason += "; statement " + strconv.Quote(s.Name()) + " would, but its condition " + describeCondition(c) +
			" does not hold (" + describeKey(c, &r.Context) + ")"
	}
	return Decision{Outcome: ImplicitDeny, Reason: reason}
}

type stmtResult struct {
	stmt    *Statement
	cs      *compiledStatement
	applies Tri
	cond    int   // index of the first Unknown condition, -1 when none
	failed  int   // index of the False condition when only a condition failed, else -1
	why     cause // why that condition is Unknown
	resVar  string
	whoWhy  string // why the principal match is Unknown, "" when it is not
}

func evalStatement(s *Statement, cs *compiledStatement, r *Request, ctx *Context) stmtResult {
	res := stmtResult{stmt: s, cs: cs, applies: False, cond: -1, failed: -1}
	pm, whoWhy := principalMatches(s, &r.Principal)
	if pm == False {
		return res
	}
	if !actionMatches(cs, r.Action) {
		return res
	}
	rm, rv := resourceMatches(cs, r.Resource, ctx)
	if rm == False {
		return res
	}
	applies := and(pm, rm)
	res.resVar, res.whoWhy = rv, whoWhy
	for i := range cs.conditions {
		c, why := cs.conditions[i].eval(ctx)
		if c == False {
			res.cond, res.failed = -1, i
			return res
		}
		if c == Unknown && res.cond < 0 {
			res.cond, res.why = i, why
			applies = Unknown
		}
	}
	res.applies = applies
	return res
}

func actionMatches(cs *compiledStatement, action string) bool {
	m := false
	for _, a := range cs.actions {
		if wildcardMatch(a, action, true) {
			m = true
			break
		}
	}
	return m != cs.notAction
}

// resourceMatches: an absent Resource/NotResource (identity-less trust or
// bucket policies never omit it in KMS; AWS requires Resource in key
// policies) matches every resource.
func resourceMatches(cs *compiledStatement, resource string, ctx *Context) (Tri, string) {
	if !cs.hasRes {
		return True, ""
	}
	m, unknownVar := False, ""
	for i := range cs.resources {
		t := &cs.resources[i]
		rp := &cs.resPatterns[i]
		if t.parts != nil {
			p, r, key := t.resolve(ctx, true)
			if r != True {
				m = Unknown
				if unknownVar == "" {
					unknownVar = key
				}
				continue
			}
			compiled := compileResource(p)
			rp = &compiled
		}
		if rp.match(resource) {
			m = True
			break
		}
	}
	if cs.notRes {
		m = m.not()
	}
	if m != Unknown {
		unknownVar = ""
	}
	return m, unknownVar
}

// principalMatches implements the key-policy principal rules:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
// "*" and {"AWS":"*"} match every caller, anonymous included; an account ID
// or arn:PARTITION:iam::ID:root matches every principal of that account (the
// account delegates through its own IAM policies); a role ARN matches the
// role and its assumed-role sessions; another ARN matches only that
// principal; a service principal matches that service. A statement without
// either element (an identity policy) matches any caller. NotPrincipal is
// notPrincipalMatches. The string explains an Unknown.
func principalMatches(s *Statement, rp *RequestPrincipal) (Tri, string) {
	switch {
	case s.Principal != nil:
		return triOf(s.Principal.matches(rp)), ""
	case s.NotPrincipal != nil:
		m, why, partly := s.NotPrincipal.notPrincipalMatches(rp)
		if m == True && partly && !strings.EqualFold(s.Effect, "Deny") {
			// AWS documents the levels for Deny; with Allow, NotPrincipal "is
			// not supported", so a caller listed at some levels only is
			// left undecided.
			return Unknown, fmt.Sprintf("its NotPrincipal (in an Allow, which AWS no longer supports) lists %s only in part (account, principal, session), and AWS does not document how such an Allow judges it", describePrincipal(*rp))
		}
		return m, why
	}
	return True, ""
}

func (p *Principals) matches(rp *RequestPrincipal) bool {
	if p.Any {
		return true
	}
	if rp.Anonymous {
		return false
	}
	if rp.Service != "" {
		for _, s := range p.Service {
			if strings.EqualFold(s, rp.Service) {
				return true
			}
		}
		return false
	}
	account := callerAccount(rp)
	role, isSession := sessionRole(rp.ARN)
	for _, a := range p.AWS {
		if acct, ok := accountOf(a); ok {
			if account != "" && acct == account {
				return true
			}
			continue
		}
		if rp.ARN != "" && a == rp.ARN {
			return true
		}
		if isSession && sameRole(a, role) {
			return true
		}
	}
	return false
}

// notPrincipalMatches: does a NotPrincipal element leave the caller in the
// statement? AWS checks a request at each level of its identity — "AWS
// might validate the account first, and then the user. If an assumed-role
// user … is being evaluated, AWS validates the account first, then the
// role, and then the assumed-role user" — and the statement spares only
// principals listed at every level
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html).
// So a principal that is not listed is in the statement even when its
// account is listed (listing the account spares the root user only); a
// listed principal whose account is not listed is Unknown ("the policy
// might deny access to the entire account"); a role's sessions are spared
// only when the session ARN is listed too, which is Unknown when the policy
// lists some sessions of the role (the session name decides). The same
// reading serves NotPrincipal with Allow (legacy: everyone but those listed)
// for callers listed at no level or at every level. partly reports that the
// caller is listed at some level.
func (p *Principals) notPrincipalMatches(rp *RequestPrincipal) (m Tri, why string, partly bool) {
	switch {
	case p.Any:
		return False, "", true
	case rp.Anonymous:
		return True, "", false
	case rp.Service != "":
		listed := p.matches(rp)
		return triOf(!listed), "", listed
	}
	account := callerAccount(rp)
	accountListed := false
	for _, a := range p.AWS {
		if acct, ok := accountOf(a); ok && account != "" && acct == account {
			accountListed = true
		}
	}
	if rp.ARN == "" {
		// A principal the policy does not name individually.
		return True, "", accountListed
	}
	if _, root := accountOf(rp.ARN); root {
		return triOf(!accountListed), "", accountListed
	}
	listed := func(arn string) bool {
		for _, a := range p.AWS {
			if a == arn {
				return true
			}
		}
		return false
	}
	// The levels below the account: the principal, and for a role its
	// assumed-role sessions (for a session, its role).
	level := triOf(listed(rp.ARN))
	partly = accountListed || level == True
	if role, ok := sessionRole(rp.ARN); ok {
		roleListed := false
		for _, a := range p.AWS {
			if sameRole(a, role) {
				roleListed = true
			}
		}
		partly = partly || roleListed
		level = and(level, triOf(roleListed))
	} else if prefix, ok := sessionPrefix(rp.ARN); ok {
		someSession := false
		for _, a := range p.AWS {
			if strings.HasPrefix(a, prefix) {
				someSession = true
			}
		}
		partly = partly || someSession
		switch {
		case level != True:
		case !someSession:
			level = False
		default:
			level = Unknown
			why = fmt.Sprintf("its NotPrincipal lists role %s and some of its sessions, and AWS also checks the assumed-role session, whose name decides", rp.ARN)
		}
	}
	switch {
	case level == False:
		return True, "", partly
	case level == Unknown:
		return Unknown, why, partly
	case accountListed:
		return False, "", partly
	}
	return Unknown, fmt.Sprintf("its NotPrincipal lists %s but not its account %s, and AWS may check the account first (\"the policy might deny access to the entire account\")", rp.ARN, account), partly
}

// callerAccount is the caller's account, from its ARN when not given.
func callerAccount(rp *RequestPrincipal) string {
	if rp.Account != "" {
		return rp.Account
	}
	if parts, ok := splitARN(rp.ARN); ok {
		return parts[4]
	}
	return ""
}

// sessionRole reads arn:PARTITION:sts::ACCOUNT:assumed-role/NAME/SESSION
// into its role (partition, account, name).
func sessionRole(arn string) ([3]string, bool) {
	parts, ok := splitARN(arn)
	if !ok || parts[2] != "sts" || !strings.HasPrefix(parts[5], "assumed-role/") {
		return [3]string{}, false
	}
	name, _, ok := strings.Cut(strings.TrimPrefix(parts[5], "assumed-role/"), "/")
	if !ok || name == "" {
		return [3]string{}, false
	}
	return [3]string{parts[1], parts[4], name}, true
}

// sameRole: is arn the IAM role (partition, account, name)? Role names are
// unique in an account whatever their path, and session ARNs omit the path.
func sameRole(arn string, role [3]string) bool {
	parts, ok := splitARN(arn)
	if !ok || parts[0] != "arn" || parts[1] != role[0] || parts[2] != "iam" || parts[4] != role[1] || !strings.HasPrefix(parts[5], "role/") {
		return false
	}
	path := parts[5]
	return path[strings.LastIndexByte(path, '/')+1:] == role[2]
}

// sessionPrefix: for an IAM role ARN, the ARN prefix of its sessions.
func sessionPrefix(arn string) (string, bool) {
	parts, ok := splitARN(arn)
	if !ok || parts[2] != "iam" || !strings.HasPrefix(parts[5], "role/") {
		return "", false
	}
	name := parts[5][strings.LastIndexByte(parts[5], '/')+1:]
	return "arn:" + parts[1] + ":sts::" + parts[4] + ":assumed-role/" + name + "/", true
}

// accountOf recognises the two spellings of "the whole account": a 12-digit
// account ID and arn:PARTITION:iam::ID:root.
func accountOf(s string) (string, bool) {
	if awsid.IsAccountID(s) {
		return s, true
	}
	parts, ok := splitARN(s)
	if !ok || parts[0] != "arn" || parts[2] != "iam" || parts[3] != "" || parts[5] != "root" || !awsid.IsAccountID(parts[4]) {
		return "", false
	}
	return parts[4], true
}

func describePrincipal(rp RequestPrincipal) string {
	switch {
	case rp.Anonymous:
		return "an anonymous caller"
	case rp.Service != "":
		return "service " + rp.Service
	case rp.ARN != "":
		return rp.ARN
	case rp.Account != "":
		return "a principal of account " + rp.Account
	}
	return "the caller"
}

// reasonApplies explains an applying statement: its effect, the action and
// what the conditions saw.
func reasonApplies(s *Statement, cs *compiledStatement, r *Request, verb string) string {
	msg := "statement " + strconv.Quote(s.Name()) + " " + verb + " " + r.Action + " to " + describePrincipal(r.Principal)
	if len(s.Conditions) == 0 {
		return msg
	}
	facts := make([]string, 0, len(s.Conditions))
	for i := range s.Conditions {
		facts = append(facts, describeKey(&s.Conditions[i], &r.Context))
	}
	return msg + ": " + strings.Join(dedupe(facts), ", ")
}

func undetermined(res *stmtResult, r *Request, prefix string) Decision {
	d := Decision{Outcome: Undetermined, Statement: res.stmt}
	if res.cond >= 0 {
		c := &res.stmt.Conditions[res.cond]
		d.Condition = c
		d.Reason = prefix + describeUnknown(c, res.why, &r.Context)
		return d
	}
	if res.whoWhy != "" {
		d.Reason = prefix + res.whoWhy
		return d
	}
	d.Reason = prefix + fmt.Sprintf("the policy variable ${%s} in its Resource matches %s, which the request context does not fix", res.resVar, r.Resource)
	return d
}

func describeUnknown(c *Condition, why cause, ctx *Context) string {
	cond := describeCondition(c)
	switch why {
	case causeKeyUnknown:
		return fmt.Sprintf("%s holds, and %s is not known for this request", cond, c.Key)
	case causeVariable:
		return fmt.Sprintf("%s holds, and its policy variable%s no known single value for this request", cond, unresolvedVariables(c, ctx))
	case causeBadValue:
		return fmt.Sprintf("%s holds, and a policy value is not valid for the operator, so AWS's reading of it is undocumented", cond)
	case causeMultiNoSet:
		return fmt.Sprintf("%s holds, and %s has several values without a ForAnyValue/ForAllValues set operator, whose result AWS does not document (%s)", cond, c.Key, describeKey(c, ctx))
	case causeBadOperator:
		return fmt.Sprintf("%s holds, and the operator %q is unknown", cond, c.Operator)
	}
	return cond + " holds"
}

func describeKey(c *Condition, ctx *Context) string {
	vals, st := ctx.lookup(strings.ToLower(c.Key))
	switch st {
	case keyAbsent:
		return c.Key + " is absent"
	case keyUnknown:
		return c.Key + " is not known"
	}
	if len(vals) == 0 {
		return c.Key + " is empty"
	}
	if len(vals) == 1 {
		return c.Key + " is " + strconv.Quote(vals[0])
	}
	return c.Key + " is [" + strings.Join(quoteAll(vals), ", ") + "]"
}

// describeCondition: `StringEquals aws:PrincipalOrgID "o-a1b2c3d4e5"`.
func describeCondition(c *Condition) string {
	return c.Operator + " " + c.Key + " " + strings.Join(quoteAll(c.Values), ",")
}

func quoteAll(vs []string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = strconv.Quote(v)
	}
	return out
}

func dedupe(ss []string) []string {
	out := ss[:0]
	seen := map[string]bool{}
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// unresolvedVariables names the variables of c's values that ctx cannot
// substitute: " ${aws:username} has" or "s ${a}, ${b} have".
func unresolvedVariables(c *Condition, ctx *Context) string {
	var names []string
	seen := map[string]bool{}
	for _, v := range c.Values {
		for _, p := range parseTemplate(v) {
			if !p.isVar || seen[p.key] {
				continue
			}
			vals, st := ctx.lookup(p.key)
			if (st == keyPresent && len(vals) == 1) || ((st == keyAbsent || (st == keyPresent && len(vals) == 0)) && p.hasDef) {
				continue
			}
			seen[p.key] = true
			names = append(names, "${"+p.name+"}")
		}
	}
	if len(names) == 1 {
		return " " + names[0] + " has"
	}
	return "s " + strings.Join(names, ", ") + " have"
}
