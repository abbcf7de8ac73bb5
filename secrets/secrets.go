// Package secrets is the single place where amiaudit decides that a text holds
// a credential. Two callers share it: the Rego builtin behind AMI-007 and
// SNAP-004, which runs over AMI and snapshot metadata (names, descriptions,
// tag keys and values), and the deep scan, which runs over files read from
// disk images (~/.aws/credentials, id_rsa, .bash_history, .env,
// .docker/config.json, .git-credentials, cloud-init user-data, /etc/shadow).
//
// Precision wins over recall. The metadata scan covers whole AWS
// organizations, so one noisy pattern turns into thousands of findings nobody
// reads. Every detector therefore needs either a fixed, vendor-issued prefix
// (AKIA, ghp_, xoxb-, -----BEGIN … PRIVATE KEY-----) or an explicit credential
// context (aws_secret_access_key=, "password": …, Authorization: Bearer …)
// plus a value that passes shape checks. A bare random-looking string is never
// reported on its own.
//
// Judgement calls, so that nobody has to rediscover them:
//
//   - AWS documentation credentials (AKIAIOSFODNN7EXAMPLE,
//     wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY and their siblings) look real
//     but are published placeholders, and images built from tutorials carry
//     them. Any candidate secret containing the upper-case word EXAMPLE is
//     dropped, by every detector.
//   - Only AKIA (long-term) and ASIA (temporary, STS) key IDs are reported.
//     AGPA, AIDA, AROA, ANPA and the other unique-ID prefixes name IAM
//     principals; they are identifiers, not secrets.
//   - An AWS secret access key is reported only in a credential context (a
//     secret-key assignment, or right after an access key ID); 40 base64
//     characters on their own are indistinguishable from a hash or a nonce.
//   - A private key header alone is a finding: metadata fields are often cut
//     short, and nobody pastes the header of a key they do not have.
//   - Password values that are placeholders, references or masks are not
//     reported: empty values, ********, <password>, ${PASSWORD}, $PASSWORD,
//     {{ .Password }}, %PASSWORD%, xxx, null, none, true/false, type names,
//     paths, code expressions (self.password, getenv(...)), and secret-manager
//     references (arn:, vault:, ENC[...], !vault). "changeme" and "changeit"
//     are treated as placeholders too: they appear overwhelmingly in
//     templates, and an image that really uses one is better caught by a
//     login check than by a text match. Crypt hashes ($6$...) in a password
//     field are not plaintext and are left to ShadowUnlocked.
//   - Published example credentials are dropped like AWS's: the RFC 6749 and
//     RFC 6750 examples, oauthlib's docstring values, "hunter2", "xyzzy".
//   - Unquoted password values get doubts that quotes settle. They are read
//     as prose when a word is followed by more words ("password: stored in
//     vault", "--password options"); as code when they are variables,
//     attribute accesses, calls, chained assignments or hex constants
//     (self.password = key_password, MAX_PASS = 0x4f); as help texts when
//     they are upper-case metavariables (--password=PASSWORD) or non-ASCII.
//     Letters-only unquoted values shorter than 6 characters and any value
//     shorter than 4 are dropped. The price: "PGPASSWORD=word psql" and
//     "password: a-b-c" go unreported, while "PGPASSWORD=w0rd psql" and
//     quoted values are.
//   - A private key header in a quoted string of its own, or glued to binary
//     bytes, is a constant in a program (a PEM parser), not a key.
//   - Values that look like AWS resource IDs (ami-, snap-, vol-, ...), UUIDs,
//     version numbers or base64 of readable text are not reported as generic
//     API keys or bearer tokens, although some vendors do issue UUID-shaped
//     keys: in AWS metadata a UUID is far more often a KMS key ID or a
//     correlation ID. A hex value named secret_key is reported as a generic
//     API key: the name decides.
//   - /etc/shadow entries with an empty password field are not reported by
//     ShadowUnlocked: they allow no password login through sshd by default and
//     belong to a configuration check, not to a leaked-secret finding.
//
// No function of this package returns or logs a whole secret: a Hit carries
// only Redact(secret).
package secrets

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"
)

