package scenario

import (
	"fmt"
	"regexp"
	"strings"
)

// placeholderRe matches {{name}} and {{name:argument}}.
var placeholderRe = regexp.MustCompile(`\{\{\s*([a-z_]+)(?::\s*([^{}\s]+))?\s*\}\}`)

// resolver gives the values of placeholders once the seeder knows them.
type resolver struct {
	accounts map[string]string // scenario and external account names → IDs
	orgID    string
	orgARN   string
	ous      map[string]string // OU names → ARNs
	ouPaths  map[string]string // OU names → o-…/r-…/ou-…/…/
	// account and region are the resource's own, for {{account}} and {{region}}.
	account, region string
}

// expand replaces the placeholders of text:
//
//	{{account:NAME}}  the 12-digit ID of a scenario or external account
//	{{account}}       the ID of the account the value belongs to (a key's)
//	{{region}}        the region the value belongs to
//	{{org_id}}        the organization ID, o-…
//	{{org_arn}}       the organization ARN
//	{{ou_arn:NAME}}   the ARN of an OU
//	{{org_path:NAME}} an OU's organization path, o-…/r-…/ou-…/…/, as
//	                  aws:PrincipalOrgPaths gives it for an account in that OU
func (r *resolver) expand(text string) (string, error) {
	var errs []string
	out := placeholderRe.ReplaceAllStringFunc(text, func(m string) string {
		p := placeholderRe.FindStringSubmatch(m)
		v, err := r.value(p[1], p[2])
		if err != nil {
			errs = append(errs, err.Error())
			return m
		}
		return v
	})
	if len(errs) > 0 {
		return "", fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	if strings.Contains(out, "{{") {
		return "", fmt.Errorf("malformed placeholder in %q: write {{name}} or {{name:ARGUMENT}}", text)
	}
	return out, nil
}

func (r *resolver) value(name, arg string) (string, error) {
	need := func(ok bool, what string) error {
		if !ok {
			return fmt.Errorf("{{%s}}: %s", strings.TrimSuffix(name+":"+arg, ":"), what)
		}
		return nil
	}
	switch name {
	case "account":
		if arg == "" {
			return r.account, need(r.account != "", "only a key's policy and grants have an account of their own; write {{account:NAME}}")
		}
		id, ok := r.accounts[arg]
		return id, need(ok, "no account or external account of that name")
	case "region":
		return r.region, need(arg == "" && r.region != "", "only a key's policy and grants have a region of their own")
	case "org_id":
		return r.orgID, need(arg == "" && r.orgID != "", "the scenario has no organization")
	case "org_arn":
		return r.orgARN, need(arg == "" && r.orgARN != "", "the scenario has no organization")
	case "ou_arn":
		arn, ok := r.ous[arg]
		return arn, need(ok, "no OU of that name")
	case "org_path":
		path, ok := r.ouPaths[arg]
		return path, need(ok, "no OU of that name")
	}
	return "", fmt.Errorf("{{%s}}: unknown placeholder (account:NAME, account, region, org_id, org_arn, ou_arn:NAME, org_path:NAME)", name)
}

// dryResolver stands in for the seeder's resolver at load time, so that
// placeholders naming nothing are reported with their line before any call.
func (s *Scenario) dryResolver(account, region string) *resolver {
	r := &resolver{accounts: map[string]string{}, ous: map[string]string{}, ouPaths: map[string]string{}, account: account, region: region}
	for _, a := range s.Accounts {
		r.accounts[a.Name] = "000000000000"
	}
	for _, a := range s.ExternalAccounts {
		r.accounts[a.Name] = a.ID
	}
	if s.Organization != nil {
		r.orgID = "o-0000000000"
		r.orgARN = "arn:aws:organizations::000000000000:organization/o-0000000000"
		for _, ou := range s.Organization.OUs {
			r.ous[ou.Name] = "arn:aws:organizations::000000000000:ou/o-0000000000/ou-0000-00000000"
			r.ouPaths[ou.Name] = "o-0000000000/r-0000/ou-0000-00000000/"
		}
	}
	return r
}
