package iampolicy

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// The condition operators, with AWS's semantics.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html

// Tri is a three-valued truth: a condition or statement that depends on a
// context key the caller could not fix is Unknown.
type Tri int8

// The three truth values.
const (
	False Tri = iota
	True
	Unknown
)

func (t Tri) String() string {
	switch t {
	case False:
		return "false"
	case True:
		return "true"
	default:
		return "unknown"
	}
}

func triOf(b bool) Tri {
	if b {
		return True
	}
	return False
}

func (t Tri) not() Tri {
	switch t {
	case True:
		return False
	case False:
		return True
	}
	return Unknown
}

// Context is the request context of a request. Key names are matched
// case-insensitively (AWS: condition key names are not case-sensitive);
// store them lower-cased, or use Set/SetAbsent which do. A key in Values is
// present with those values (a multivalued key has several); a key in Absent
// is known to be absent; any other key is unknown, and a condition that
// depends on it is Unknown unless its result is the same whatever the key
// holds.
type Context struct {
	Values map[string][]string
	Absent map[string]bool
}

// Set records key as present with vals.
func (c *Context) Set(key string, vals ...string) {
	if c.Values == nil {
		c.Values = map[string][]string{}
	}
	k := strings.ToLower(key)
	c.Values[k] = vals
	delete(c.Absent, k)
}

// SetAbsent records key as known to be absent from the request.
func (c *Context) SetAbsent(key string) {
	if c.Absent == nil {
		c.Absent = map[string]bool{}
	}
	k := strings.ToLower(key)
	c.Absent[k] = true
	delete(c.Values, k)
}

type keyState int8

const (
	keyUnknown keyState = iota
	keyPresent
	keyAbsent
)

// lookup finds a lower-cased key. Maps filled by hand with mixed-case keys
// are tolerated through a slower case-insensitive scan.
func (c *Context) lookup(lkey string) ([]string, keyState) {
	if v, ok := c.Values[lkey]; ok {
		return v, keyPresent
	}
	if c.Absent[lkey] {
		return nil, keyAbsent
	}
	for k, v := range c.Values {
		if strings.EqualFold(k, lkey) {
			return v, keyPresent
		}
	}
	for k, a := range c.Absent {
		if a && strings.EqualFold(k, lkey) {
			return nil, keyAbsent
		}
	}
	return nil, keyUnknown
}

type family int8

const (
	famString family = iota
	famStringIgnoreCase
	famStringLike
	famNumeric
	famDate
	famBool
	famBinary
	famIP
	famArn
	famNull
)

type comparison int8

const (
	cmpEq comparison = iota
	cmpLt
	cmpLe
	cmpGt
	cmpGe
)

type setOp int8

const (
	setNone setOp = iota
	setAnyValue
	setAllValues
)

type operator struct {
	fam      family
	cmp      comparison
	negated  bool
	ifExists bool
	set      setOp
}

type baseOperator struct {
	fam     family
	cmp     comparison
	negated bool
}

// baseOperators are keyed by lower-cased name: AWS's documentation spells
// operators one way; matching them case-insensitively never rejects a policy
// AWS stored.
var baseOperators = map[string]baseOperator{
	"stringequals":              {famString, cmpEq, false},
	"stringnotequals":           {famString, cmpEq, true},
	"stringequalsignorecase":    {famStringIgnoreCase, cmpEq, false},
	"stringnotequalsignorecase": {famStringIgnoreCase, cmpEq, true},
	"stringlike":                {famStringLike, cmpEq, false},
	"stringnotlike":             {famStringLike, cmpEq, true},
	"numericequals":             {famNumeric, cmpEq, false},
	"numericnotequals":          {famNumeric, cmpEq, true},
	"numericlessthan":           {famNumeric, cmpLt, false},
	"numericlessthanequals":     {famNumeric, cmpLe, false},
	"numericgreaterthan":        {famNumeric, cmpGt, false},
	"numericgreaterthanequals":  {famNumeric, cmpGe, false},
	"dateequals":                {famDate, cmpEq, false},
	"datenotequals":             {famDate, cmpEq, true},
	"datelessthan":              {famDate, cmpLt, false},
	"datelessthanequals":        {famDate, cmpLe, false},
	"dategreaterthan":           {famDate, cmpGt, false},
	"dategreaterthanequals":     {famDate, cmpGe, false},
	"bool":                      {famBool, cmpEq, false},
	"binaryequals":              {famBinary, cmpEq, false},
	"ipaddress":                 {famIP, cmpEq, false},
	"notipaddress":              {famIP, cmpEq, true},
	"arnequals":                 {famArn, cmpEq, false},
	"arnlike":                   {famArn, cmpEq, false},
	"arnnotequals":              {famArn, cmpEq, true},
	"arnnotlike":                {famArn, cmpEq, true},
	"null":                      {famNull, cmpEq, false},
}

