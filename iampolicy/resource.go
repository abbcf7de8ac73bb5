package iampolicy

import (
	"regexp"
	"strings"
)

// Resource ARNs with wildcards follow their own rule: "You can use wildcard
// characters (* and ?) within the individual segments of an ARN (the parts
// separated by colons) … If the * wildcard is the last character of a
// resource ARN segment, it can expand to match beyond the colon boundaries."
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
// So '?' and a '*' inside a segment never match a colon; a '*' that ends a
// segment matches anything. Such patterns are compiled once, to a regular
// expression (linear time), when the Resource has no policy variable.

// resourcePattern is one compiled Resource/NotResource value.
type resourcePattern struct {
	all     bool           // "*" (or only stars): every resource
	literal string         // the value when it has no wildcard
	re      *regexp.Regexp // otherwise
	pattern string         // fallback when re cannot be built (invalid UTF-8 in a hand-built policy)
}

// compileResource reads a pattern of the internal language (see wildcard.go).
func compileResource(p string) resourcePattern {
	if onlyStars(p) {
		return resourcePattern{all: true}
	}
	var re, lit, run strings.Builder
	wild := false
	flush := func() {
		re.WriteString(regexp.QuoteMeta(run.String()))
		run.Reset()
	}
	re.WriteString(`^`)
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\' && i+1 < len(p):
			i++
			lit.WriteByte(p[i])
			run.WriteByte(p[i])
		case c == '*':
			wild = true
			flush()
			if i+1 == len(p) || p[i+1] == ':' {
				re.WriteString(`.*`)
			} else {
				re.WriteString(`[^:]*`)
			}
		case c == '?':
			wild = true
			flush()
			re.WriteString(`[^:]`)
		default:
			lit.WriteByte(c)
			run.WriteByte(c)
		}
	}
	if !wild {
		return resourcePattern{literal: lit.String()}
	}
	flush()
	re.WriteString(`$`)
	rx, err := regexp.Compile(re.String())
	if err != nil {
		return resourcePattern{pattern: p}
	}
	return resourcePattern{re: rx}
}

func (rp *resourcePattern) match(resource string) bool {
	switch {
	case rp.all:
		return true
	case rp.re != nil:
		return rp.re.MatchString(resource)
	case rp.pattern != "":
		return wildcardMatch(rp.pattern, resource, false)
	}
	return rp.literal == resource
}
