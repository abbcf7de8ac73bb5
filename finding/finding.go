// Package finding holds the types that flow from the rules engine to the
// report writers: rules, findings and the report itself. It is the second seam
// of the design (the snapshot is the first) and depends on nothing else.
package finding

import (
	"cmp"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Severity is a finding's severity, in AWS Security Hub's words.
type Severity string

// The severity scale, highest first.
const (
	Critical Severity = "critical"
	High     Severity = "high"
	Medium   Severity = "medium"
	Low      Severity = "low"
	Info     Severity = "info"
)

// Severities lists the scale from the highest to the lowest.
var Severities = []Severity{Critical, High, Medium, Low, Info}

// Rank orders severities by their place in Severities: critical is 4, info
// is 0, anything else -1.
func (s Severity) Rank() int {
	i := slices.Index(Severities, s)
	if i < 0 {
		return -1
	}
	return len(Severities) - 1 - i
}

// SecuritySeverity is the SARIF properties.security-severity score of the rules catalogue.
func (s Severity) SecuritySeverity() string {
	switch s {
	case Critical:
		return "9.5"
	case High:
		return "8.0"
	case Medium:
		return "5.5"
	case Low:
		return "3.0"
	}
	return "0.0"
}

// SeverityNames lists the scale's names, from the highest to the lowest.
func SeverityNames() []string {
	names := make([]string, len(Severities))
	for i, s := range Severities {
		names[i] = string(s)
	}
	return names
}

// ParseSeverity reads a severity name, case-insensitively.
func ParseSeverity(s string) (Severity, error) {
	sev := Severity(strings.ToLower(strings.TrimSpace(s)))
	if sev.Rank() < 0 {
		return "", fmt.Errorf("unknown severity %q: expected one of %s", s, strings.Join(SeverityNames(), ", "))
	}
	return sev, nil
}

// RuleIDPattern is the shape of a rule ID: an upper-case prefix, a dash and
// three digits (AMI-001, ORG-001), for built-in and user rules alike.
const RuleIDPattern = `^[A-Z][A-Z0-9]*-[0-9]{3}$`

var ruleIDRe = regexp.MustCompile(RuleIDPattern)

// IsRuleID reports whether s has the shape of a rule ID (RuleIDPattern).
func IsRuleID(s string) bool { return ruleIDRe.MatchString(s) }

// Rule is a loaded rule's metadata, read from its Rego # METADATA annotations.
type Rule struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Severity    Severity `json:"severity"`
	Description string   `json:"description"`
	Remediation string   `json:"remediation"`
	References  []string `json:"references,omitempty"`
	Deprecated  bool     `json:"deprecated,omitempty"`
	// Scope is "region" for rules that relate resources of one region only
	// (evaluated region by region, in parallel) and "snapshot" for the others.
	Scope string `json:"scope"`
	// Fingerprint lists the evidence fields whose values tell apart two
	// findings of this rule on one resource (a grantee, a path, a detector
	// and field, a statement): METADATA custom.fingerprint, or
	// DefaultFingerprint when the rule does not declare it. A finding's Key is
	// built from them.
	Fingerprint []string `json:"fingerprint"`
	// Package is the Rego package that implements the rule.
	Package string `json:"package"`
	// Area is the part of the catalogue the rule belongs to: the first
	// segment of its package below amiaudit.rules (amiaudit.rules.ami.public
	// is in area ami, and its file in policies/ami/). Reports tag rules with
	// it. Empty for a rule whose package has no segment below its area.
	Area string `json:"area"`
	// Effect is what a finding of the rule means beyond a configuration
	// check (METADATA custom.effect): EffectDataExposure (others can read
	// the data), EffectCredentials (a credential was found), or empty.
	// ASFF adds the matching finding type.
	Effect string `json:"effect,omitempty"`
	// Changes are the kinds of proposed change (snapshot.ProposedChange
	// kinds: copy, launch-permission, create-volume-permission) whose
	// findings the gate attributes to the rule (METADATA custom.changes).
	// Empty: any change that touches the finding's resource.
	Changes []string `json:"changes,omitempty"`
	// Source is the policy file, for built-in rules a path inside the binary.
	Source string `json:"source"`
}

// The values of Rule.Effect (METADATA custom.effect).
const (
	// EffectDataExposure: the rule's findings are data that others can read
	// (a public or untrusted share, a key others can use).
	EffectDataExposure = "data-exposure"
	// EffectCredentials: the rule's findings are credentials found in
	// metadata or on a volume.
	EffectCredentials = "credentials"
)

// Effects are the allowed non-empty values of Rule.Effect.
var Effects = []string{EffectDataExposure, EffectCredentials}

// AreaCoverage is the area (Rule.Area) of the coverage rules, package
// amiaudit.rules.coverage.*: their findings say that a check could not run
// (part of the scope could not be read), not that one failed. The gate fails
// closed on them; ASFF and OCSF report them as WARNING.
const AreaCoverage = "coverage"

