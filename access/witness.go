package access

import (
	"fmt"
	"strings"

	"github.com/amiaudit/amiaudit/iampolicy"
	"github.com/amiaudit/amiaudit/internal/awsid"
	"github.com/amiaudit/amiaudit/snapshot"
)

// CallerFor is an account as the model knows it: a member of the scanned
// organization carries its aws:PrincipalOrgID and aws:PrincipalOrgPaths;
// another account carries neither (rules.md, "How access is judged"); when
// the organization could not be read, both are unknown.
func CallerFor(org *Org, account string) Caller {
	c := Caller{Account: account}
	if org == nil {
		return c
	}
	c.OrgKnown = true
	if org.Member(account) {
		c.OrgID = org.ID
		if p, ok := org.Path(account); ok {
			c.OrgPaths, c.PathsKnown = []string{p}, true
		}
	}
	return c
}

// foreignCaller is an account of another organization, whose OU tree is
// unknown. Its aws:PrincipalOrgPaths values all begin with its organization
// ID; when no path the key's policy tests can begin with that ID, any path
// gives the same answer, and one stands for all.
func (k *Key) foreignCaller(account, orgID string, paths []string) Caller {
	c := Caller{Account: account, OrgID: orgID, OrgKnown: true}
	if paths != nil {
		c.OrgPaths, c.PathsKnown = paths, true
		return c
	}
	if !k.testsPathsOf(orgID) {
		c.OrgPaths, c.PathsKnown = []string{orgID + "/r-unknown/"}, true
	}
	return c
}

// testsPathsOf reports whether a condition on aws:PrincipalOrgPaths may match
// a path of organization orgID.
func (k *Key) testsPathsOf(orgID string) bool {
	if k.Policy == nil {
		return true
	}
	for _, st := range k.Policy.Statements {
		for _, c := range st.Conditions {
			if !strings.EqualFold(c.Key, "aws:PrincipalOrgPaths") {
				continue
			}
			for _, v := range c.Values {
				head, _, _ := strings.Cut(v, "/")
				if strings.ContainsAny(head, "*?$") || strings.EqualFold(head, orgID) {
					return true
				}
			}
		}
	}
	return false
}

// Subject is one account judged for a grantee, with words for a message.
type Subject struct {
	// Account is the account judged; for a witness of a foreign organization
	// or OU, an account chosen to stand for its members.
	Account string
	Witness bool
	// Maybe is true for a member of the scanned organization that may or may
	// not be under the grantee OU (its place in the tree was not read).
	Maybe       bool
	Description string
	Access      Access
}

// LaunchBy judges, for a launch permission grantee (kind account,
// organization or ou; value an account ID or an ARN), every account the
// grantee covers: the account itself, or each member of the scanned
// organization under the organization or OU, nested OUs included. For another
// organization, whose members and tree are unknown, one witness account of it
// is judged, and the description says so.
func (k *Key) LaunchBy(org *Org, kind, value string) []Subject {
	switch kind {
	case "account":
		return []Subject{{Account: value, Description: "account " + value, Access: k.Launch(CallerFor(org, value))}}
	case "organization", "ou":
	default:
		return nil
	}
	orgID, id := Target(value)
	what := "organization " + orgID
	if kind == "ou" {
		what = "OU " + id
	}
	if org != nil && org.Owns(value) {
		under, unknown := org.MembersUnder(value)
		var out []Subject
		for _, a := range under {
			out = append(out, Subject{Account: a, Description: fmt.Sprintf("account %s (in %s)", a, what), Access: k.Launch(CallerFor(org, a))})
		}
		for _, a := range unknown {
			out = append(out, Subject{Account: a, Maybe: true, Description: fmt.Sprintf("account %s (which may be in %s: its place in the OU tree could not be read)", a, what), Access: k.Launch(CallerFor(org, a))})
		}
		return out
	}
	w := k.fresh(nil)
	var c Caller
	desc := fmt.Sprintf("an account of %s (%s stands for its members; the organization's OU tree is unknown)", what, w)
	if org == nil {
		c = Caller{Account: w, OrgID: orgID, OrgKnown: true}
		desc = fmt.Sprintf("an account of %s (%s stands for its members; the organization could not be read)", what, w)
	} else {
		c = k.foreignCaller(w, orgID, nil)
	}
	return []Subject{{Account: w, Witness: true, Description: desc, Access: k.Launch(c)}}
}

// Witness is one principal the model asks "can it use the key?" for.
type Witness struct {
	// Kind is account, organization or ou for what the policy or a grant
	// names; unnamed-account for an account outside every organization and
	// unnamed-organization for an account of a foreign organization, both
	// chosen so that wildcard patterns are exercised.
	Kind  string
	Value string // the account ID, organization ID or OU path
	// Account is the account that stands for the witness; OrgID its
	// organization ("" for none).
	Account, OrgID string
	Description    string
	Access         Access
}

var (
	accountKeys = map[string]bool{"kms:calleraccount": true, "aws:principalaccount": true, "aws:sourceaccount": true, "aws:sourceowner": true}
	arnKeys     = map[string]bool{"aws:principalarn": true, "aws:sourcearn": true}
)

