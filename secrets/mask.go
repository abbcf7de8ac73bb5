package secrets

import (
	"strings"
	"unicode/utf8"
)

// Masking: the collector replaces each credential it finds in the metadata it
// records (AMI and snapshot names, descriptions, tags) with its redacted form,
// so that a snapshot document holds no whole secret and can be archived and
// handed to an auditor. Two properties keep detection stable across masking,
// and TestMaskStable proves them over every true-positive sample:
//
//   - a redacted form never triggers a detector: Detect drops any candidate
//     that overlaps one (see markers), so "password=hunt…sha256:…" is not a
//     password and a masked document yields no new, different hits;
//   - masking is idempotent: Mask(Mask(x)) == Mask(x).

// Mask returns text with every credential Detect finds replaced by its
// redacted form (Redact), and the hits, whose offsets and lines are those of
// the original text.
func Mask(text string) (string, []Hit) {
	spans := detect(text)
	if len(spans) == 0 {
		return text, nil
	}
	return replaceSpans(text, spans), toHits(text, spans)
}

// MaskKeyValue is Mask for a tag value read with its key as context, as
// DetectKeyValue reads it. The key itself is not masked here: mask it with
// Mask, after this call, so that the context is the key as AWS holds it.
func MaskKeyValue(key, value string) (string, []Hit) {
	if value == "" {
		return value, nil
	}
	spans := keyValueSpans(key, value)
	if len(spans) == 0 {
		return value, nil
	}
	return replaceSpans(value, spans), toHits(value, spans)
}

func replaceSpans(text string, spans []span) string {
	var b strings.Builder
	b.Grow(len(text))
	pos := 0
	for _, s := range spans {
		b.WriteString(text[pos:s.start])
		b.WriteString(Redact(text[s.start:s.end]))
		pos = s.end
	}
	b.WriteString(text[pos:])
	return b.String()
}

// redactedHash is what every redacted form holds: "sha256:" and 12 lower-case
// hex digits.
const (
	redactedHash    = "sha256:"
	redactedHexLen  = 12
	redactedEllipse = "…"
)

// markers returns the byte spans of the redacted forms in text, in order: the
// hash alone, or up to 4 characters, "…" and the hash.
func markers(text string) [][2]int {
	var out [][2]int
	for from := 0; ; {
		i := strings.Index(text[from:], redactedHash)
		if i < 0 {
			return out
		}
		i += from
		end := i + len(redactedHash) + redactedHexLen
		from = i + len(redactedHash)
		if end > len(text) || !isLowerHex(text[i+len(redactedHash):end]) {
			continue
		}
		start := i
		if strings.HasSuffix(text[:i], redactedEllipse) {
			start = i - len(redactedEllipse)
			for n := 0; n < 4 && start > 0; n++ {
				_, size := utf8.DecodeLastRuneInString(text[:start])
				start -= size
			}
		}
		out = append(out, [2]int{start, end})
		from = end
	}
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// dropMasked removes the candidates that overlap a redacted form: what a
// detector sees there is a secret already masked, not a credential.
func dropMasked(text string, found []span) []span {
	if !strings.Contains(text, redactedHash) {
		return found
	}
	ms := markers(text)
	if len(ms) == 0 {
		return found
	}
	kept := found[:0]
	for _, s := range found {
		overlaps := false
		for _, m := range ms {
			if s.start < m[1] && m[0] < s.end {
				overlaps = true
				break
			}
		}
		if !overlaps {
			kept = append(kept, s)
		}
	}
	return kept
}
