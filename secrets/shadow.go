package secrets

import (
	"bytes"
	"strings"
)

const idShadow = "unlocked-password-hash"

// cryptSchemes names the modular crypt formats by their $id$, for the
// description of a hit.
var cryptSchemes = map[string]string{
	"1":    "MD5-crypt",
	"2":    "bcrypt",
	"2a":   "bcrypt",
	"2b":   "bcrypt",
	"2x":   "bcrypt",
	"2y":   "bcrypt",
	"3":    "NT hash",
	"5":    "SHA-256-crypt",
	"6":    "SHA-512-crypt",
	"7":    "scrypt",
	"y":    "yescrypt",
	"gy":   "gost-yescrypt",
	"md5":  "Sun MD5-crypt",
	"sha1": "SHA-1-crypt",
}

// ShadowUnlocked reports the accounts of an /etc/shadow file whose password
// field holds a usable crypt hash: anyone who cracks it can log in with a
// password. Locked ("!…", "*"), never-set ("!!") and empty fields are not
// reported; an empty field means no password login rather than a leaked one,
// which other checks own. Redacted is "user:" + Redact(hash).
func ShadowUnlocked(content []byte) []Hit {
	var hits []Hit
	line, pos := 0, 0
	for pos < len(content) {
		line++
		end := bytes.IndexByte(content[pos:], '\n')
		if end < 0 {
			end = len(content)
		} else {
			end += pos
		}
		l := content[pos:end]
		if n := len(l); n > 0 && l[n-1] == '\r' {
			l = l[:n-1]
		}
		if user, hash, off, ok := shadowEntry(l); ok {
			if scheme, ok := cryptScheme(hash); ok {
				hits = append(hits, Hit{
					Detector:    idShadow,
					Description: "Unlocked " + scheme + " password hash in a shadow file",
					Redacted:    user + ":" + Redact(hash),
					Offset:      pos + off,
					Line:        line,
				})
			}
		}
		pos = end + 1
	}
	return hits
}

// shadowEntry splits "user:hash:…" and returns the hash and its offset in the line.
func shadowEntry(l []byte) (user, hash string, off int, ok bool) {
	i := bytes.IndexByte(l, ':')
	if i <= 0 || i > 64 {
		return "", "", 0, false
	}
	for _, c := range l[:i] {
		if !(isAlnum(c) || c == '_' || c == '-' || c == '.' || c == '$') {
			return "", "", 0, false
		}
	}
	rest := l[i+1:]
	j := bytes.IndexByte(rest, ':')
	if j < 0 {
		j = len(rest)
	}
	return string(l[:i]), string(rest[:j]), i + 1, true
}

// cryptScheme recognises a usable hash: $id$…, or a 13-character DES crypt.
// Any other value ("*", "!", "!!", "!$6$…", "x", "") cannot match a password.
func cryptScheme(h string) (string, bool) {
	if len(h) == 13 && isCryptDES(h) {
		return "DES-crypt", true
	}
	if len(h) < 20 || h[0] != '$' {
		return "", false
	}
	end := strings.IndexByte(h[1:], '$')
	if end <= 0 {
		return "", false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(isAlnum(c) || strings.IndexByte("./$=,-+", c) >= 0) {
			return "", false
		}
	}
	if s, ok := cryptSchemes[h[1:1+end]]; ok {
		return s, true
	}
	return "crypt", true
}

func isCryptDES(h string) bool {
	for i := 0; i < len(h); i++ {
		if c := h[i]; !(isAlnum(c) || c == '.' || c == '/') {
			return false
		}
	}
	return true
}
