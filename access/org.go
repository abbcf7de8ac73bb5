// Package access is amiaudit's access model: it answers, the way AWS decides
// them, "can account A use KMS key K to launch or copy an AMI in region R" and
// "who, among every principal, can use key K". It builds the request contexts
// AWS builds (see rules.md "How access is judged"), evaluates key policies with
// package iampolicy and grants with their operations and constraints, and walks
// the scanned organization's OU tree. It is pure: no AWS calls, no clock.
package access

import (
	"sort"
	"strings"

	"github.com/amiaudit/amiaudit/snapshot"
)

// Org is the scanned organization's tree: which accounts are members and
// where each account and OU sits. A nil *Org is an organization that could not
// be read: every question about membership is then unknown.
type Org struct {
	ID   string
	ARN  string
	Root string // r-…; "" when no account or OU names it
	// parent maps an account or OU ID to the ID of the OU or root directly
	// above it.
	parent  map[string]string
	members map[string]bool
	ous     map[string]bool
	sorted  []string // member account IDs, sorted
	// chains and paths are each member's Chain and Path, computed once
	// (members whose chain is broken are absent).
	chains map[string][]string
	paths  map[string]string
}

// NewOrg indexes an organization read by the collector; nil gives nil.
func NewOrg(o *snapshot.Organization) *Org {
	if o == nil || o.ID == "" {
		return nil
	}
	org := &Org{ID: o.ID, ARN: o.ARN, parent: map[string]string{}, members: map[string]bool{}, ous: map[string]bool{}}
	for _, ou := range o.OrganizationalUnits {
		org.ous[ou.ID] = true
		if ou.Parent != "" {
			org.parent[ou.ID] = ou.Parent
		}
		if strings.HasPrefix(ou.Parent, "r-") {
			org.Root = ou.Parent
		}
	}
	for _, a := range o.Accounts {
		org.members[a.ID] = true
		org.sorted = append(org.sorted, a.ID)
		if a.ParentOU != "" {
			org.parent[a.ID] = a.ParentOU
		}
		if strings.HasPrefix(a.ParentOU, "r-") {
			org.Root = a.ParentOU
		}
	}
	sort.Strings(org.sorted)
	org.chains, org.paths = map[string][]string{}, map[string]string{}
	for _, a := range org.sorted {
		if chain, ok := org.walk(a); ok {
			org.chains[a] = chain
			org.paths[a] = org.ID + "/" + strings.Join(chain, "/") + "/"
		}
	}
	return org
}

// Member reports whether an account belongs to the scanned organization.
func (o *Org) Member(account string) bool { return o != nil && o.members[account] }

// Members lists the member accounts, sorted.
func (o *Org) Members() []string {
	if o == nil {
		return nil
	}
	return o.sorted
}

// Chain returns the IDs above an account or OU, from the root down
// (r-…, ou-…, …, the direct parent), and whether the whole chain is known: an
// account whose parent was not read, or an OU that was not listed, breaks it.
func (o *Org) Chain(id string) ([]string, bool) {
	if o == nil {
		return nil, false
	}
	if chain, ok := o.chains[id]; ok {
		return chain, true
	}
	return o.walk(id)
}

func (o *Org) walk(id string) ([]string, bool) {
	var up []string
	cur := id
	for range 64 { // AWS nests OUs at most five deep under the root
		p, ok := o.parent[cur]
		if !ok {
			return nil, false
		}
		up = append(up, p)
		if strings.HasPrefix(p, "r-") {
			for i, j := 0, len(up)-1; i < j; i, j = i+1, j-1 {
				up[i], up[j] = up[j], up[i]
			}
			return up, true
		}
		cur = p
	}
	return nil, false
}

// Path is an account's aws:PrincipalOrgPaths value, o-…/r-…/ou-…/…/: the
// organization, the root and the OUs down to the one that holds the account
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgpaths).
func (o *Org) Path(account string) (string, bool) {
	if !o.Member(account) {
		return "", false
	}
	p, ok := o.paths[account]
	return p, ok
}

// Target reduces an organization, root or OU given as an ID or an ARN
// (arn:aws:organizations::M:organization/o-…, …:ou/o-…/ou-…, …:root/o-…/r-…)
// to its organization ID and its own ID (equal for an organization).
func Target(s string) (orgID, id string) {
	if !strings.HasPrefix(s, "arn:") {
		if strings.HasPrefix(s, "o-") {
			return s, s
		}
		return "", s
	}
	_, res, ok := strings.Cut(s, ":organization/")
	if ok {
		return res, res
	}
	i := strings.LastIndex(s, ":")
	parts := strings.Split(s[i+1:], "/")
	if len(parts) == 3 && (parts[0] == "ou" || parts[0] == "root") {
		return parts[1], parts[2]
	}
	return "", s
}

// Tri is a three-valued answer.
type Tri int8

const (
	No Tri = iota
	Yes
	Unknown
)

func (t Tri) String() string {
	switch t {
	case Yes:
		return "yes"
	case No:
		return "no"
	}
	return "unknown"
}

// Under answers whether an account is under an organization, root or OU (ID
// or ARN), nested OUs included: AWS shares with an OU reach every OU below it
// (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/share-amis-with-organizations-and-OUs.html).
// Only the scanned organization's tree is known: for another organization's
// OU the answer is No for a member of ours (an account belongs to one
// organization) and Unknown otherwise.
func (o *Org) Under(account, target string) Tri {
	orgID, id := Target(target)
	if o == nil {
		return Unknown
	}
	if orgID != "" && orgID != o.ID {
		if o.Member(account) {
			return No
		}
		return Unknown
	}
	if !o.Member(account) {
		return No
	}
	if id == o.ID {
		return Yes
	}
	chain, ok := o.Chain(account)
	if !ok {
		return Unknown
	}
	for _, c := range chain {
		if c == id {
			return Yes
		}
	}
	return No
}

// MembersUnder lists the member accounts under an organization, root or OU of
// the scanned organization, nested OUs included, and the members whose place
// in the tree could not be read (they may or may not be under it).
func (o *Org) MembersUnder(target string) (under, unknown []string) {
	for _, a := range o.Members() {
		switch o.Under(a, target) {
		case Yes:
			under = append(under, a)
		case Unknown:
			unknown = append(unknown, a)
		}
	}
	return under, unknown
}

// Owns reports whether an organization, root or OU (ID or ARN) belongs to the
// scanned organization.
func (o *Org) Owns(target string) bool {
	if o == nil {
		return false
	}
	orgID, id := Target(target)
	if orgID != "" {
		return orgID == o.ID
	}
	return id == o.Root || o.ous[id]
}