// parseOperator reads "[ForAnyValue:|ForAllValues:]Base[IfExists]".
// IfExists cannot be added to Null (AWS: "...IfExists" applies to every
// operator except Null).
func parseOperator(name string) (operator, error) {
	l := strings.ToLower(name)
	var op operator
	switch {
	case strings.HasPrefix(l, "foranyvalue:"):
		op.set = setAnyValue
		l = l[len("foranyvalue:"):]
	case strings.HasPrefix(l, "forallvalues:"):
		op.set = setAllValues
		l = l[len("forallvalues:"):]
	}
	b, ok := baseOperators[l]
	if !ok && strings.HasSuffix(l, "ifexists") {
		b, ok = baseOperators[strings.TrimSuffix(l, "ifexists")]
		if ok && b.fam == famNull {
			return op, fmt.Errorf("unknown condition operator %q (IfExists cannot be added to Null)", name)
		}
		op.ifExists = ok
	}
	if !ok {
		return op, fmt.Errorf("unknown condition operator %q", name)
	}
	op.fam, op.cmp, op.negated = b.fam, b.cmp, b.negated
	return op, nil
}

// takesVariables: AWS documents policy variables for the String, ARN and
// Bool families; elsewhere "${" is literal text.
func (op operator) takesVariables() bool {
	switch op.fam {
	case famString, famStringIgnoreCase, famStringLike, famArn, famBool:
		return true
	}
	return false
}

// compiledValue is one policy value, parsed once for its operator family.
type compiledValue struct {
	t     template
	valid bool // the literal value parses for the family (numbers, dates, …)
	num   float64
	date  time.Time
	pfx   netip.Prefix
	bin   []byte
	b     bool
	arn   [6]string // ARN components as patterns, when t has no variables
	isArn bool
}

type compiledCondition struct {
	op      operator
	badOp   bool // operator unknown (a Condition built by hand): Unknown
	key     string
	values  []compiledValue
	anyStar bool // some value is a pattern that matches everything (Like families)
}

func compileCondition(c Condition, vars bool) compiledCondition {
	op, err := parseOperator(c.Operator)
	cc := compiledCondition{op: op, badOp: err != nil, key: strings.ToLower(c.Key)}
	if cc.badOp {
		return cc
	}
	useVars := vars && op.takesVariables()
	cc.values = make([]compiledValue, len(c.Values))
	for i, v := range c.Values {
		cv := compiledValue{t: newTemplate(v, useVars)}
		cv.valid = true
		switch op.fam {
		case famNumeric:
			cv.num, cv.valid = parseNumber(v)
		case famDate:
			cv.date, cv.valid = parseDate(v)
		case famBool:
			if cv.t.parts == nil {
				cv.b, cv.valid = parseBool(v)
			}
		case famBinary:
			var err error
			cv.bin, err = base64.StdEncoding.DecodeString(v)
			cv.valid = err == nil
		case famIP:
			cv.pfx, cv.valid = parsePrefix(v)
		case famArn:
			if cv.t.parts == nil {
				cv.arn, cv.isArn = splitARN(cv.t.pattern)
				if (!op.negated) && onlyStars(cv.t.pattern) {
					cc.anyStar = true
				}
			}
		case famStringLike:
			if cv.t.parts == nil && !op.negated && onlyStars(cv.t.pattern) {
				cc.anyStar = true
			}
		}
		cc.values[i] = cv
	}
	return cc
}

// Why a condition is Unknown, for the decision's message.
type cause int8

const (
	causeNone cause = iota
	causeKeyUnknown
	causeVariable
	causeBadValue
	causeMultiNoSet
	causeBadOperator
)

// EvaluateCondition returns one condition's result in ctx. Policy variables
// in its values are substituted (as under Version 2012-10-17). An unknown
// operator gives Unknown.
func EvaluateCondition(c Condition, ctx Context) Tri {
	cc := compileCondition(c, true)
	r, _ := cc.eval(&ctx)
	return r
}

