package rules

import (
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/types"

	"github.com/amiaudit/amiaudit/access"
	"github.com/amiaudit/amiaudit/snapshot"
)

// Rego functions backed by the access model (package access): rules ask the
// questions, Go answers them once per key and query (results are cached in
// the query's builtin cache, keyed by the identity of the input values, so
// the conversion of a key and of the organization is paid once).
//
//	amiaudit.cannot_launch(key, organization, grantee) → [subject]
//	    grantee is {"kind": "account"|"organization"|"ou", "value": ID or ARN};
//	    the subjects are the accounts the grantee covers (each member of the
//	    scanned organization under an organization or OU, nested OUs
//	    included; a witness account for a foreign one) that the model does
//	    not find allowed to launch: denied or undetermined. An empty list
//	    means every one can. (Allowed accounts are left out: an organization
//	    grantee covers thousands, and most keys serve them all.)
//	    {"account", "witness", "maybe", "subject", "outcome": "allowed"|"denied"|"undetermined",
//	     "principal", "missing": [action], "undetermined": [action],
//	     "statement", "condition", "reason", "via"}
//	amiaudit.key_users(key, organization, trusted) → [witness]
//	    trusted is the set of trusted account and organization IDs (chosen
//	    witnesses avoid them); the witnesses that can (allowed) or may
//	    (undetermined) use the key, each
//	    {"kind": "account"|"organization"|"ou"|"unnamed-account"|"unnamed-organization",
//	     "value", "account", "org_id", "subject", "outcome", "principal", "actions": [action],
//	     "statement", "condition", "reason", "via", "channel"}
//	amiaudit.org_under(organization, account, target) → "yes" | "no" | "unknown"
//	    whether account is under an organization, root or OU (ID or ARN).
const (
	CannotLaunchBuiltin = "amiaudit.cannot_launch"
	KeyUsersBuiltin     = "amiaudit.key_users"
	OrgUnderBuiltin     = "amiaudit.org_under"
)

type accessCacheKey struct {
	fn      string
	a, b, c ast.Value
	s       string
}