// AreaGate is the area of the rules that judge proposed changes only
// (package amiaudit.rules.gate.*): gate --help lists them.
const AreaGate = "gate"

// CoverageIDPrefix is the rule-ID prefix of the built-in coverage rules
// (SCAN-001). Coverage falls back on it only when a finding's rule is not
// known: a report read back from JSON, which does not carry the rules, under
// policies other than those loaded.
const CoverageIDPrefix = "SCAN-"

// Coverage reports whether f, a finding of rule (nil when the rule is not
// known), is a coverage finding: its rule is in AreaCoverage. When the rule is
// not known, the finding's rule ID decides (CoverageIDPrefix), so that the
// built-in SCAN-001 stays a check that could not run even then.
func Coverage(f *Finding, rule *Rule) bool {
	if rule != nil {
		return rule.Area == AreaCoverage
	}
	return strings.HasPrefix(f.RuleID, CoverageIDPrefix)
}

// Resource types (Resource.Type), as the Rego helpers in
// policies/lib/resources.rego build them (a test in package rules holds the
// two equal).
const (
	ResourceAMI           = "ami"
	ResourceSnapshot      = "snapshot"
	ResourceKey           = "kms-key"
	ResourceAccountRegion = "account-region"
	// ResourceScope is the type of a finding about a part of the scope (an
	// account-region, an API call) rather than a resource: SCAN-001's
	// (policies/coverage/scope_unreadable.rego).
	ResourceScope = "scope"
)

// Resource identifies what a finding is about. The ARN is its identity.
type Resource struct {
	// Type is ResourceAMI, ResourceSnapshot, ResourceKey,
	// ResourceAccountRegion or ResourceScope.
	Type    string `json:"type"`
	ID      string `json:"id"`
	ARN     string `json:"arn"`
	Account string `json:"account"`
	Region  string `json:"region"`
}

// Location points at the source of a proposed change (a Terraform plan resource).
type Location struct {
	File    string `json:"file"`
	Address string `json:"address"`
}

// Waiver states.
const (
	WaiverActive  = "active"
	WaiverExpired = "expired"
)

// AppliedWaiver is the configuration waiver that matched a finding. An expired
// one is kept on the finding so that the report says why it no longer applies.
type AppliedWaiver struct {
	Status     string `json:"status"`
	Rule       string `json:"rule"`
	Resource   string `json:"resource"`
	Reason     string `json:"reason"`
	ApprovedBy string `json:"approved_by"`
	Expires    string `json:"expires,omitempty"`
}

// Finding is one rule firing on one resource.
type Finding struct {
	RuleID   string   `json:"rule_id"`
	Severity Severity `json:"severity"`
	Title    string   `json:"title"`
	Message  string   `json:"message"`
	Resource Resource `json:"resource"`
	// Key is what distinguishes this finding from the rule's other findings
	// on the same resource, "" when the rule fires once per resource: the
	// rule's Fingerprint fields of Evidence, as KeyOf writes them. Rule ID,
	// resource ARN and Key identify a finding across runs (SARIF
	// partialFingerprints); the message, whose counts and lists change from
	// night to night, never does.
	Key         string         `json:"key"`
	Evidence    map[string]any `json:"evidence"`
	Remediation string         `json:"remediation"`
	Location    *Location      `json:"location,omitempty"`
	Waiver      *AppliedWaiver `json:"waiver"`

	// unkeyed is set by DecodeReport on findings of a report written before
	// findings had keys (Compare then matches by message).
	unkeyed bool
}

// Waived reports whether an active waiver covers the finding.
func (f *Finding) Waived() bool {
	return f.Waiver != nil && f.Waiver.Status == WaiverActive
}

// ExpiredWaiver reports whether the waiver that covered the finding has
// expired: the finding counts again, and reports say why it is back.
func (f *Finding) ExpiredWaiver() bool {
	return f.Waiver != nil && f.Waiver.Status == WaiverExpired
}

// Sort orders findings as the report contract requires: severity (critical
// first), then rule ID, then resource ARN; message breaks remaining ties so
// that the order is total.
//
// The findings are sorted through pointers and then moved once: a Finding is
// large, and a stable sort swapping them in place costs O(n log² n) copies
// (half a second at 60,000 findings).
func Sort(fs []Finding) {
	order := make([]*Finding, len(fs))
	for i := range fs {
		order[i] = &fs[i]
	}
	slices.SortStableFunc(order, compare)
	sorted := make([]Finding, len(fs))
	for i, f := range order {
		sorted[i] = *f
	}
	copy(fs, sorted)
}

// compare is Sort's order: severity (critical first), rule ID, resource ARN,
// message.
func compare(a, b *Finding) int {
	if ra, rb := a.Severity.Rank(), b.Severity.Rank(); ra != rb {
		return cmp.Compare(rb, ra)
	}
	if c := strings.Compare(a.RuleID, b.RuleID); c != 0 {
		return c
	}
	if c := strings.Compare(a.Resource.ARN, b.Resource.ARN); c != 0 {
		return c
	}
	return strings.Compare(a.Message, b.Message)
}