// eval computes the condition's truth in ctx.
//
// Absent key (reference_policies_elements_condition_operators.html): a
// positive operator is false, a negated one true; …IfExists is true; Null
// "true" is true. ForAnyValue is false and ForAllValues true for an absent or
// empty key (reference_policies_condition-single-vs-multi-valued-context-keys.html).
//
// Present key: values of one key are ORed (NORed for negated operators,
// reference_policies_multi-value-conditions.html); set operators then
// quantify over the request's values. A key with several values and no set
// operator is something AWS says needs a set operator without documenting
// the result, so both readings (any value, every value) are computed and
// the condition is Unknown when they differ.
//
// Unknown key: the result when absent, when present but empty, and when
// present with arbitrary values are compared; only when they agree (e.g.
// StringLikeIfExists "*", ForAllValues:StringLike "*", Null ["true","false"])
// is the result decided, otherwise Unknown.
func (cc *compiledCondition) eval(ctx *Context) (Tri, cause) {
	if cc.badOp {
		return Unknown, causeBadOperator
	}
	vals, st := ctx.lookup(cc.key)
	switch st {
	case keyAbsent:
		return cc.evalAbsent(), causeNone
	case keyPresent:
		if len(vals) == 0 {
			return cc.evalEmpty(), causeNone
		}
		return cc.evalPresent(vals, ctx)
	}
	absent, empty, arbitrary := cc.evalAbsent(), cc.evalEmpty(), cc.evalArbitrary()
	if absent == empty && empty == arbitrary && absent != Unknown {
		return absent, causeNone
	}
	return Unknown, causeKeyUnknown
}

func (cc *compiledCondition) evalAbsent() Tri {
	op := cc.op
	switch {
	case op.fam == famNull:
		return cc.nullResult(true)
	case op.ifExists:
		return True
	case op.set == setAnyValue:
		return False
	case op.set == setAllValues:
		return True
	case op.negated:
		return True
	}
	return False
}

// evalEmpty: a key present with no values. Set operators treat it as AWS
// documents for empty keys; Null treats it as null; the others as absent.
func (cc *compiledCondition) evalEmpty() Tri {
	return cc.evalAbsent()
}

// evalArbitrary: the result for a key present with values we do not know.
// Decided only when every value gives the same answer.
func (cc *compiledCondition) evalArbitrary() Tri {
	if cc.op.fam == famNull {
		return cc.nullResult(false)
	}
	if cc.anyStar {
		if cc.op.negated {
			return False
		}
		return True
	}
	return Unknown
}

func (cc *compiledCondition) nullResult(absent bool) Tri {
	want := "false"
	if absent {
		want = "true"
	}
	for _, v := range cc.values {
		if strings.EqualFold(v.t.raw, want) {
			return True
		}
	}
	return False
}

func (cc *compiledCondition) evalPresent(vals []string, ctx *Context) (Tri, cause) {
	if cc.op.fam == famNull {
		return cc.nullResult(false), causeNone
	}
	var c cause
	perValue := func(v string) Tri {
		r, why := cc.matchAny(v, ctx)
		if r == Unknown && c == causeNone {
			c = why
		}
		if cc.op.negated {
			return r.not()
		}
		return r
	}
	if len(vals) == 1 && cc.op.set != setAllValues {
		return perValue(vals[0]), c
	}
	anyR, allR := False, True
	for _, v := range vals {
		r := perValue(v)
		anyR = or(anyR, r)
		allR = and(allR, r)
	}
	switch cc.op.set {
	case setAnyValue:
		return anyR, c
	case setAllValues:
		return allR, c
	}
	if anyR == allR {
		return anyR, c
	}
	return Unknown, causeMultiNoSet
}

func or(a, b Tri) Tri {
	if a == True || b == True {
		return True
	}
	if a == Unknown || b == Unknown {
		return Unknown
	}
	return False
}

func and(a, b Tri) Tri {
	if a == False || b == False {
		return False
	}
	if a == Unknown || b == Unknown {
		return Unknown
	}
	return True
}

// matchAny: does request value v match one of the policy values (positive
// sense, before negation)?
func (cc *compiledCondition) matchAny(v string, ctx *Context) (Tri, cause) {
	res, c := False, causeNone
	for i := range cc.values {
		r, why := cc.matchOne(v, &cc.values[i], ctx)
		if r == True {
			return True, causeNone
		}
		if r == Unknown {
			res = Unknown
			if c == causeNone {
				c = why
			}
		}
	}
	return res, c
}

