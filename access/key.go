package access

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/amiaudit/amiaudit/iampolicy"
	"github.com/amiaudit/amiaudit/snapshot"
)

// Key is a KMS key as the model judges it: its parsed policy and its grants.
type Key struct {
	ARN, Account, Region string
	// Policy is nil when the policy could not be read or parsed; PolicyError
	// says which.
	Policy      *iampolicy.Policy
	PolicyError error
	Grants      []Grant

	// named maps an account to the principal ARNs of it that the policy or
	// the grants name individually (roles, users, assumed roles).
	named map[string][]string
	// conditionKeys are the condition keys the policy tests, lower-cased:
	// the only ones a request context needs.
	conditionKeys map[string]bool
}

// Grant is one grant, reduced to what decides a request.
type Grant struct {
	ID             string
	Grantee        string // GranteePrincipal as ListGrants reports it
	GranteeAccount string
	Operations     map[string]bool // lower-cased, "kms:decrypt"
	// Constraint describes the grant's encryption context constraint ("" for
	// none): a request matches the grant only with that encryption context,
	// which the model does not know.
	Constraint string
}

// NewKey reads a collected key. The policy is the document as GetKeyPolicy
// returned it; when only parsed statements were kept, it is rebuilt from them.
func NewKey(k *snapshot.Key) *Key {
	key := &Key{ARN: k.ARN, Account: k.Account, Region: k.Region, named: map[string][]string{}, conditionKeys: map[string]bool{}}
	doc := k.Policy
	if doc == "" && len(k.PolicyStatements) > 0 {
		doc = policyFromStatements(k.PolicyStatements)
	}
	if doc == "" {
		key.PolicyError = fmt.Errorf("the key policy of %s was not read", k.ARN)
	} else if p, err := iampolicy.Parse(doc); err != nil {
		key.PolicyError = fmt.Errorf("the key policy of %s is not understood: %w", k.ARN, err)
	} else {
		key.Policy = p
	}
	for _, g := range k.Grants {
		gr := Grant{ID: g.GrantID, Grantee: g.GranteePrincipal, GranteeAccount: g.GranteeAccount, Operations: map[string]bool{}}
		if gr.GranteeAccount == "" {
			gr.GranteeAccount, _ = snapshot.AccountOfPrincipal(g.GranteePrincipal)
		}
		for _, op := range g.Operations {
			gr.Operations["kms:"+strings.ToLower(op)] = true
		}
		if c := g.Constraints; c != nil {
			switch {
			case len(c.EncryptionContextEquals) > 0:
				gr.Constraint = "EncryptionContextEquals " + contextString(c.EncryptionContextEquals)
			case len(c.EncryptionContextSubset) > 0:
				gr.Constraint = "EncryptionContextSubset " + contextString(c.EncryptionContextSubset)
			}
		}
		key.Grants = append(key.Grants, gr)
		if acct, root := snapshot.AccountOfPrincipal(gr.Grantee); acct != "" && !root {
			key.addNamed(acct, gr.Grantee)
		}
	}
	if key.Policy != nil {
		for _, st := range key.Policy.Statements {
			for _, ps := range []*iampolicy.Principals{st.Principal, st.NotPrincipal} {
				if ps == nil {
					continue
				}
				for _, v := range ps.AWS {
					if acct, root := snapshot.AccountOfPrincipal(v); acct != "" && !root {
						key.addNamed(acct, v)
					}
				}
			}
			for _, r := range append(append([]string{}, st.Resource...), st.NotResource...) {
				key.addVariables(r)
			}
			for _, c := range st.Conditions {
				key.conditionKeys[strings.ToLower(c.Key)] = true
				for _, v := range c.Values {
					key.addVariables(v)
				}
				if strings.EqualFold(c.Key, "aws:PrincipalArn") {
					for _, v := range c.Values {
						if acct, root := snapshot.AccountOfPrincipal(v); acct != "" && !root && !strings.ContainsAny(v, "*?$") {
							key.addNamed(acct, v)
						}
					}
				}
			}
		}
	}
	return key
}

// addVariables records the keys of the policy variables (${aws:…}) in a
// value: the request context must hold them too.
func (k *Key) addVariables(v string) {
	for {
		i := strings.Index(v, "${")
		if i < 0 {
			return
		}
		v = v[i+2:]
		j := strings.IndexByte(v, '}')
		if j < 0 {
			return
		}
		name, _, _ := strings.Cut(v[:j], ",") // ${key, 'default'}
		k.conditionKeys[strings.ToLower(strings.TrimSpace(name))] = true
		v = v[j+1:]
	}
}

func (k *Key) addNamed(account, arn string) {
	for _, a := range k.named[account] {
		if a == arn {
			return
		}
	}
	k.named[account] = append(k.named[account], arn)
}

func contextString(m map[string]string) string {
	b, _ := json.Marshal(m) // map keys are sorted by encoding/json
	return string(b)
}

