package iampolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Policy is a parsed IAM policy document (a KMS key policy, an identity or a
// resource policy). Build it with Parse: Parse also compiles the wildcard
// patterns and condition operators that Evaluate uses.
type Policy struct {
	Version    string
	Statements []Statement

	// compiled is built by Parse, one entry per statement. A Policy built by
	// hand (compiled nil or of the wrong length) is compiled on each Evaluate.
	compiled []compiledStatement
}

// Statement is one element of a policy's Statement list, as written, with the
// single-value-or-list forms normalised to lists.
type Statement struct {
	Index        int    // 0-based position in the policy
	Sid          string // "" when absent
	Effect       string // "Allow" | "Deny"
	Principal    *Principals
	NotPrincipal *Principals
	Action       []string
	NotAction    []string
	Resource     []string
	NotResource  []string
	// Conditions holds one entry per (operator, key), in the order written.
	Conditions []Condition
}

// Name is the statement's Sid, or "Statement[i]" when it has none: the name a
// finding uses for the statement that decided.
func (s *Statement) Name() string {
	if s.Sid != "" {
		return s.Sid
	}
	return "Statement[" + strconv.Itoa(s.Index) + "]"
}

// Principals is a Principal or NotPrincipal element.
type Principals struct {
	// Any is set for "*" and for {"AWS": "*"} (which AWS documents as the same
	// thing: every principal, anonymous included).
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
	Any           bool
	AWS           []string
	Service       []string
	Federated     []string
	CanonicalUser []string
}

// Condition is one (operator, key) pair of a Condition element, as written.
// Values are the policy values, stringified: JSON booleans and numbers keep
// their JSON text ("true", "10").
type Condition struct {
	Operator string // e.g. "ForAnyValue:StringLikeIfExists"
	Key      string // e.g. "aws:PrincipalOrgID", case as written
	Values   []string
}

// ParseError is returned by Parse for a document AWS would not accept or that
// cannot be read unambiguously. Path names the element ("Statement[2].Condition").
type ParseError struct {
	Path string // "" for an error of the document as a whole
	Sid  string // the Sid of the statement at fault, when it has one
	Msg  string
}

func (e *ParseError) Error() string {
	where := e.Path
	if e.Sid != "" {
		where += fmt.Sprintf(" (Sid %q)", e.Sid)
	}
	if where == "" {
		return "parse policy: " + e.Msg
	}
	return "parse policy: " + where + ": " + e.Msg
}

func perr(path, format string, args ...any) error {
	return &ParseError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// versionWithVariables is the only policy language version in which ${…} is
// a policy variable; under "2008-10-17" (or no Version) it is literal text.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html
const versionWithVariables = "2012-10-17"

// Parse reads a policy document in every shape AWS accepts: Statement as an
// object or a list, and every element that takes values (Principal entries,
// Action, Resource, condition values) as a single value or a list. Element
// names are case-sensitive as in AWS's grammar; condition operator names are
// matched case-insensitively. It returns a *ParseError naming the element for
// a malformed document: bad JSON, an unknown or duplicated element, a
// missing or unknown Effect, Principal together with NotPrincipal (likewise
// Action/NotAction, Resource/NotResource), no Action/NotAction, or an
// unknown condition operator.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
func Parse(doc string) (*Policy, error) {
	top, err := decodeObject([]byte(doc), "")
	if err != nil {
		return nil, err
	}
	p := &Policy{}
	var stmts []json.RawMessage
	sawStatement := false
	for _, m := range top {
		switch m.key {
		case "Version":
			if err := json.Unmarshal(m.val, &p.Version); err != nil {
				return nil, perr("Version", "expected a string")
			}
		case "Id":
			var id string
			if err := json.Unmarshal(m.val, &id); err != nil {
				return nil, perr("Id", "expected a string")
			}
		case "Statement":
			sawStatement = true
			stmts, err = oneOrList(m.val)
			if err != nil {
				return nil, perr("Statement", "expected an object or a list of objects")
			}
		default:
			return nil, perr("", "unknown element %q (expected Version, Id, Statement)", m.key)
		}
	}
	if !sawStatement {
		return nil, perr("", "no Statement element")
	}
	vars := p.Version == versionWithVariables
	p.Statements = make([]Statement, 0, len(stmts))
	for i, raw := range stmts {
		st, err := parseStatement(raw, i)
		if err != nil {
			var pe *ParseError
			if errors.As(err, &pe) {
				pe.Sid = sidOf(raw)
			}
			return nil, err
		}
		p.Statements = append(p.Statements, st)
	}
	p.compiled = make([]compiledStatement, len(p.Statements))
	for i := range p.Statements {
		p.compiled[i] = compileStatement(&p.Statements[i], vars)
	}
	return p, nil
}

func parseStatement(raw json.RawMessage, i int) (Statement, error) {
	path := fmt.Sprintf("Statement[%d]", i)
	st := Statement{Index: i}
	members, err := decodeObject(raw, path)
	if err != nil {
		return st, err
	}
	seen := map[string]bool{}
	for _, m := range members {
		ep := path + "." + m.key
		switch m.key {
		case "Sid":
			if err := json.Unmarshal(m.val, &st.Sid); err != nil {
				return st, perr(ep, "expected a string")
			}
		case "Effect":
			var e string
			if err := json.Unmarshal(m.val, &e); err != nil {
				return st, perr(ep, "expected \"Allow\" or \"Deny\"")
			}
			switch {
			case strings.EqualFold(e, "Allow"):
				st.Effect = "Allow"
			case strings.EqualFold(e, "Deny"):
				st.Effect = "Deny"
			default:
				return st, perr(ep, "unknown effect %q (expected \"Allow\" or \"Deny\")", e)
			}
		case "Principal", "NotPrincipal":
			pr, err := parsePrincipals(m.val, ep)
			if err != nil {
				return st, err
			}
			if m.key == "Principal" {
				st.Principal = pr
			} else {
				st.NotPrincipal = pr
			}
		case "Action", "NotAction", "Resource", "NotResource":
			vals, err := stringList(m.val, ep)
			if err != nil {
				return st, err
			}
			switch m.key {
			case "Action":
				st.Action = vals
			case "NotAction":
				st.NotAction = vals
			case "Resource":
				st.Resource = vals
			default:
				st.NotResource = vals
			}
		case "Condition":
			conds, err := parseConditions(m.val, ep)
			if err != nil {
				return st, err
			}
			st.Conditions = conds
		default:
			return st, perr(path, "unknown element %q (expected Sid, Effect, Principal, NotPrincipal, Action, NotAction, Resource, NotResource, Condition)", m.key)
		}
		seen[m.key] = true
	}
	if !seen["Effect"] {
		return st, perr(path, "missing Effect (expected \"Allow\" or \"Deny\")")
	}
	for _, pair := range [][2]string{{"Principal", "NotPrincipal"}, {"Action", "NotAction"}, {"Resource", "NotResource"}} {
		if seen[pair[0]] && seen[pair[1]] {
			return st, perr(path, "both %s and %s (a statement takes one of them)", pair[0], pair[1])
		}
	}
	if !seen["Action"] && !seen["NotAction"] {
		return st, perr(path, "missing Action or NotAction")
	}
	return st, nil
}

// sidOf finds a statement's Sid, wherever it is written, so that an error
// in any element can name the statement.
func sidOf(raw json.RawMessage) string {
	var probe struct {
		Sid any
	}
	if json.Unmarshal(raw, &probe) != nil {
		return ""
	}
	sid, _ := probe.Sid.(string)
	return sid
}

func parsePrincipals(raw json.RawMessage, path string) (*Principals, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if s != "*" {
			return nil, perr(path, "a principal given as a string must be \"*\", got %q (use {\"AWS\": …} or {\"Service\": …})", s)
		}
		return &Principals{Any: true}, nil
	}
	members, err := decodeObject(raw, path)
	if err != nil {
		return nil, perr(path, "expected \"*\" or an object of AWS, Service, Federated, CanonicalUser")
	}
	pr := &Principals{}
	for _, m := range members {
		vals, err := stringList(m.val, path+"."+m.key)
		if err != nil {
			return nil, err
		}
		switch m.key {
		case "AWS":
			for _, v := range vals {
				if v == "*" {
					pr.Any = true
				}
			}
			pr.AWS = vals
		case "Service":
			pr.Service = vals
		case "Federated":
			pr.Federated = vals
		case "CanonicalUser":
			pr.CanonicalUser = vals
		default:
			return nil, perr(path, "unknown principal type %q (expected AWS, Service, Federated, CanonicalUser)", m.key)
		}
	}
	return pr, nil
}

func parseConditions(raw json.RawMessage, path string) ([]Condition, error) {
	ops, err := decodeObject(raw, path)
	if err != nil {
		return nil, err
	}
	var conds []Condition
	for _, op := range ops {
		opPath := path + "." + op.key
		if _, err := parseOperator(op.key); err != nil {
			return nil, perr(opPath, "%v", err)
		}
		keys, err := decodeObject(op.val, opPath)
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			vals, err := scalarList(k.val, opPath+"."+k.key)
			if err != nil {
				return nil, err
			}
			conds = append(conds, Condition{Operator: op.key, Key: k.key, Values: vals})
		}
	}
	return conds, nil
}

