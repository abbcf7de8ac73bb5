package iampolicy

import (
	"strings"
	"unicode/utf8"
)

// Wildcard patterns are kept as strings in a tiny internal language: '*'
// matches any run of characters (none included), '?' exactly one character,
// and '\' makes the next byte literal (for ${*}, ${?} and substituted variable
// values). Patterns are built once at Parse time; matching allocates nothing.

// escapePattern makes every byte of s literal in a pattern.
func escapePattern(s string) string {
	if !strings.ContainsAny(s, `*?\`) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 4)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '*' || c == '?' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return b.String()
}

// literalToPattern turns policy text, where '*' and '?' are wildcards, into
// the internal language (only '\' needs escaping).
func literalToPattern(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	return strings.ReplaceAll(s, `\`, `\\`)
}

// onlyStars reports whether pattern p matches every string.
func onlyStars(p string) bool {
	if p == "" {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] != '*' {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// wildcardMatch reports whether s matches pattern pat. fold compares ASCII
// letters case-insensitively (action names). The matcher is the iterative
// greedy one: on a mismatch it retries from the last '*' one character
// further, so the worst case is O(len(pat)·len(s)) and never exponential.
func wildcardMatch(pat, s string, fold bool) bool {
	p, i := 0, 0
	starP, starI := -1, 0
	for i < len(s) {
		if p < len(pat) {
			c := pat[p]
			switch c {
			case '*':
				starP, starI = p, i
				p++
				continue
			case '?':
				_, n := utf8.DecodeRuneInString(s[i:])
				i += n
				p++
				continue
			case '\\':
				if p+1 < len(pat) {
					if byteEq(pat[p+1], s[i], fold) {
						p += 2
						i++
						continue
					}
				} else if byteEq(c, s[i], fold) {
					p++
					i++
					continue
				}
			default:
				if byteEq(c, s[i], fold) {
					p++
					i++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		_, n := utf8.DecodeRuneInString(s[starI:])
		starI += n
		i = starI
		p = starP + 1
	}
	for p < len(pat) && pat[p] == '*' {
		p++
	}
	return p == len(pat)
}

func byteEq(a, b byte, fold bool) bool {
	if fold {
		return lowerASCII(a) == lowerASCII(b)
	}
	return a == b
}

// MatchWildcard reports whether value matches pattern under StringLike's
// rules: '*' any run of characters, '?' one character, case-sensitive.
// Callers that build witnesses for wildcard conditions use it to check them.
func MatchWildcard(pattern, value string) bool {
	return wildcardMatch(literalToPattern(pattern), value, false)
}