func wild(v string) bool { return strings.ContainsAny(v, "*?") || strings.Contains(v, "${") }

// WhoCanUse asks, for every principal that matters, whether it can use the
// key: every account, organization and OU the policy or a grant names (the
// key's own account aside), an unnamed account outside every organization, an
// unnamed account of an unnamed foreign organization, and for each wildcard
// pattern of an account, organization, path or principal ARN condition an
// account that matches it. trusted lists the accounts and organization IDs a
// chosen witness must not be (they are trusted, so they prove nothing).
func (k *Key) WhoCanUse(org *Org, trusted map[string]bool) []Witness {
	avoid := map[string]bool{k.Account: true}
	for t := range trusted {
		avoid[t] = true
	}
	if org != nil {
		avoid[org.ID] = true
		for _, m := range org.Members() {
			avoid[m] = true
		}
	}
	accounts := map[string]bool{}
	orgs := map[string]bool{}
	ous := map[string]bool{} // literal org paths naming an OU
	type pattern struct{ kind, value string }
	var patterns []pattern
	for _, g := range k.Grants {
		if g.GranteeAccount != "" {
			accounts[g.GranteeAccount] = true
		}
	}
	if k.Policy != nil {
		for _, st := range k.Policy.Statements {
			for _, ps := range []*iampolicy.Principals{st.Principal, st.NotPrincipal} {
				if ps == nil {
					continue
				}
				for _, v := range ps.AWS {
					if a, _ := snapshot.AccountOfPrincipal(v); a != "" {
						accounts[a] = true
					}
				}
			}
			for _, c := range st.Conditions {
				key := strings.ToLower(c.Key)
				for _, v := range c.Values {
					switch {
					case accountKeys[key] && wild(v):
						patterns = append(patterns, pattern{"account", v})
					case accountKeys[key] && awsid.IsAccountID(v):
						accounts[v] = true
					case arnKeys[key] && wild(v):
						patterns = append(patterns, pattern{"arn", v})
					case arnKeys[key]:
						if a, _ := snapshot.AccountOfPrincipal(v); a != "" {
							accounts[a] = true
						}
					case key == "aws:principalorgid" && wild(v):
						patterns = append(patterns, pattern{"org", v})
					case key == "aws:principalorgid":
						orgs[v] = true
					case key == "aws:principalorgpaths":
						if wild(v) {
							patterns = append(patterns, pattern{"path", v})
						}
						// A path that names an OU is that OU's witness's
						// business; one that names none, its organization's.
						if head, _, _ := strings.Cut(v, "/"); !wild(head) {
							if p := ouPath(v); p != "" {
								ous[p] = true
							} else {
								orgs[head] = true
							}
						}
					}
				}
			}
		}
	}
	delete(accounts, k.Account)
	var out []Witness
	for _, a := range sortedKeys(accounts) {
		c := CallerFor(org, a)
		out = append(out, Witness{Kind: "account", Value: a, Account: a, OrgID: c.OrgID, Description: "account " + a, Access: k.Use(c)})
	}
	for _, o := range sortedKeys(orgs) {
		if !strings.HasPrefix(o, "o-") {
			continue
		}
		var c Caller
		if org != nil && o == org.ID {
			c = k.memberWitness(org)
		} else {
			c = k.foreignCaller(k.fresh(avoid), o, nil)
		}
		out = append(out, Witness{Kind: "organization", Value: o, Account: c.Account, OrgID: o,
			Description: "an account of organization " + o, Access: k.Use(c)})
	}
	for _, path := range sortedKeys(ous) {
		head, _, _ := strings.Cut(path, "/")
		segs := strings.Split(strings.TrimSuffix(path, "/"), "/")
		ouID := segs[len(segs)-1]
		c := k.foreignCaller(k.fresh(avoid), head, []string{path})
		if org != nil && head == org.ID {
			c.Account = k.fresh(avoid)
			if under, _ := org.MembersUnder(ouID); len(under) > 0 {
				c = CallerFor(org, under[0])
			}
		}
		out = append(out, Witness{Kind: "ou", Value: ouID, Account: c.Account, OrgID: head,
			Description: "an account in OU " + ouID + " of organization " + head, Access: k.Use(c)})
	}
	outside := k.fresh(avoid)
	out = append(out, Witness{Kind: "unnamed-account", Value: outside, Account: outside,
		Description: "an account outside every organization (" + outside + ", named nowhere)",
		Access:      k.Use(Caller{Account: outside, OrgKnown: true})})
	fo := freshOrg(avoid, orgs)
	fa := k.fresh(avoid)
	out = append(out, Witness{Kind: "unnamed-organization", Value: fo, Account: fa, OrgID: fo,
		Description: "an account of a foreign organization (" + fo + ", named nowhere; its OU tree is unknown)",
		Access:      k.Use(k.foreignCaller(fa, fo, nil))})
	for _, p := range patterns {
		if w, ok := k.patternWitness(p.kind, p.value, avoid, org); ok {
			out = append(out, w)
		}
	}
	return out
}

