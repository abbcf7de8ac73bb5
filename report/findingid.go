package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/amiaudit/amiaudit/finding"
)

// findingIDVersion is hashed into every finding ID: Security Hub and SIEMs
// update a finding by its ID, so changing what goes into it must change them all.
const findingIDVersion = "amiaudit/finding-id/v1"

// distinguishingEvidence are the evidence keys that tell apart two findings of
// one rule on one resource: the grantee of a share, the statement or principal
// of a key policy, the snapshot or key behind an AMI, the place a secret was
// found. Everything else in the evidence (counts, ages, lists of images) changes
// from night to night and must not make a finding look new.
var distinguishingEvidence = []string{
	"grantee", "principal", "statement", "snapshot_id", "kms_key_arn",
	"path", "field", "line", "detector", "criterion",
}

// findingID is a finding's identity across runs, as the OCSF, ASFF, JUnit and
// CSV writers name it: the rule, the resource ARN and the distinguishing
// evidence, never the message, whose wording and counts change. It is the hex
// SHA-256 of those values.
func findingID(f *finding.Finding) string {
	h := sha256.New()
	write := func(s string) {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	write(findingIDVersion)
	write(f.RuleID)
	write(f.Resource.ARN)
	for _, key := range distinguishingEvidence {
		v, ok := f.Evidence[key]
		if !ok {
			continue
		}
		// encoding/json writes map keys sorted, so equal values hash equally
		// whatever order the rule built them in.
		b, err := json.Marshal(v)
		if err != nil {
			continue
		}
		write(key)
		write(string(b))
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