// Summary counts unwaived findings per severity, and waived ones apart.
type Summary struct {
	Critical int `json:"critical"`
	High     int `json:"high"`
	Medium   int `json:"medium"`
	Low      int `json:"low"`
	Info     int `json:"info"`
	Waived   int `json:"waived"`
}

// Count is the number of unwaived findings of severity sev; 0 for a
// severity not on the scale.
func (s Summary) Count(sev Severity) int {
	if p := s.counter(sev); p != nil {
		return *p
	}
	return 0
}

// Add adds o's counts to s.
func (s *Summary) Add(o Summary) {
	for _, sev := range Severities {
		*s.counter(sev) += o.Count(sev)
	}
	s.Waived += o.Waived
}

// counter is the field that counts sev, nil for a severity not on the scale.
func (s *Summary) counter(sev Severity) *int {
	switch sev {
	case Critical:
		return &s.Critical
	case High:
		return &s.High
	case Medium:
		return &s.Medium
	case Low:
		return &s.Low
	case Info:
		return &s.Info
	}
	return nil
}

// Summarize counts findings.
func Summarize(fs []Finding) Summary {
	var s Summary
	for i := range fs {
		f := &fs[i]
		if f.Waived() {
			s.Waived++
			continue
		}
		if p := s.counter(f.Severity); p != nil {
			*p++
		}
	}
	return s
}

// ToolName is the Tool.Name of the reports amiaudit writes, and the product
// and vendor name the report formats give.
const ToolName = "amiaudit"

// Tool identifies amiaudit in a report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// SnapshotInfo describes the snapshot a report was computed from.
type SnapshotInfo struct {
	SHA256      string    `json:"sha256"`
	CollectedAt time.Time `json:"collected_at"`
	Accounts    []string  `json:"accounts"`
	Regions     []string  `json:"regions"`
	// Incremental is set when the snapshot was collected incrementally
	// (--baseline): an auditor can tell such a night from a full one.
	Incremental *IncrementalInfo `json:"incremental,omitempty"`
}

// IncrementalInfo summarises how an incremental snapshot was collected; the
// snapshot's "incremental" section has the details per account-region.
type IncrementalInfo struct {
	// BaselineSHA256 is the sha256 of the baseline snapshot.
	BaselineSHA256 string `json:"baseline_sha256"`
	// AccountRegions were collected; ReadInFull of them were read in full
	// (no usable baseline or events for them).
	AccountRegions int `json:"account_regions"`
	ReadInFull     int `json:"read_in_full"`
	// Events is the number of CloudTrail events read.
	Events int `json:"events"`
	// ReRead and CarriedOver count the images, snapshots and keys read from
	// AWS and taken from the baseline.
	ReRead      int `json:"re_read"`
	CarriedOver int `json:"carried_over"`
}

// ReportSchemaVersion is the version of the JSON report.
const ReportSchemaVersion = "1"

// Report is everything a report writer needs. Its JSON form is the JSON report
// of the interface contract; Rules feeds SARIF's tool.driver.rules.
type Report struct {
	SchemaVersion string       `json:"schema_version"`
	Tool          Tool         `json:"tool"`
	GeneratedAt   time.Time    `json:"generated_at"`
	Snapshot      SnapshotInfo `json:"snapshot"`
	PolicyDigest  string       `json:"policy_digest"`
	Summary       Summary      `json:"summary"`
	Findings      []Finding    `json:"findings"`
	// Rules are every loaded rule, sorted by ID.
	Rules []Rule `json:"-"`
}

// FailsAt reports whether any unwaived finding is at or above the threshold.
func (r *Report) FailsAt(threshold Severity) bool {
	for i := range r.Findings {
		if !r.Findings[i].Waived() && r.Findings[i].Severity.Rank() >= threshold.Rank() {
			return true
		}
	}
	return false
}

// DefaultFingerprint is the Fingerprint of a rule whose METADATA does not
// declare custom.fingerprint: the evidence fields that name, by convention,
// who or what a finding is about (the grantee or principal, the statement
// that decides, how access is given, the file path, the snapshot, the
// metadata field and detector of a credential and its redacted form). Counts,
// lists and states are never among them.
var DefaultFingerprint = []string{"grantee", "principal", "statement", "via", "path", "snapshot_id", "field", "detector", "redacted"}

// KeyOf writes the distinguishing key of a finding: "name=value" for each of
// fields that evidence holds, in the order of fields, joined by "; ". String
// values are written as they are, others as JSON (maps with sorted keys).
func KeyOf(fields []string, evidence map[string]any) string {
	var parts []string
	for _, name := range fields {
		v, ok := evidence[name]
		if !ok {
			continue
		}
		s, isString := v.(string)
		if !isString {
			b, err := json.Marshal(v)
			if err != nil {
				s = fmt.Sprint(v)
			} else {
				s = string(b)
			}
		}
		parts = append(parts, name+"="+s)
	}
	return strings.Join(parts, "; ")
}
