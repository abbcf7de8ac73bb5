// Package evidence writes and verifies audit evidence bundles: a directory
// holding the snapshot that was evaluated, the reports, the configuration and
// user policies used, and a manifest of them all (hashes, scope, times,
// coverage), optionally signed with ed25519. Verify re-checks every hash and
// re-evaluates the snapshot, so that an auditor can reproduce a past report.
package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/amiaudit/amiaudit/finding"
	"github.com/amiaudit/amiaudit/snapshot"
)

// ManifestSchemaVersion is the version of manifest.json.
const ManifestSchemaVersion = "1"

// The files of a bundle, by their path inside it.
const (
	ManifestFile  = "manifest.json"
	SignatureFile = "manifest.json.sig"
	SnapshotFile  = "snapshot.json.gz"
	ReportFile    = "report.json"
	SARIFFile     = "report.sarif"
	ConfigFile    = "config.yaml"
	// PolicyIndexFile names the user policy files and the built-in policies.
	PolicyIndexFile = "policies/index.json"
	// userPolicyDir holds the user policy files, one numbered directory per
	// --policy argument, in order.
	userPolicyDir = "policies/user"
)

// Manifest is manifest.json: what the bundle holds and where it came from.
// Every field but Files and SigningKey is derived from the other files of the
// bundle, and Verify checks that it is.
type Manifest struct {
	SchemaVersion string `json:"schema_version"`
	// Tool is the amiaudit that evaluated the snapshot and wrote the bundle.
	Tool finding.Tool `json:"tool"`
	// PolicyDigest is the digest of the policy bundle evaluated: the built-in
	// policies of Tool and the user policies under policies/.
	PolicyDigest string `json:"policy_digest"`
	// Scope is the snapshot's scope.
	Scope Scope `json:"scope"`
	// StartedAt and CollectedAt are when collection began (null when unknown) and ended.
	StartedAt   *time.Time `json:"started_at"`
	CollectedAt time.Time  `json:"collected_at"`
	// GeneratedAt is when the snapshot was evaluated; waivers expire against it.
	GeneratedAt time.Time `json:"generated_at"`
	Coverage    Coverage  `json:"coverage"`
	// SigningKey is the key that signed the manifest (manifest.json.sig), when
	// it was signed. Verify checks the signature with it, so that a damaged
	// manifest is found without the key; only --pub-key proves who signed.
	SigningKey *SigningKey `json:"signing_key,omitempty"`
	// Files lists every file of the bundle except the manifest and its
	// signature, sorted by path.
	Files []File `json:"files"`
}

// Scope is what the snapshot covers.
type Scope struct {
	Accounts []string `json:"accounts"`
	Regions  []string `json:"regions"`
}

// Coverage says how much of the scope was read.
type Coverage struct {
	// AccountRegions is the number of account-regions whose settings were read.
	AccountRegions int `json:"account_regions"`
	// Errors is the number of collection errors (each one a SCAN-001 finding).
	Errors int `json:"errors"`
	// Unreadable lists the scopes (ACCOUNT/REGION, ACCOUNT, or the service
	// for errors outside any account) where at least one read failed.
	Unreadable []string `json:"unreadable"`
}

// SigningKey names the key that signed the manifest.
type SigningKey struct {
	// Algorithm is always ed25519.
	Algorithm string `json:"algorithm"`
	// PublicKey is the base64 PKIX (DER) encoding of the public key.
	PublicKey string `json:"public_key"`
	// Fingerprint is the sha256 of the PKIX encoding (see Fingerprint).
	Fingerprint string `json:"fingerprint"`
}

// File is one file of the bundle.
type File struct {
	// Path is slash-separated, relative to the bundle directory.
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// PolicyIndex is policies/index.json: the user policy files under the names
// they were evaluated with (the names are part of the policy digest), and the
// built-in policies, which live in the amiaudit binary.
type PolicyIndex struct {
	Builtin BuiltinPolicies `json:"builtin"`
	User    []PolicySource  `json:"user"`
}

// BuiltinPolicies identifies the built-in policies evaluated.
type BuiltinPolicies struct {
	Tool   finding.Tool `json:"tool"`
	Digest string       `json:"digest"`
	Note   string       `json:"note"`
}

// PolicySource is one user policy file of the bundle.
type PolicySource struct {
	// Path is the file in the bundle.
	Path string `json:"path"`
	// Name is the name it was evaluated under (as given to --policy).
	Name string `json:"name"`
}

const builtinNote = "The built-in policies are compiled into amiaudit, not copied here: verify this bundle with the amiaudit version above, whose built-in policies have this digest."

// buildManifest derives the manifest from the bundle's contents.
func buildManifest(doc *snapshot.Document, r *finding.Report, files []File, signingKey *SigningKey) *Manifest {
	m := &Manifest{
		SchemaVersion: ManifestSchemaVersion,
		Tool:          r.Tool,
		PolicyDigest:  r.PolicyDigest,
		Scope:         Scope{Accounts: nonNil(doc.Scope.Accounts), Regions: nonNil(doc.Scope.Regions)},
		CollectedAt:   doc.CollectedAt.UTC(),
		GeneratedAt:   r.GeneratedAt.UTC(),
		Coverage:      coverage(doc),
		SigningKey:    signingKey,
		Files:         files,
	}
	if doc.StartedAt != nil {
		t := doc.StartedAt.UTC()
		m.StartedAt = &t
	}
	return m
}

func coverage(doc *snapshot.Document) Coverage {
	c := Coverage{AccountRegions: len(doc.AccountRegions), Errors: len(doc.Errors), Unreadable: []string{}}
	seen := map[string]bool{}
	for _, e := range doc.Errors {
		var parts []string
		for _, p := range []string{e.Account, e.Region} {
			if p != "" {
				parts = append(parts, p)
			}
		}
		scope := strings.Join(parts, "/")
		if scope == "" {
			scope = e.Service
		}
		if !seen[scope] {
			seen[scope] = true
			c.Unreadable = append(c.Unreadable, scope)
		}
	}
	sort.Strings(c.Unreadable)
	return c
}

// encodeJSON is the one JSON form of the bundle's own files: indented, HTML
// left alone, newline-terminated.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func fileOf(path string, data []byte) File {
	sum := sha256.Sum256(data)
	return File{Path: path, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data))}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