func init() {
	rego.RegisterBuiltin3(&rego.Function{
		Name:        CannotLaunchBuiltin,
		Description: "Lists the accounts a launch permission grantee covers that the access model does not find allowed to use a KMS key to launch (denied or undetermined).",
		Decl:        types.NewFunction(types.Args(types.A, types.A, types.A), types.NewArray(nil, types.A)),
	}, func(bctx rego.BuiltinContext, keyT, orgT, granteeT *ast.Term) (*ast.Term, error) {
		g, ok := granteeT.Value.(ast.Object)
		if !ok {
			return emptyArray, nil
		}
		kind, value := stringField(g, "kind"), stringField(g, "value")
		ck := accessCacheKey{fn: CannotLaunchBuiltin, a: keyT.Value, b: orgT.Value, s: kind + "\x00" + value}
		if hit, ok := bctx.Cache.Get(ck); ok {
			return hit.(*ast.Term), nil
		}
		key, err := modelKey(bctx, keyT)
		if err != nil {
			return nil, err
		}
		org, err := modelOrg(bctx, orgT)
		if err != nil {
			return nil, err
		}
		var out []*ast.Term
		for _, s := range key.LaunchBy(org, kind, value) {
			if s.Access.Outcome == access.Allowed {
				continue
			}
			out = append(out, ast.ObjectTerm(
				ast.Item(keyTerm("account"), ast.StringTerm(s.Account)),
				ast.Item(keyTerm("witness"), ast.BooleanTerm(s.Witness)),
				ast.Item(keyTerm("maybe"), ast.BooleanTerm(s.Maybe)),
				ast.Item(keyTerm("subject"), ast.StringTerm(s.Description)),
				ast.Item(keyTerm("outcome"), ast.StringTerm(string(s.Access.Outcome))),
				ast.Item(keyTerm("principal"), ast.StringTerm(s.Access.Principal)),
				ast.Item(keyTerm("missing"), stringArray(nonNil(s.Access.Missing))),
				ast.Item(keyTerm("undetermined"), stringArray(nonNil(s.Access.Undetermined))),
				ast.Item(keyTerm("statement"), ast.StringTerm(s.Access.Deciding.Statement)),
				ast.Item(keyTerm("condition"), ast.StringTerm(s.Access.Deciding.Condition)),
				ast.Item(keyTerm("reason"), ast.StringTerm(s.Access.Deciding.Reason)),
				ast.Item(keyTerm("via"), ast.StringTerm(s.Access.Deciding.Via)),
			))
		}
		res := arrayOf(out)
		bctx.Cache.Put(ck, res)
		return res, nil
	})

	rego.RegisterBuiltin3(&rego.Function{
		Name:        KeyUsersBuiltin,
		Description: "Asks the access model who can use a KMS key: every named account, organization and OU, and unnamed witnesses outside every trusted organization.",
		Decl:        types.NewFunction(types.Args(types.A, types.A, types.A), types.NewArray(nil, types.A)),
	}, func(bctx rego.BuiltinContext, keyT, orgT, trustedT *ast.Term) (*ast.Term, error) {
		// The trusted IDs are one value per query: its identity is the key.
		ck := accessCacheKey{fn: KeyUsersBuiltin, a: keyT.Value, b: orgT.Value, c: trustedT.Value}
		if hit, ok := bctx.Cache.Get(ck); ok {
			return hit.(*ast.Term), nil
		}
		key, err := modelKey(bctx, keyT)
		if err != nil {
			return nil, err
		}
		org, err := modelOrg(bctx, orgT)
		if err != nil {
			return nil, err
		}
		trusted := map[string]bool{}
		collect := func(t *ast.Term) {
			if s, ok := t.Value.(ast.String); ok {
				trusted[string(s)] = true
			}
		}
		switch v := trustedT.Value.(type) {
		case ast.Set:
			v.Foreach(collect)
		case *ast.Array:
			v.Foreach(collect)
		}
		var out []*ast.Term
		for _, w := range key.WhoCanUse(org, trusted) {
			if w.Access.Outcome == access.Denied {
				continue
			}
			out = append(out, ast.ObjectTerm(
				ast.Item(keyTerm("kind"), ast.StringTerm(w.Kind)),
				ast.Item(keyTerm("value"), ast.StringTerm(w.Value)),
				ast.Item(keyTerm("account"), ast.StringTerm(w.Account)),
				ast.Item(keyTerm("org_id"), ast.StringTerm(w.OrgID)),
				ast.Item(keyTerm("subject"), ast.StringTerm(w.Description)),
				ast.Item(keyTerm("outcome"), ast.StringTerm(string(w.Access.Outcome))),
				ast.Item(keyTerm("principal"), ast.StringTerm(w.Access.Principal)),
				ast.Item(keyTerm("actions"), stringArray(nonNil(w.Access.Allowed))),
				ast.Item(keyTerm("statement"), ast.StringTerm(w.Access.Deciding.Statement)),
				ast.Item(keyTerm("condition"), ast.StringTerm(w.Access.Deciding.Condition)),
				ast.Item(keyTerm("reason"), ast.StringTerm(w.Access.Deciding.Reason)),
				ast.Item(keyTerm("via"), ast.StringTerm(w.Access.Deciding.Via)),
				ast.Item(keyTerm("channel"), ast.StringTerm(w.Access.Channel.String())),
			))
		}
		res := arrayOf(out)
		bctx.Cache.Put(ck, res)
		return res, nil
	})

	rego.RegisterBuiltin3(&rego.Function{
		Name:        OrgUnderBuiltin,
		Description: "Answers yes, no or unknown: is an account under an organization, root or OU of the scanned organization (nested OUs included)?",
		Decl:        types.NewFunction(types.Args(types.A, types.S, types.S), types.S),
	}, func(bctx rego.BuiltinContext, orgT, accountT, targetT *ast.Term) (*ast.Term, error) {
		org, err := modelOrg(bctx, orgT)
		if err != nil {
			return nil, err
		}
		a, _ := accountT.Value.(ast.String)
		t, _ := targetT.Value.(ast.String)
		return ast.StringTerm(org.Under(string(a), string(t)).String()), nil
	})
}