// policyFromStatements rebuilds a policy document from normalised statements
// (a snapshot that kept only policy_statements). Resource is "*": in a key
// policy it means the key itself.
func policyFromStatements(sts []snapshot.Statement) string {
	type doc struct {
		Version   string `json:"Version"`
		Statement []map[string]any
	}
	d := doc{Version: "2012-10-17"}
	principals := func(ps []snapshot.Principal) any {
		m := map[string][]string{}
		for _, p := range ps {
			if p.Type == "*" {
				return "*"
			}
			m[p.Type] = append(m[p.Type], p.Value)
		}
		return m
	}
	for _, st := range sts {
		s := map[string]any{"Effect": st.Effect, "Resource": "*"}
		if st.Sid != "" {
			s["Sid"] = st.Sid
		}
		if len(st.Principals) > 0 {
			s["Principal"] = principals(st.Principals)
		}
		if len(st.NotPrincipals) > 0 {
			s["NotPrincipal"] = principals(st.NotPrincipals)
		}
		if len(st.Actions) > 0 {
			s["Action"] = st.Actions
		}
		if len(st.NotActions) > 0 {
			s["NotAction"] = st.NotActions
		}
		if len(st.Conditions) > 0 {
			cond := map[string]map[string][]string{}
			for _, c := range st.Conditions {
				if cond[c.Operator] == nil {
					cond[c.Operator] = map[string][]string{}
				}
				cond[c.Operator][c.Key] = c.Values
			}
			s["Condition"] = cond
		}
		d.Statement = append(d.Statement, s)
	}
	b, _ := json.Marshal(d)
	return string(b)
}

// Outcome is the model's answer: allowed, denied or undetermined.
type Outcome string

const (
	Allowed      Outcome = "allowed"
	Denied       Outcome = "denied"
	Undetermined Outcome = "undetermined"
)

// Judgment is the answer for one request, with what decided it.
type Judgment struct {
	Outcome Outcome
	Action  string
	// Via is "key policy" or "grant ID".
	Via string
	// Statement names the deciding statement (its Sid or Statement[i]); for a
	// grant, the grant. Empty when nothing applies (an implicit deny).
	Statement string
	// Condition is, for an undetermined answer, the condition the context
	// cannot fix ("StringEquals aws:SourceIp"), or the grant's constraint.
	Condition string
	Reason    string
}

// Judge evaluates one request of caller for action, key policy and grants
// together as KMS does: an explicit Deny in the key policy wins, then an Allow
// of the key policy or a grant; a grant whose encryption context constraint the
// request may not meet is undetermined
// (https://docs.aws.amazon.com/kms/latest/developerguide/determining-access.html).
func (k *Key) Judge(c Caller, action string, ch Channel) Judgment {
	return k.judge(c, action, c.Context(action, k.Region, k.Account, ch))
}

func (k *Key) judge(c Caller, action string, ctx iampolicy.Context) Judgment {
	j := Judgment{Action: action}
	if k.Policy == nil {
		j.Outcome, j.Reason = Undetermined, k.PolicyError.Error()
		return j
	}
	req := iampolicy.Request{
		Principal: iampolicy.RequestPrincipal{Account: c.Account, ARN: c.ARN},
		Action:    action,
		Resource:  k.ARN,
		Context:   ctx,
	}
	d := k.Policy.Evaluate(req)
	fromPolicy := func(d iampolicy.Decision) Judgment {
		j := Judgment{Action: action, Via: "key policy", Reason: d.Reason}
		if d.Statement != nil {
			j.Statement = d.Statement.Name()
		}
		switch d.Outcome {
		case iampolicy.Allowed:
			j.Outcome = Allowed
		case iampolicy.Undetermined:
			j.Outcome = Undetermined
			if d.Condition != nil {
				j.Condition = d.Condition.Operator + " " + d.Condition.Key
			}
		default:
			j.Outcome = Denied
		}
		return j
	}
	if d.Outcome == iampolicy.ExplicitDeny || d.Outcome == iampolicy.Allowed {
		return fromPolicy(d)
	}
	var maybe *Grant
	for i := range k.Grants {
		g := &k.Grants[i]
		if !g.Operations[strings.ToLower(action)] || !g.covers(c) {
			continue
		}
		if g.Constraint != "" {
			maybe = g
			continue
		}
		// The grant allows; only a Deny of the key policy can take it away,
		// and one that may apply makes the answer undetermined.
		dd := k.Policy.EvaluateAllowedBy(req, "grant "+g.ID)
		if dd.Outcome != iampolicy.Allowed {
			return fromPolicy(dd)
		}
		return Judgment{Outcome: Allowed, Action: action, Via: "grant " + g.ID, Statement: "grant " + g.ID,
			Reason: fmt.Sprintf("grant %s gives %s %s", g.ID, g.Grantee, action)}
	}
	if d.Outcome == iampolicy.Undetermined {
		return fromPolicy(d)
	}
	if maybe != nil {
		return Judgment{Outcome: Undetermined, Action: action, Via: "grant " + maybe.ID, Statement: "grant " + maybe.ID,
			Condition: maybe.Constraint,
			Reason:    fmt.Sprintf("grant %s gives %s %s only under the encryption context constraint %s", maybe.ID, maybe.Grantee, action, maybe.Constraint)}
	}
	return fromPolicy(d)
}