// Hit is one credential found in a text.
type Hit struct {
	// Detector is the stable ID of the detector that fired (see Detectors).
	Detector string `json:"detector"`
	// Description says in human words what was found.
	Description string `json:"description"`
	// Redacted is Redact(secret): enough to tell two findings apart, never the secret.
	Redacted string `json:"redacted"`
	// Offset is the byte offset of the secret in the text.
	Offset int `json:"offset"`
	// Line is the 1-based line of the secret in the text.
	Line int `json:"line"`
}

// DetectorInfo documents one detector.
type DetectorInfo struct {
	ID          string `json:"id"`
	Description string `json:"description"`
}

// Detect reports the credentials in text, ordered by offset. Where two
// detectors claim overlapping bytes (a ghp_ token inside a URL, a JWT after
// "Authorization: Bearer"), only the more specific one is kept.
func Detect(text string) []Hit {
	spans := detect(text)
	if len(spans) == 0 {
		return nil
	}
	return toHits(text, spans)
}

// DetectBytes is Detect for file contents.
func DetectBytes(b []byte) []Hit {
	if len(b) == 0 {
		return nil
	}
	// Viewing the bytes as a string avoids copying files of several megabytes.
	// It is safe because nothing derived from text outlives the call without
	// being copied: Redact builds a fresh string by concatenation.
	return Detect(unsafe.String(unsafe.SliceData(b), len(b)))
}

// DetectKeyValue reports the credentials in value, reading key as its
// assignment context: it exists for tags, where {Key: "DB_PASSWORD", Value:
// "..."} holds a password that neither string shows on its own. Offsets and
// lines are relative to value; hits inside key itself are not reported (run
// Detect on the key for those).
func DetectKeyValue(key, value string) []Hit {
	if value == "" {
		return nil
	}
	kept := keyValueSpans(key, value)
	if len(kept) == 0 {
		return nil
	}
	return toHits(value, kept)
}

// keyValueSpans finds the secrets of value read as "key=value", with offsets
// relative to value.
func keyValueSpans(key, value string) []span {
	prefix := key + "="
	spans := detect(prefix + value)
	kept := spans[:0]
	for _, s := range spans {
		if s.start >= len(prefix) {
			s.start -= len(prefix)
			s.end -= len(prefix)
			kept = append(kept, s)
		}
	}
	return kept
}

// Detectors lists the detectors, sorted by ID, ShadowUnlocked's included.
func Detectors() []DetectorInfo {
	out := make([]DetectorInfo, len(detectors), len(detectors)+1)
	for i, d := range detectors {
		out[i] = DetectorInfo{ID: d.id, Description: d.desc}
	}
	out = append(out, DetectorInfo{ID: idShadow, Description: "Unlocked password hash in a shadow file (ShadowUnlocked only)"})
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Redact identifies a secret without disclosing it: the first 4 characters
// (so that a reader can tell an AKIA key from a ghp_ token), then "…sha256:"
// and the first 12 hex digits of the SHA-256 of the secret (so that the same
// secret found twice correlates). Secrets shorter than 8 characters show no
// prefix, since 4 characters would be half of them; so do secrets whose first
// characters are not printable.
func Redact(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	h := "sha256:" + hex.EncodeToString(sum[:6])
	if utf8.RuneCountInString(secret) < 8 {
		return h
	}
	end, n := 0, 0
	for i, r := range secret {
		if n == 4 {
			end = i
			break
		}
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return h
		}
		n++
	}
	return secret[:end] + "…" + h
}

// span is a secret found by a detector, before redaction.
type span struct {
	det        int // index in detectors
	start, end int
	desc       string // overrides the detector's description when set
}