// modelKey converts a key of the input once per query.
func modelKey(bctx rego.BuiltinContext, t *ast.Term) (*access.Key, error) {
	ck := accessCacheKey{fn: "key", a: t.Value}
	if hit, ok := bctx.Cache.Get(ck); ok {
		return hit.(*access.Key), nil
	}
	k, err := keyOf(t.Value)
	if err != nil {
		return nil, err
	}
	key := access.NewKey(k)
	bctx.Cache.Put(ck, key)
	return key, nil
}

// modelOrg converts the input's organization once per query; null is nil.
func modelOrg(bctx rego.BuiltinContext, t *ast.Term) (*access.Org, error) {
	if _, ok := t.Value.(ast.Null); ok {
		return nil, nil
	}
	ck := accessCacheKey{fn: "org", a: t.Value}
	if hit, ok := bctx.Cache.Get(ck); ok {
		return hit.(*access.Org), nil
	}
	var o snapshot.Organization
	if err := ast.As(t.Value, &o); err != nil {
		return nil, err
	}
	org := access.NewOrg(&o)
	bctx.Cache.Put(ck, org)
	return org, nil
}

// keyOf reads the fields of a key the model needs straight from the Rego
// value (a JSON round trip through ast.As costs more than the judgment);
// only a key without its raw policy takes the round trip, for its statements.
func keyOf(v ast.Value) (*snapshot.Key, error) {
	obj, ok := v.(ast.Object)
	if !ok {
		return nil, fmt.Errorf("a key must be an object, got %s", ast.ValueName(v))
	}
	k := &snapshot.Key{
		ARN:     stringField(obj, "arn"),
		ID:      stringField(obj, "id"),
		Account: stringField(obj, "account"),
		Region:  stringField(obj, "region"),
		Policy:  stringField(obj, "policy"),
	}
	if k.Policy == "" {
		if t := obj.Get(keyTerm("policy_statements")); t != nil {
			if err := ast.As(t.Value, &k.PolicyStatements); err != nil {
				return nil, fmt.Errorf("key %s: policy_statements: %w", k.ARN, err)
			}
		}
	}
	if t := obj.Get(keyTerm("grants")); t != nil {
		if grants, ok := t.Value.(*ast.Array); ok {
			for i := 0; i < grants.Len(); i++ {
				g, ok := grants.Elem(i).Value.(ast.Object)
				if !ok {
					continue
				}
				gr := snapshot.Grant{
					GrantID:          stringField(g, "grant_id"),
					GranteePrincipal: stringField(g, "grantee_principal"),
					GranteeAccount:   stringField(g, "grantee_account"),
				}
				if ops := g.Get(keyTerm("operations")); ops != nil {
					if arr, ok := ops.Value.(*ast.Array); ok {
						arr.Foreach(func(op *ast.Term) {
							if s, ok := op.Value.(ast.String); ok {
								gr.Operations = append(gr.Operations, string(s))
							}
						})
					}
				}
				if c := g.Get(keyTerm("constraints")); c != nil {
					var gc snapshot.GrantConstraints
					if err := ast.As(c.Value, &gc); err != nil {
						return nil, fmt.Errorf("key %s: grant %s: constraints: %w", k.ARN, gr.GrantID, err)
					}
					gr.Constraints = &gc
				}
				k.Grants = append(k.Grants, gr)
			}
		}
	}
	return k, nil
}
