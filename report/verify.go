package report

import (
	"bytes"
	"fmt"
	"io"
)

// Signature states of a verified evidence bundle (Verification.Signature).
const (
	// SignatureVerified: the manifest's signature verified with the key given.
	SignatureVerified = "verified"
	// SignatureUnchecked: the bundle is signed, but no key was given to
	// check it against, so nothing says who signed it.
	SignatureUnchecked = "unchecked"
	// SignatureNone: the bundle is not signed.
	SignatureNone = "none"
)

// Verification is what 'amiaudit verify' found about an evidence bundle, as
// WriteVerification renders it.
type Verification struct {
	// Bundle is the bundle's directory as given.
	Bundle string `json:"bundle"`
	// Verified is true when the bundle is intact and its reports reproduce.
	Verified bool `json:"verified"`
	// Problems are one line per problem, each naming its file (a path
	// under Bundle); empty when Verified.
	Problems []string `json:"problems"`
	// Manifest is the name of the bundle's manifest (evidence.ManifestFile).
	Manifest string `json:"manifest"`
	// Files, PolicyDigest and Findings describe a verified bundle: the
	// files the manifest lists, the digest of the policies it was evaluated
	// with, the findings reproduced.
	Files        int    `json:"files,omitempty"`
	PolicyDigest string `json:"policy_digest,omitempty"`
	Findings     int    `json:"findings_reproduced"`
	// Signature is SignatureVerified, SignatureUnchecked or SignatureNone
	// for a verified bundle; KeyFingerprint names the key that verified it.
	Signature      string `json:"signature,omitempty"`
	KeyFingerprint string `json:"key_fingerprint,omitempty"`
}

// WriteVerification renders a verification: its problems, one a line, and a
// last line NOT VERIFIED; or, for a verified bundle, what matched and the
// state of its signature (format table); or the Verification object (format
// json).
func WriteVerification(w io.Writer, v Verification, format string) error {
	if v.Problems == nil {
		v.Problems = []string{}
	}
	return writeTableOrJSON(w, format, "verification", func() any { return v }, func(buf *bytes.Buffer) error {
		dir := sanitize(v.Bundle)
		for _, p := range v.Problems {
			fmt.Fprintln(buf, sanitize(p))
		}
		if !v.Verified {
			noun := "problems"
			if len(v.Problems) == 1 {
				noun = "problem"
			}
			fmt.Fprintf(buf, "%s: NOT VERIFIED: %d %s\n", dir, len(v.Problems), noun)
			return nil
		}
		fmt.Fprintf(buf, "%s: verified: %d files match %s; policy digest %s; %d findings reproduced\n",
			dir, v.Files, sanitize(v.Manifest), sanitize(v.PolicyDigest), v.Findings)
		switch v.Signature {
		case SignatureVerified:
			fmt.Fprintf(buf, "%s: signature verified with %s\n", dir, v.KeyFingerprint)
		case SignatureUnchecked:
			fmt.Fprintf(buf, "%s: signed, but not checked against a key you trust: give --pub-key\n", dir)
		default:
			fmt.Fprintf(buf, "%s: not signed\n", dir)
		}
		return nil
	})
}