// detect runs the prefilter and then only the detectors whose anchors it
// saw, and resolves overlaps. The result is sorted by start.
func detect(text string) []span {
	if len(text) < windowMin {
		mask, _ := scan(text, false)
		return detectWith(text, mask, nil)
	}
	mask, occ := scan(text, true)
	return detectWith(text, mask, occ)
}

// detectWith runs the detectors of mask (see run); tests run every detector
// on the whole text to check that neither the prefilter nor the windows hide
// a hit.
func detectWith(text string, mask uint64, occ []occurrence) []span {
	if mask == 0 {
		return nil
	}
	var found []span
	run(text, mask, occ, func(det, start, end int, desc string) {
		found = append(found, span{det: det, start: start, end: end, desc: desc})
	})
	found = dropMasked(text, found)
	if len(found) == 0 {
		return nil
	}
	return resolve(found)
}

// resolve keeps, of overlapping spans, the one of the highest-priority
// detector (the earliest on a tie), so that each secret is reported once and
// by its most specific name.
func resolve(found []span) []span {
	sort.Slice(found, func(i, j int) bool {
		if found[i].start != found[j].start {
			return found[i].start < found[j].start
		}
		return found[i].det < found[j].det
	})
	// Overlaps only matter within a cluster of transitively overlapping
	// spans, nearly always a single span; solving each cluster on its own
	// keeps a file with thousands of hits linear.
	kept := make([]span, 0, len(found))
	for lo := 0; lo < len(found); {
		hi, end := lo+1, found[lo].end
		for hi < len(found) && found[hi].start < end {
			end = max(end, found[hi].end)
			hi++
		}
		if hi-lo == 1 {
			kept = append(kept, found[lo])
		} else {
			kept = append(kept, resolveCluster(found[lo:hi])...)
		}
		lo = hi
	}
	pairAWSKeys(kept)
	return kept
}

// resolveCluster takes the spans by priority and keeps those that overlap
// no span kept before; the result is sorted by start.
func resolveCluster(c []span) []span {
	sort.SliceStable(c, func(i, j int) bool { return detectors[c[i].det].prio > detectors[c[j].det].prio })
	var kept []span
	for _, s := range c {
		i := sort.Search(len(kept), func(k int) bool { return kept[k].start >= s.start })
		if i > 0 && kept[i-1].end > s.start || i < len(kept) && kept[i].start < s.end {
			continue
		}
		kept = append(kept, span{})
		copy(kept[i+1:], kept[i:])
		kept[i] = s
	}
	return kept
}

// pairAWSKeys names an access key ID found near its secret access key, because
// a pair is a working credential while an ID alone only tells an attacker
// which account to target.
func pairAWSKeys(kept []span) {
	const near = 512
	isSecret := func(j int) bool { return detectors[kept[j].det].id == idAWSSecret }
	for i := range kept {
		if detectors[kept[i].det].id != idAWSKeyID {
			continue
		}
		paired := false
		for j := i + 1; j < len(kept) && kept[j].start-kept[i].start <= near && !paired; j++ {
			paired = isSecret(j)
		}
		for j := i - 1; j >= 0 && kept[i].start-kept[j].start <= near && !paired; j-- {
			paired = isSecret(j)
		}
		if paired {
			kept[i].desc += " with secret access key"
		}
	}
}

func toHits(text string, spans []span) []Hit {
	hits := make([]Hit, len(spans))
	line, pos := 1, 0
	for i, s := range spans {
		line += strings.Count(text[pos:s.start], "\n")
		pos = s.start
		d := &detectors[s.det]
		desc := s.desc
		if desc == "" {
			desc = d.desc
		}
		hits[i] = Hit{
			Detector:    d.id,
			Description: desc,
			Redacted:    Redact(text[s.start:s.end]),
			Offset:      s.start,
			Line:        line,
		}
	}
	return hits
}