// covers reports whether the grant's grantee is the caller: the same
// principal, or the caller's account as a whole (arn:…:iam::ID:root).
func (g *Grant) covers(c Caller) bool {
	acct, root := snapshot.AccountOfPrincipal(g.Grantee)
	if root {
		return acct == c.Account
	}
	return c.ARN != "" && g.Grantee == c.ARN
}

// Access is the answer for one account (or a witness of a set of accounts):
// can a principal of it do all of a set of actions (launch), or any (use)?
type Access struct {
	Outcome Outcome
	// Principal is the principal the answer holds for ("" for a principal of
	// the account that the policy does not name).
	Principal string
	// Allowed, Missing and Undetermined split the actions judged.
	Allowed, Missing, Undetermined []string
	// Deciding is the judgment a message should cite: the first denied action
	// (or undetermined one) of a launch, the first allowed action of a use.
	Deciding Judgment
	Channel  Channel
}

// candidates are the principals of an account the model asks for: one the
// policy does not name, and each one it names.
func (k *Key) candidates(c Caller) []Caller {
	out := []Caller{c}
	for _, arn := range k.named[c.Account] {
		cc := c
		cc.ARN = arn
		out = append(out, cc)
	}
	return out
}

// Launch answers whether some principal of caller's account can do every
// launch action through EC2 in the key's region.
func (k *Key) Launch(c Caller) Access {
	var best *Access
	for _, cand := range k.candidates(c) {
		a := Access{Principal: cand.ARN, Channel: ViaEC2}
		cs := cand.contexts(k.Region, k.Account, k.conditionKeys)
		for _, action := range LaunchActions {
			j := k.judge(cand, action, cs.get(action, ViaEC2))
			switch j.Outcome {
			case Allowed:
				a.Allowed = append(a.Allowed, action)
			case Denied:
				a.Missing = append(a.Missing, action)
				if len(a.Missing) == 1 {
					a.Deciding = j
				}
			case Undetermined:
				a.Undetermined = append(a.Undetermined, action)
			}
		}
		switch {
		case len(a.Missing) > 0:
			a.Outcome = Denied
		case len(a.Undetermined) > 0:
			a.Outcome = Undetermined
			a.Deciding = k.judge(cand, a.Undetermined[0], cs.get(a.Undetermined[0], ViaEC2))
		default:
			a.Outcome = Allowed
			a.Deciding = k.judge(cand, LaunchActions[0], cs.get(LaunchActions[0], ViaEC2))
		}
		if best == nil || rank(a) > rank(*best) {
			aa := a
			best = &aa
		}
	}
	return *best
}

// rank orders answers for the same account: allowed, then undetermined, then
// denied with fewer missing actions.
func rank(a Access) int {
	switch a.Outcome {
	case Allowed:
		return 1000
	case Undetermined:
		return 500
	}
	return 100 - len(a.Missing)
}

// Use answers whether some principal of caller's account can do any use
// action, through EC2 or directly.
func (k *Key) Use(c Caller) Access {
	res := Access{Outcome: Denied}
	var firstUndetermined, firstDenied *Judgment
	for _, cand := range k.candidates(c) {
		cs := cand.contexts(k.Region, k.Account, k.conditionKeys)
		for _, ch := range []Channel{ViaEC2, Direct} {
			for _, action := range UseActions {
				j := k.judge(cand, action, cs.get(action, ch))
				switch j.Outcome {
				case Allowed:
					if res.Outcome != Allowed {
						res = Access{Outcome: Allowed, Principal: cand.ARN, Deciding: j, Channel: ch}
					}
					if cand.ARN == res.Principal && ch == res.Channel {
						res.Allowed = append(res.Allowed, action)
					}
				case Undetermined:
					if firstUndetermined == nil {
						jj := j
						firstUndetermined = &jj
					}
				case Denied:
					if firstDenied == nil || (firstDenied.Statement == "" && j.Statement != "") {
						jj := j
						firstDenied = &jj
					}
				}
			}
		}
	}
	switch {
	case res.Outcome == Allowed:
	case firstUndetermined != nil:
		res.Outcome, res.Deciding = Undetermined, *firstUndetermined
	case firstDenied != nil:
		res.Deciding = *firstDenied
	}
	return res
}

// Sorted returns the accounts a map names, sorted.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