// member is one name/value pair of a JSON object, in document order.
type member struct {
	key string
	val json.RawMessage
}

// decodeObject reads a JSON object keeping its members' order (conditions are
// reported in the order written) and refusing duplicate names, whose meaning
// AWS does not document.
func decodeObject(data []byte, path string) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonErr(data, path, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, perr(path, "expected a JSON object")
	}
	var out []member
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, jsonErr(data, path, err)
		}
		key, _ := tok.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return nil, jsonErr(data, path, err)
		}
		if seen[key] {
			return nil, perr(path, "duplicate element %q", key)
		}
		seen[key] = true
		out = append(out, member{key: key, val: val})
	}
	if _, err := dec.Token(); err != nil {
		return nil, jsonErr(data, path, err)
	}
	if _, err := dec.Token(); err == nil {
		return nil, perr(path, "unexpected data after the JSON object")
	}
	return out, nil
}

// jsonErr turns a decoder error into a ParseError that says where (line and
// column for a syntax error in the whole document).
func jsonErr(data []byte, path string, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) && path == "" {
		line, col := lineCol(data, se.Offset)
		return perr("", "invalid JSON at line %d, column %d: %v", line, col, se)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return perr(path, "invalid JSON: unexpected end of document")
	}
	return perr(path, "invalid JSON: %v", err)
}