// ouPath is the part of an organization path value up to the last OU it
// names before any wildcard, with its trailing slash: the path of an account
// directly in that OU ("" when it names none).
func ouPath(v string) string {
	segs := strings.Split(v, "/")
	last := -1
	for i, seg := range segs {
		if wild(seg) {
			break
		}
		if strings.HasPrefix(seg, "ou-") {
			last = i
		}
	}
	if last < 0 {
		return ""
	}
	return strings.Join(segs[:last+1], "/") + "/"
}

// memberWitness is a member of the scanned organization other than the key's
// own account, when there is one.
func (k *Key) memberWitness(org *Org) Caller {
	for _, m := range org.Members() {
		if m != k.Account {
			return CallerFor(org, m)
		}
	}
	return CallerFor(org, k.Account)
}

// fresh picks an account ID that nothing names or trusts.
func (k *Key) fresh(avoid map[string]bool) string {
	for i := 1; ; i++ {
		id := fmt.Sprintf("%012d", i)
		if !avoid[id] && k.named[id] == nil && !k.grantee(id) {
			if avoid != nil {
				avoid[id] = true
			}
			return id
		}
	}
}

func (k *Key) grantee(account string) bool {
	for _, g := range k.Grants {
		if g.GranteeAccount == account {
			return true
		}
	}
	return false
}

func freshOrg(avoid, named map[string]bool) string {
	for _, c := range "zyxwvutsrq" {
		id := "o-" + strings.Repeat(string(c), 10)
		if !avoid[id] && !named[id] {
			return id
		}
	}
	return "o-zzzzzzzzzz9"
}

// patternWitness instantiates one wildcard pattern into an account that
// matches it and that no trusted ID is.
func (k *Key) patternWitness(kind, pat string, avoid map[string]bool, org *Org) (Witness, bool) {
	if strings.Contains(pat, "${") {
		return Witness{}, false // a policy variable: its value is the caller's own
	}
	switch kind {
	case "account":
		for _, d := range "0123456789" {
			id := fill(pat, 12, byte(d))
			if awsid.IsAccountID(id) && !avoid[id] && iampolicy.MatchWildcard(pat, id) {
				return Witness{Kind: "unnamed-account", Value: id, Account: id,
					Description: fmt.Sprintf("an account matching %q (%s)", pat, id),
					Access:      k.Use(CallerFor(org, id))}, true
			}
		}
	case "org":
		for _, c := range "zyxw" {
			id := strings.NewReplacer("*", strings.Repeat(string(c), 10), "?", string(c)).Replace(pat)
			if !avoid[id] && iampolicy.MatchWildcard(pat, id) {
				a := k.fresh(avoid)
				return Witness{Kind: "unnamed-organization", Value: id, Account: a, OrgID: id,
					Description: fmt.Sprintf("an account of an organization matching %q (%s; its OU tree is unknown)", pat, id),
					Access:      k.Use(k.foreignCaller(a, id, nil))}, true
			}
		}
	case "path":
		head, _, _ := strings.Cut(pat, "/")
		if !wild(head) {
			return Witness{}, false // a named organization's witness covers it
		}
		for _, c := range "zyxw" {
			r := strings.NewReplacer("*", strings.Repeat(string(c), 10), "?", string(c))
			id := r.Replace(head)
			if !avoid[id] {
				a := k.fresh(avoid)
				path := r.Replace(pat)
				if !strings.HasSuffix(path, "/") {
					path += "/"
				}
				return Witness{Kind: "unnamed-organization", Value: id, Account: a, OrgID: id,
					Description: fmt.Sprintf("an account of an organization matching path %q (%s)", pat, path),
					Access:      k.Use(k.foreignCaller(a, id, []string{path}))}, true
			}
		}
	case "arn":
		parts := strings.SplitN(pat, ":", 6)
		if len(parts) != 6 {
			return Witness{}, false
		}
		acct := parts[4]
		if wild(acct) {
			acct = k.fresh(avoid)
		} else if avoid[acct] {
			return Witness{}, false
		}
		parts[4] = acct
		arn := strings.NewReplacer("*", "zz", "?", "z").Replace(strings.Join(parts, ":"))
		c := CallerFor(org, acct)
		c.ARN = arn
		return Witness{Kind: "unnamed-account", Value: acct, Account: acct,
			Description: fmt.Sprintf("a principal matching %q (%s)", pat, arn),
			Access:      k.Use(c)}, true
	}
	return Witness{}, false
}

// fill replaces the first * of an account pattern with as many d as make it
// n characters long, other * with nothing, and ? with d.
func fill(pat string, n int, d byte) string {
	fixed := len(strings.ReplaceAll(pat, "*", ""))
	var b strings.Builder
	first := true
	for i := 0; i < len(pat); i++ {
		switch pat[i] {
		case '*':
			if first && n > fixed {
				b.WriteString(strings.Repeat(string(d), n-fixed))
			}
			first = false
		case '?':
			b.WriteByte(d)
		default:
			b.WriteByte(pat[i])
		}
	}
	return b.String()
}
