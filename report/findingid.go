package report

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/amiaudit/amiaudit/finding"
)

// findingIDVersion is hashed into every finding ID: Security Hub and SIEMs
// update a finding by its ID, so changing what goes into it must change them all.
const findingIDVersion = "amiaudit/finding-id/v2"

// findingID is a finding's identity across runs, as the OCSF, ASFF, JUnit and
// CSV writers name it: the rule, the resource ARN and the finding's key (the
// evidence fields its rule declares as distinguishing, METADATA
// custom.fingerprint), never the message, whose wording and counts change. It
// is the hex SHA-256 of those values; the SARIF fingerprint is built from the
// same three. A finding from a report written before keys existed gets its
// key from the default fingerprint fields.
func findingID(f *finding.Finding) string {
	key := f.Key
	if key == "" {
		key = finding.KeyOf(finding.DefaultFingerprint, f.Evidence)
	}
	h := sha256.New()
	for _, s := range []string{findingIDVersion, f.RuleID, f.Resource.ARN, key} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// resolvedSince lists the findings of a baseline run that current lacks, by
// finding ID (a finding only reworded since is not resolved), each once,
// sorted as reports are, with an evidence object as the JSON report has.
func resolvedSince(current []finding.Finding, baseline *Baseline) []finding.Finding {
	if baseline == nil {
		return nil
	}
	seen := make(map[string]bool, len(current))
	for i := range current {
		seen[findingID(&current[i])] = true
	}
	var resolved []finding.Finding
	for _, f := range baseline.Findings {
		id := findingID(&f)
		if seen[id] {
			continue
		}
		seen[id] = true
		if f.Evidence == nil {
			f.Evidence = map[string]any{}
		}
		resolved = append(resolved, f)
	}
	finding.Sort(resolved)
	return resolved
}