func lineCol(data []byte, off int64) (int, int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line, col := 1, 1
	for _, b := range data[:off] {
		if b == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// oneOrList splits a value that may be a single element or a list.
func oneOrList(raw json.RawMessage) ([]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, err
		}
		return list, nil
	}
	return []json.RawMessage{raw}, nil
}

// stringList reads a string or a list of strings (Action, Resource, principals).
func stringList(raw json.RawMessage, path string) ([]string, error) {
	items, err := oneOrList(raw)
	if err != nil {
		return nil, perr(path, "expected a string or a list of strings")
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		var s string
		if isNull(it) || json.Unmarshal(it, &s) != nil {
			return nil, perr(path, "expected a string or a list of strings, got %s", abbreviate(it))
		}
		out = append(out, s)
	}
	return out, nil
}

// scalarList reads condition values: strings, numbers or booleans, one or a
// list. Numbers and booleans keep their JSON text.
func scalarList(raw json.RawMessage, path string) ([]string, error) {
	items, err := oneOrList(raw)
	if err != nil {
		return nil, perr(path, "expected a value or a list of values")
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		it = bytes.TrimSpace(it)
		var s string
		switch {
		case len(it) > 0 && it[0] == '"':
			if err := json.Unmarshal(it, &s); err != nil {
				return nil, perr(path, "invalid string %s", abbreviate(it))
			}
		case string(it) == "true" || string(it) == "false":
			s = string(it)
		default:
			var n json.Number
			if err := json.Unmarshal(it, &n); err != nil || isNull(it) {
				return nil, perr(path, "expected a string, number or boolean, got %s", abbreviate(it))
			}
			s = n.String()
		}
		out = append(out, s)
	}
	return out, nil
}

// isNull: JSON null decodes into a Go string without error; AWS's grammar
// has no null values.
func isNull(b []byte) bool { return string(bytes.TrimSpace(b)) == "null" }

func abbreviate(b []byte) string {
	const max = 40
	if len(b) > max {
		return strconv.Quote(string(b[:max]) + "…")
	}
	return string(b)
}
