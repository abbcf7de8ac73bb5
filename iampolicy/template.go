package iampolicy

import "strings"

// Policy variables (${aws:username}, ${aws:PrincipalTag/team, 'default'},
// and the escapes ${*}, ${?}, ${$}) in Resource and in the values of the
// String, ARN and Bool condition operators.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
//
// AWS substitutes the variable's value from the request context. When it
// cannot ("If AWS cannot resolve a variable this might cause the entire
// statement to be invalid"), the effect is not documented precisely, so a
// variable whose key is absent (without a default), multivalued or unknown
// makes the element Unknown, never a guessed match or mismatch. A default
// value applies only when the key is known to be absent.

type tpart struct {
	text    string // literal text (isVar false) or the default value
	key     string // lower-cased context key (isVar true)
	name    string // the key as written, for messages
	special bool   // text came from ${*}, ${?} or ${$}: always literal
	isVar   bool
	hasDef  bool
}

// template is a policy value: plain text, or text with variables.
type template struct {
	raw     string  // as written
	pattern string  // wildcard pattern when there are no variables
	parts   []tpart // nil when there are no variables
}

func newTemplate(s string, vars bool) template {
	t := template{raw: s}
	if vars && strings.Contains(s, "${") {
		t.parts = parseTemplate(s)
		if len(t.parts) == 1 && !t.parts[0].isVar && !t.parts[0].special {
			t.parts = nil
		}
	}
	if t.parts == nil {
		t.pattern = literalToPattern(s)
	}
	return t
}

// parseTemplate splits s into literal text and variables. Text that does not
// form a complete ${…} stays literal.
func parseTemplate(s string) []tpart {
	var parts []tpart
	lit := func(t string) {
		if t == "" {
			return
		}
		if n := len(parts); n > 0 && !parts[n-1].isVar && !parts[n-1].special {
			parts[n-1].text += t
			return
		}
		parts = append(parts, tpart{text: t})
	}
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			lit(s)
			return parts
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			lit(s)
			return parts
		}
		lit(s[:i])
		inner := strings.TrimSpace(s[i+2 : i+end])
		rest := s[i+end+1:]
		switch inner {
		case "*", "?", "$":
			parts = append(parts, tpart{text: inner, special: true})
			s = rest
			continue
		}
		p, ok := parseVariable(inner)
		if !ok {
			lit(s[i : i+end+1])
		} else {
			parts = append(parts, p)
		}
		s = rest
	}
}

// parseVariable reads "key" or "key, 'default'" (two single quotes are one quote inside the
// default). A '}' inside a default ends the variable early; such text is left
// literal rather than guessed at.
func parseVariable(inner string) (tpart, bool) {
	key, def, hasDef := strings.Cut(inner, ",")
	key = strings.TrimSpace(key)
	if key == "" || strings.ContainsAny(key, " '") {
		return tpart{}, false
	}
	p := tpart{key: strings.ToLower(key), name: key, isVar: true}
	if hasDef {
		def = strings.TrimSpace(def)
		if len(def) < 2 || def[0] != '\'' || def[len(def)-1] != '\'' {
			return tpart{}, false
		}
		p.text = strings.ReplaceAll(def[1:len(def)-1], "''", "'")
		p.hasDef = true
	}
	return p, true
}

// resolve substitutes the variables. forPattern returns a wildcard pattern
// (policy text keeps its wildcards, substituted values are literal). The
// name of the first unresolvable variable, as written, is returned with
// Unknown.
func (t *template) resolve(ctx *Context, forPattern bool) (string, Tri, string) {
	if t.parts == nil {
		if forPattern {
			return t.pattern, True, ""
		}
		return t.raw, True, ""
	}
	var b strings.Builder
	for _, p := range t.parts {
		switch {
		case p.special:
			if forPattern {
				b.WriteString(escapePattern(p.text))
			} else {
				b.WriteString(p.text)
			}
		case !p.isVar:
			if forPattern {
				b.WriteString(literalToPattern(p.text))
			} else {
				b.WriteString(p.text)
			}
		default:
			vals, st := ctx.lookup(p.key)
			var v string
			switch {
			case st == keyPresent && len(vals) == 1:
				v = vals[0]
			case (st == keyAbsent || (st == keyPresent && len(vals) == 0)) && p.hasDef:
				v = p.text
			default:
				return "", Unknown, p.name
			}
			if forPattern {
				b.WriteString(escapePattern(v))
			} else {
				b.WriteString(v)
			}
		}
	}
	return b.String(), True, ""
}
