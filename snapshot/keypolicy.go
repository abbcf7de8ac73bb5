package snapshot

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/amiaudit/amiaudit/internal/awsid"
)

var (
	// arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE — IAM and STS ARNs carry the account in field 5.
	principalARNPattern = regexp.MustCompile(`^` + awsid.ARNPrefixFragment + `:(iam|sts)::(` + awsid.AccountIDFragment + `):(.+)$`)
)

// PrincipalOf classifies one principal string of the given type (AWS, Service,
// Federated, CanonicalUser, or * for the bare "Principal": "*").
func PrincipalOf(typ, value string) Principal {
	p := Principal{Type: typ, Value: value}
	if value == "*" && (typ == "*" || typ == "AWS") {
		p.Wildcard = true
		return p
	}
	if typ != "AWS" {
		return p
	}
	p.Account, p.Root = AccountOfPrincipal(value)
	return p
}

// AccountOfPrincipal returns the account a principal ID or ARN belongs to, and
// whether it is the account as a whole (an account ID or its :root ARN) rather
// than one role or user in it. It returns "" for service principals and unique IDs.
func AccountOfPrincipal(value string) (account string, root bool) {
	if awsid.IsAccountID(value) {
		return value, true
	}
	m := principalARNPattern.FindStringSubmatch(value)
	if m == nil {
		return "", false
	}
	return m[2], m[1] == "iam" && m[3] == "root"
}

// ParsePolicy parses an IAM/KMS policy document into normalised statements.
// It accepts every shape AWS accepts: Statement as an object or a list; Principal
// as "*", or an object whose values are a string or a list; Action and NotAction
// as a string or a list; Condition values as strings, booleans, numbers or lists.
func ParsePolicy(raw string) ([]Statement, error) {
	var doc struct {
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		return nil, fmt.Errorf("key policy is not a JSON object: %w", err)
	}
	if len(doc.Statement) == 0 {
		return nil, fmt.Errorf("key policy has no Statement")
	}
	var rawStatements []json.RawMessage
	if strings.HasPrefix(strings.TrimSpace(string(doc.Statement)), "[") {
		if err := json.Unmarshal(doc.Statement, &rawStatements); err != nil {
			return nil, fmt.Errorf("key policy Statement: %w", err)
		}
	} else {
		rawStatements = []json.RawMessage{doc.Statement}
	}
	out := make([]Statement, 0, len(rawStatements))
	for i, rs := range rawStatements {
		st, err := parseStatement(rs)
		if err != nil {
			return nil, fmt.Errorf("key policy Statement[%d]: %w", i, err)
		}
		out = append(out, st)
	}
	return out, nil
}

type rawStatement struct {
	Sid          string                                `json:"Sid"`
	Effect       string                                `json:"Effect"`
	Principal    json.RawMessage                       `json:"Principal"`
	NotPrincipal json.RawMessage                       `json:"NotPrincipal"`
	Action       json.RawMessage                       `json:"Action"`
	NotAction    json.RawMessage                       `json:"NotAction"`
	Resource     json.RawMessage                       `json:"Resource"`
	NotResource  json.RawMessage                       `json:"NotResource"`
	Condition    map[string]map[string]json.RawMessage `json:"Condition"`
}

func parseStatement(raw json.RawMessage) (Statement, error) {
	var rs rawStatement
	if err := json.Unmarshal(raw, &rs); err != nil {
		return Statement{}, err
	}
	st := Statement{Sid: rs.Sid}
	switch strings.ToLower(rs.Effect) {
	case "allow":
		st.Effect = "Allow"
	case "deny":
		st.Effect = "Deny"
	default:
		return Statement{}, fmt.Errorf("the Effect %q is neither Allow nor Deny", rs.Effect)
	}
	var err error
	if st.Principals, err = parsePrincipals(rs.Principal); err != nil {
		return Statement{}, fmt.Errorf("in Principal: %w", err)
	}
	if st.NotPrincipals, err = parsePrincipals(rs.NotPrincipal); err != nil {
		return Statement{}, fmt.Errorf("in NotPrincipal: %w", err)
	}
	if st.Actions, err = stringOrList(rs.Action); err != nil {
		return Statement{}, fmt.Errorf("in Action: %w", err)
	}
	if st.NotActions, err = stringOrList(rs.NotAction); err != nil {
		return Statement{}, fmt.Errorf("in NotAction: %w", err)
	}
	for i := range st.Actions {
		st.Actions[i] = strings.ToLower(st.Actions[i])
	}
	for i := range st.NotActions {
		st.NotActions[i] = strings.ToLower(st.NotActions[i])
	}
	ops := make([]string, 0, len(rs.Condition))
	for op := range rs.Condition {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	for _, op := range ops {
		keys := make([]string, 0, len(rs.Condition[op]))
		for k := range rs.Condition[op] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			vals, err := scalarOrList(rs.Condition[op][k])
			if err != nil {
				return Statement{}, fmt.Errorf("in Condition %s %s: %w", op, k, err)
			}
			st.Conditions = append(st.Conditions, Condition{Operator: op, Key: strings.ToLower(k), Values: vals})
		}
	}
	return st, nil
}

func parsePrincipals(raw json.RawMessage) ([]Principal, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s != "*" {
			return nil, fmt.Errorf("a string principal must be \"*\", got %q", s)
		}
		return []Principal{PrincipalOf("*", "*")}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("want \"*\" or an object of principal types")
	}
	types := make([]string, 0, len(m))
	for t := range m {
		types = append(types, t)
	}
	sort.Strings(types)
	var out []Principal
	for _, t := range types {
		vals, err := stringOrList(m[t])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t, err)
		}
		for _, v := range vals {
			out = append(out, PrincipalOf(t, v))
		}
	}
	return out, nil
}

func stringOrList(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}, nil
	}
	var l []string
	if err := json.Unmarshal(raw, &l); err != nil {
		return nil, fmt.Errorf("want a string or a list of strings")
	}
	return l, nil
}

// scalarOrList reads a condition value: AWS accepts strings, booleans and numbers,
// alone or in a list, and compares them as strings.
func scalarOrList(raw json.RawMessage) ([]string, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	items, ok := v.([]any)
	if !ok {
		items = []any{v}
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		switch x := it.(type) {
		case string:
			out = append(out, x)
		case bool:
			out = append(out, strconv.FormatBool(x))
		case float64:
			out = append(out, strconv.FormatFloat(x, 'f', -1, 64))
		default:
			return nil, fmt.Errorf("want strings, booleans or numbers")
		}
	}
	return out, nil
}
