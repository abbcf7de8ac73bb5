package iampolicy

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestWildcardMatch(t *testing.T) {
	tests := []struct {
		pat, s string
		fold   bool
		want   bool
	}{
		{"", "", false, true},
		{"", "a", false, false},
		{"*", "", false, true},
		{"*", "anything:at/all", false, true},
		{"kms:*", "kms:Decrypt", false, true},
		{"kms:*", "kmsx:Decrypt", false, false},
		{"kms:Re*", "kms:ReEncryptFrom", false, true},
		{"kms:GenerateDataKey*", "kms:GenerateDataKey", false, true},
		{"kms:?ncrypt", "kms:Encrypt", false, true},
		{"kms:?ncrypt", "kms:ncrypt", false, false},
		{"a?c", "aéc", false, true}, // '?' is one character, not one byte
		{"a*b*c", "a-b-b-c", false, true},
		{"a*b*c", "a-b-b-d", false, false},
		{"*ab", "aab", false, true},
		{"KMS:DECRYPT", "kms:decrypt", true, true},
		{"KMS:DECRYPT", "kms:decrypt", false, false},
		{`a\*b`, "a*b", false, true},
		{`a\*b`, "axb", false, false},
		{`a\?b`, "a?b", false, true},
		{`a\\b`, `a\b`, false, true},
		{`a\`, `a\`, false, true},
		{"**", "x", false, true},
	}
	for _, tc := range tests {
		if got := wildcardMatch(tc.pat, tc.s, tc.fold); got != tc.want {
			t.Errorf("wildcardMatch(%q, %q, %v) = %v, want %v", tc.pat, tc.s, tc.fold, got, tc.want)
		}
	}
}

// The matcher agrees with an anchored regular expression on random-ish
// inputs over a small alphabet (where wildcards interact the most).
func TestWildcardMatchAgreesWithRegexp(t *testing.T) {
	alphabet := []byte("ab*?")
	var pats []string
	var gen func(prefix string, n int)
	gen = func(prefix string, n int) {
		pats = append(pats, prefix)
		if n == 0 {
			return
		}
		for _, c := range alphabet {
			gen(prefix+string(c), n-1)
		}
	}
	gen("", 4)
	subjects := []string{"", "a", "b", "ab", "ba", "aab", "abab", "bbba", "aaaaa"}
	for _, p := range pats {
		var re strings.Builder
		re.WriteString("^")
		for _, c := range p {
			switch c {
			case '*':
				re.WriteString(".*")
			case '?':
				re.WriteString(".")
			default:
				re.WriteString(regexp.QuoteMeta(string(c)))
			}
		}
		re.WriteString("$")
		rx := regexp.MustCompile(re.String())
		for _, s := range subjects {
			if got, want := wildcardMatch(p, s, false), rx.MatchString(s); got != want {
				t.Errorf("wildcardMatch(%q, %q) = %v, regexp says %v", p, s, got, want)
			}
		}
	}
}

// Patterns that make a backtracking matcher exponential stay quadratic at
// worst: 2,000 stars against 20,000 characters finishes well inside a second
// on a slow machine (an exponential matcher would never finish).
func TestWildcardMatchBoundedTime(t *testing.T) {
	pat := strings.Repeat("a*", 2000) + "b"
	s := strings.Repeat("a", 20000)
	start := time.Now()
	if wildcardMatch(pat, s, false) {
		t.Fatal("matched without a b")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestMatchWildcard(t *testing.T) {
	tests := []struct {
		pat, v string
		want   bool
	}{
		{"o-*", "o-a1b2c3d4e5", true},
		{"o-*", "O-A1", false},
		{"1111????????", "111122223333", true},
		{"1111????????", "11112222333", false},
		{`a\b`, `a\b`, true}, // a backslash in a policy is an ordinary character
	}
	for _, tc := range tests {
		if got := MatchWildcard(tc.pat, tc.v); got != tc.want {
			t.Errorf("MatchWildcard(%q, %q) = %v, want %v", tc.pat, tc.v, got, tc.want)
		}
	}
}

func TestCompileResource(t *testing.T) {
	tests := []struct {
		pat, v string
		want   bool
	}{
		{"arn:aws:s3:::bücket/*", "arn:aws:s3:::bücket/a:b", true},
		{"arn:aws:s3:::b?cket", "arn:aws:s3:::büket", false},
		{"arn:aws:s3:::b??cket", "arn:aws:s3:::büücket", true},
		{"arn:aws:s3:::b?cket", "arn:aws:s3:::bücket", true}, // '?' is one character
		{`arn:aws:s3:::a\*b`, "arn:aws:s3:::a*b", true},      // ${*}: a literal star
		{`arn:aws:s3:::a\*b`, "arn:aws:s3:::axb", false},
		{"arn:aws:s3:::a.b", "arn:aws:s3:::axb", false}, // regexp metacharacters are literal
		{"arn:aws:s3:::x\xff*", "arn:aws:s3:::x\xffy", true},
	}
	for _, tc := range tests {
		rp := compileResource(tc.pat)
		if got := rp.match(tc.v); got != tc.want {
			t.Errorf("compileResource(%q).match(%q) = %v, want %v", tc.pat, tc.v, got, tc.want)
		}
	}
}
