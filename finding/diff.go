package finding

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Identity is a finding's identity across runs: the rule, the resource ARN and
// the finding's key (the grantee, path, detector… that tells apart the rule's
// findings on one resource). The message is not part of it: its counts and
// lists change while the problem stays the same. Reports written before
// findings had keys are matched by message instead (see Compare).
type Identity struct {
	RuleID string
	ARN    string
	Key    string
	Msg    string
}

// IdentityOf returns a finding's identity.
func IdentityOf(f *Finding) Identity {
	return Identity{RuleID: f.RuleID, ARN: f.Resource.ARN, Key: f.Key}
}

// legacyIdentityOf is the identity of findings in reports written before
// findings had keys: the message stands in for the key.
func legacyIdentityOf(f *Finding) Identity {
	return Identity{RuleID: f.RuleID, ARN: f.Resource.ARN, Msg: f.Message}
}

// Diff is what changed between two runs.
type Diff struct {
	// New findings are in the new run only.
	New []Finding `json:"new"`
	// Resolved findings were in the old run only.
	Resolved []Finding `json:"resolved"`
	// Unchanged findings are in both; they are given as the new run has them
	// (its severity and waiver).
	Unchanged []Finding   `json:"unchanged"`
	Summary   DiffSummary `json:"summary"`
}

// DiffSummary counts a Diff. NewBySeverity counts the new findings as the
// report summary counts findings (unwaived per severity, waived apart).
type DiffSummary struct {
	New           int     `json:"new"`
	Resolved      int     `json:"resolved"`
	Unchanged     int     `json:"unchanged"`
	NewBySeverity Summary `json:"new_by_severity"`
}

// Compare lists the findings of newer that older lacks, those of older that
// newer lacks, and those of both. Each list is sorted as reports are. A
// finding listed twice in one run is matched as many times as it occurs.
//
// When either run is a report written before findings had keys, both are
// matched by message, as that version did.
func Compare(older, newer []Finding) *Diff {
	identity := IdentityOf
	if anyUnkeyed(older) || anyUnkeyed(newer) {
		identity = legacyIdentityOf
	}
	left := map[Identity]int{}
	for i := range older {
		left[identity(&older[i])]++
	}
	d := &Diff{New: []Finding{}, Resolved: []Finding{}, Unchanged: []Finding{}}
	for i := range newer {
		k := identity(&newer[i])
		if left[k] > 0 {
			left[k]--
			d.Unchanged = append(d.Unchanged, newer[i])
		} else {
			d.New = append(d.New, newer[i])
		}
	}
	for i := len(older) - 1; i >= 0; i-- {
		k := identity(&older[i])
		if left[k] > 0 {
			left[k]--
			d.Resolved = append(d.Resolved, older[i])
		}
	}
	Sort(d.New)
	Sort(d.Resolved)
	Sort(d.Unchanged)
	d.Summary = DiffSummary{New: len(d.New), Resolved: len(d.Resolved), Unchanged: len(d.Unchanged), NewBySeverity: Summarize(d.New)}
	return d
}

// NewFailsAt reports whether a new, unwaived finding is at or above threshold:
// what a nightly job notifies about.
func (d *Diff) NewFailsAt(threshold Severity) bool {
	r := Report{Findings: d.New}
	return r.FailsAt(threshold)
}

// DecodeReport reads a JSON report (schema_version "1") as amiaudit writes it.
// name is used in error messages.
func DecodeReport(name string, data []byte) (*Report, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var r Report
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%s: not a JSON report: %v", name, err)
	}
	if r.SchemaVersion != ReportSchemaVersion {
		return nil, fmt.Errorf("%s: report schema_version %q is not supported: this amiaudit reads schema_version %q", name, r.SchemaVersion, ReportSchemaVersion)
	}
	// Reports written before findings had keys lack the field; Compare then
	// matches by message.
	var probe struct {
		Findings []map[string]json.RawMessage `json:"findings"`
	}
	if err := json.Unmarshal(data, &probe); err != nil || len(probe.Findings) != len(r.Findings) {
		return nil, fmt.Errorf("%s: not a JSON report: %v", name, err)
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.RuleID == "" || f.Resource.ARN == "" || f.Severity.Rank() < 0 {
			return nil, fmt.Errorf("%s: /findings/%d: expected rule_id, a known severity and resource.arn", name, i)
		}
		_, keyed := probe.Findings[i]["key"]
		f.unkeyed = !keyed
	}
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	return &r, nil
}

func anyUnkeyed(fs []Finding) bool {
	for i := range fs {
		if fs[i].unkeyed {
			return true
		}
	}
	return false
}