func (cc *compiledCondition) matchOne(v string, pv *compiledValue, ctx *Context) (Tri, cause) {
	switch cc.op.fam {
	case famString, famStringIgnoreCase:
		s, r, _ := pv.t.resolve(ctx, false)
		if r != True {
			return Unknown, causeVariable
		}
		if cc.op.fam == famStringIgnoreCase {
			return triOf(strings.EqualFold(v, s)), causeNone
		}
		return triOf(v == s), causeNone
	case famStringLike:
		p, r, _ := pv.t.resolve(ctx, true)
		if r != True {
			return Unknown, causeVariable
		}
		return triOf(wildcardMatch(p, v, false)), causeNone
	case famArn:
		return matchARN(v, pv, ctx)
	case famBool:
		b := pv.b
		if pv.t.parts != nil {
			s, r, _ := pv.t.resolve(ctx, false)
			if r != True {
				return Unknown, causeVariable
			}
			var ok bool
			if b, ok = parseBool(s); !ok {
				return Unknown, causeBadValue
			}
		} else if !pv.valid {
			return Unknown, causeBadValue
		}
		rb, ok := parseBool(v)
		return triOf(ok && rb == b), causeNone
	}
	if !pv.valid {
		return Unknown, causeBadValue
	}
	switch cc.op.fam {
	case famNumeric:
		n, ok := parseNumber(v)
		if !ok {
			return False, causeNone
		}
		return triOf(compareFloat(n, pv.num, cc.op.cmp)), causeNone
	case famDate:
		d, ok := parseDate(v)
		if !ok {
			return False, causeNone
		}
		return triOf(compareTime(d, pv.date, cc.op.cmp)), causeNone
	case famBinary:
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return False, causeNone
		}
		return triOf(bytes.Equal(b, pv.bin)), causeNone
	case famIP:
		a, err := netip.ParseAddr(strings.TrimSpace(v))
		if err != nil {
			return False, causeNone
		}
		return triOf(pv.pfx.Contains(a.Unmap())), causeNone
	}
	return Unknown, causeBadOperator
}

// matchARN compares the six colon-separated ARN components, each with
// wildcards: "ArnEquals and ArnLike … behave identically". A policy value
// that is not six components is matched as one pattern over the whole value.
func matchARN(v string, pv *compiledValue, ctx *Context) (Tri, cause) {
	parts, isArn := pv.arn, pv.isArn
	whole := pv.t.pattern
	if pv.t.parts != nil {
		p, r, _ := pv.t.resolve(ctx, true)
		if r != True {
			return Unknown, causeVariable
		}
		whole = p
		parts, isArn = splitARN(p)
	}
	if !isArn {
		return triOf(wildcardMatch(whole, v, false)), causeNone
	}
	rparts, ok := splitARN(v)
	if !ok {
		return False, causeNone
	}
	for i := range parts {
		if !wildcardMatch(parts[i], rparts[i], false) {
			return False, causeNone
		}
	}
	return True, causeNone
}

// splitARN splits "arn:partition:service:region:account:resource" into its
// six components (the resource keeps its own colons). An escaped colon
// cannot occur: ':' is never a wildcard.
func splitARN(s string) ([6]string, bool) {
	var out [6]string
	for i := 0; i < 5; i++ {
		j := strings.IndexByte(s, ':')
		if j < 0 {
			return out, false
		}
		out[i] = s[:j]
		s = s[j+1:]
	}
	out[5] = s
	return out, true
}

func parseNumber(s string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

func compareFloat(a, b float64, c comparison) bool {
	switch c {
	case cmpLt:
		return a < b
	case cmpLe:
		return a <= b
	case cmpGt:
		return a > b
	case cmpGe:
		return a >= b
	}
	return a == b
}

func compareTime(a, b time.Time, c comparison) bool {
	switch c {
	case cmpLt:
		return a.Before(b)
	case cmpLe:
		return !a.After(b)
	case cmpGt:
		return a.After(b)
	case cmpGe:
		return !a.Before(b)
	}
	return a.Equal(b)
}

// dateLayouts are the W3C profile of ISO 8601 AWS refers to for Date
// operators, plus the compact basic form AWS uses in aws:CurrentTime examples.
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02",
	"20060102T150405Z",
}

// parseDate accepts ISO 8601 dates and times and epoch seconds ("Date
// condition operators … support ISO 8601 format or epoch time").
func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, "-:T") {
		if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e15 {
			return time.Time{}, false
		}
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func parseBool(s string) (bool, bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

// parsePrefix reads a CIDR block or a single address (as a /32 or /128).
func parsePrefix(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		if p.Addr().Is4In6() {
			bits := p.Bits() - 96
			if bits < 0 {
				return netip.Prefix{}, false
			}
			p = netip.PrefixFrom(p.Addr().Unmap(), bits)
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}
