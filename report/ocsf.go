package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/amiaudit/amiaudit/finding"
)

// OCSF output: one event of class Compliance Finding per finding, in a JSON
// array. The class, its attributes and their enumerations are those of the
// pinned OCSF version (https://schema.ocsf.io/1.5.0/classes/compliance_finding);
// docs/report-formats.md maps every field.
const (
	// OCSFVersion is the OCSF schema version every event names in
	// metadata.version.
	OCSFVersion = "1.5.0"

	ocsfCategoryFindings  = 2
	ocsfClassCompliance   = 2003
	ocsfActivityCreate    = 1
	ocsfActivityClose     = 3
	ocsfAccountTypeAWS    = 10 // account.type_id "AWS Account"
	ocsfAnalyticTypeRule  = 1  // analytic.type_id "Rule"
	ocsfStatusNew         = 1  // status_id: the finding is new and yet to be reviewed
	ocsfStatusSuppressed  = 3  // status_id: reviewed and suppressed (a waiver)
	ocsfStatusResolved    = 4  // status_id: remediated, now considered resolved
	ocsfCompliancePass    = 1  // compliance.status_id: the check passed
	ocsfComplianceWarning = 2  // compliance.status_id: no result, information missing
	ocsfComplianceFail    = 3  // compliance.status_id: the check failed
	ocsfSeverityOther     = 99 // severity_id for a severity outside the scale
	ocsfStandardAmiaudit  = "amiaudit rule catalogue"
)

// ocsfSeverities maps the severity scale onto severity_id and its caption.
var ocsfSeverities = map[finding.Severity]struct {
	id      int
	caption string
}{
	finding.Info:     {1, "Informational"},
	finding.Low:      {2, "Low"},
	finding.Medium:   {3, "Medium"},
	finding.High:     {4, "High"},
	finding.Critical: {5, "Critical"},
}

// ocsfResourceTypes names resources as AWS CloudFormation does, the names OCSF
// consumers (Security Lake among them) already see for AWS resources.
var ocsfResourceTypes = map[string]string{
	finding.ResourceAMI:      "AWS::EC2::Image",
	finding.ResourceSnapshot: "AWS::EC2::Snapshot",
	finding.ResourceKey:      "AWS::KMS::Key",
}

// The event types list the attributes in the order OCSF's own examples use;
// encoding/json keeps struct order, so the output is stable.
type ocsfEvent struct {
	ActivityID   int    `json:"activity_id"`
	ActivityName string `json:"activity_name"`
	CategoryUID  int    `json:"category_uid"`
	CategoryName string `json:"category_name"`
	ClassUID     int    `json:"class_uid"`
	ClassName    string `json:"class_name"`
	TypeUID      int    `json:"type_uid"`
	TypeName     string `json:"type_name"`
	SeverityID   int    `json:"severity_id"`
	Severity     string `json:"severity"`
	StatusID     int    `json:"status_id"`
	Status       string `json:"status"`
	StatusDetail string `json:"status_detail,omitempty"`
	// Time is when the state was observed (the snapshot's collection), in
	// milliseconds since the epoch as OCSF's timestamp_t.
	Time        int64            `json:"time"`
	Message     string           `json:"message"`
	Metadata    ocsfMetadata     `json:"metadata"`
	FindingInfo ocsfFindingInfo  `json:"finding_info"`
	Compliance  ocsfCompliance   `json:"compliance"`
	Resources   []ocsfResource   `json:"resources"`
	Cloud       ocsfCloud        `json:"cloud"`
	Remediation *ocsfRemediation `json:"remediation,omitempty"`
	Unmapped    ocsfUnmapped     `json:"unmapped"`
}

type ocsfMetadata struct {
	Version  string      `json:"version"`
	Product  ocsfProduct `json:"product"`
	Profiles []string    `json:"profiles"`
	// ProcessedTime is when amiaudit evaluated the snapshot.
	ProcessedTime int64 `json:"processed_time,omitempty"`
}

type ocsfProduct struct {
	Name       string `json:"name"`
	VendorName string `json:"vendor_name"`
	Version    string `json:"version,omitempty"`
	URL        string `json:"url_string"`
}

type ocsfFindingInfo struct {
	UID      string       `json:"uid"`
	Title    string       `json:"title"`
	Desc     string       `json:"desc,omitempty"`
	Analytic ocsfAnalytic `json:"analytic"`
	SrcURL   string       `json:"src_url,omitempty"`
}

type ocsfAnalytic struct {
	UID    string `json:"uid"`
	Name   string `json:"name"`
	TypeID int    `json:"type_id"`
	Type   string `json:"type"`
}

type ocsfCompliance struct {
	Standards    []string `json:"standards"`
	Control      string   `json:"control"`
	StatusID     int      `json:"status_id"`
	Status       string   `json:"status"`
	StatusDetail string   `json:"status_detail,omitempty"`
}

type ocsfResource struct {
	UID            string `json:"uid"`
	Name           string `json:"name,omitempty"`
	Type           string `json:"type"`
	Region         string `json:"region,omitempty"`
	CloudPartition string `json:"cloud_partition,omitempty"`
}

type ocsfCloud struct {
	Provider string       `json:"provider"`
	Region   string       `json:"region,omitempty"`
	Account  *ocsfAccount `json:"account,omitempty"`
}

type ocsfAccount struct {
	UID    string `json:"uid"`
	TypeID int    `json:"type_id"`
	Type   string `json:"type"`
}

type ocsfRemediation struct {
	Desc string `json:"desc"`
}

// ocsfUnmapped holds what OCSF has no attribute for: the rule's evidence as
// the JSON report has it, the waiver, and the digests that make the event
// traceable to exactly what was evaluated.
type ocsfUnmapped struct {
	RuleID         string                 `json:"rule_id"`
	Evidence       map[string]any         `json:"evidence"`
	Waiver         *finding.AppliedWaiver `json:"waiver"`
	Location       *finding.Location      `json:"location,omitempty"`
	SnapshotSHA256 string                 `json:"snapshot_sha256,omitempty"`
	PolicyDigest   string                 `json:"policy_digest,omitempty"`
}

// ocsfWriter writes OCSF Compliance Finding events. With a baseline (an
// earlier run), each finding it had that this run no longer has is written
// too, as a Close event with status Resolved and compliance Pass.
type ocsfWriter struct {
	opts Options
}

func (o ocsfWriter) Write(w io.Writer, r *finding.Report) error {
	if r == nil {
		return errNilReport
	}
	if err := writeJSONArray(w, buildOCSF(r, o.opts.Baseline)); err != nil {
		return fmt.Errorf("write OCSF report: %w", err)
	}
	return nil
}

// writeJSONArray writes items as an indented JSON array, one element at a
// time: a large organization's 50,000 findings are never held as one
// document (and then once more, indented) in memory. The bytes are those
// json.Encoder with SetIndent("", "  ") would write for the whole slice.
func writeJSONArray[T any](w io.Writer, items []T) error {
	bw := bufio.NewWriter(w)
	if len(items) == 0 {
		bw.WriteString("[]\n")
		return bw.Flush()
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("  ", "  ")
	// Evidence quotes AMI names and policies verbatim; \u003c would only
	// make them harder to read and grep.
	enc.SetEscapeHTML(false)
	bw.WriteString("[\n")
	for i := range items {
		buf.Reset()
		if err := enc.Encode(&items[i]); err != nil {
			return err
		}
		bw.WriteString("  ")
		bw.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
		if i < len(items)-1 {
			bw.WriteString(",")
		}
		bw.WriteString("\n")
	}
	bw.WriteString("]\n")
	return bw.Flush()
}

func buildOCSF(r *finding.Report, baseline *Baseline) []ocsfEvent {
	rep := normalize(r)
	rules := rulesByID(rep.Rules)
	observed := observedAt(&rep)
	events := make([]ocsfEvent, 0, len(rep.Findings))
	for i := range rep.Findings {
		events = append(events, ocsfEventFor(&rep, &rep.Findings[i], rules[rep.Findings[i].RuleID], observed))
	}
	resolved := resolvedSince(rep.Findings, baseline)
	for i := range resolved {
		f := &resolved[i]
		e := ocsfEventFor(&rep, f, rules[f.RuleID], observed)
		e.ActivityID, e.ActivityName = ocsfActivityClose, "Close"
		e.TypeUID, e.TypeName = ocsfClassCompliance*100+ocsfActivityClose, "Compliance Finding: Close"
		e.StatusID, e.Status = ocsfStatusResolved, "Resolved"
		e.StatusDetail = "Not found by this run; found by the baseline run"
		e.Compliance.StatusID, e.Compliance.Status = ocsfCompliancePass, "Pass"
		events = append(events, e)
	}
	return events
}

func ocsfEventFor(rep *finding.Report, f *finding.Finding, rule finding.Rule, observed time.Time) ocsfEvent {
	sevID, sevCaption := ocsfSeverityOf(f.Severity)
	e := ocsfEvent{
		ActivityID:   ocsfActivityCreate,
		ActivityName: "Create",
		CategoryUID:  ocsfCategoryFindings,
		CategoryName: "Findings",
		ClassUID:     ocsfClassCompliance,
		ClassName:    "Compliance Finding",
		TypeUID:      ocsfClassCompliance*100 + ocsfActivityCreate,
		TypeName:     "Compliance Finding: Create",
		SeverityID:   sevID,
		Severity:     sevCaption,
		StatusID:     ocsfStatusNew,
		Status:       "New",
		Time:         observed.UnixMilli(),
		Message:      f.Message,
		Metadata: ocsfMetadata{
			Version:  OCSFVersion,
			Product:  ocsfProduct{Name: toolName, VendorName: toolName, Version: rep.Tool.Version, URL: toolInformationURI},
			Profiles: []string{"cloud"},
		},
		FindingInfo: ocsfFindingInfo{
			UID:      findingID(f),
			Title:    titleOf(f),
			Desc:     rule.Description,
			Analytic: ocsfAnalytic{UID: f.RuleID, Name: titleOf(f), TypeID: ocsfAnalyticTypeRule, Type: "Rule"},
			SrcURL:   firstWebURL(rule.References),
		},
		Compliance: ocsfCompliance{
			Standards: []string{ocsfStandardAmiaudit},
			Control:   f.RuleID,
			StatusID:  ocsfComplianceFail,
			Status:    "Fail",
		},
		Resources: []ocsfResource{{
			UID:            f.Resource.ARN,
			Name:           f.Resource.ID,
			Type:           ocsfResourceType(f.Resource.Type),
			Region:         f.Resource.Region,
			CloudPartition: arnPartition(f.Resource.ARN),
		}},
		Cloud: ocsfCloud{Provider: "AWS", Region: f.Resource.Region},
		Unmapped: ocsfUnmapped{
			RuleID:         f.RuleID,
			Evidence:       f.Evidence,
			Waiver:         f.Waiver,
			Location:       f.Location,
			SnapshotSHA256: rep.Snapshot.SHA256,
			PolicyDigest:   rep.PolicyDigest,
		},
	}
	if !rep.GeneratedAt.IsZero() {
		e.Metadata.ProcessedTime = rep.GeneratedAt.UnixMilli()
	}
	if f.Resource.Account != "" {
		e.Cloud.Account = &ocsfAccount{UID: f.Resource.Account, TypeID: ocsfAccountTypeAWS, Type: "AWS Account"}
	}
	// A coverage finding is a check that could not run, not one that failed:
	// OCSF's Warning is "did not yield a result due to missing information".
	if coverage(f, rule) {
		e.Compliance.StatusID, e.Compliance.Status = ocsfComplianceWarning, "Warning"
	}
	if f.Remediation != "" {
		e.Remediation = &ocsfRemediation{Desc: f.Remediation}
	}
	switch {
	case f.Waived():
		e.StatusID, e.Status = ocsfStatusSuppressed, "Suppressed"
		e.StatusDetail = "Waived: " + justification(f.Waiver)
	case f.ExpiredWaiver():
		e.StatusDetail = "Waiver expired: " + justification(f.Waiver)
	}
	return e
}

func ocsfSeverityOf(s finding.Severity) (int, string) {
	if m, ok := ocsfSeverities[s]; ok {
		return m.id, m.caption
	}
	// "Other": the caption carries the source's own value.
	return ocsfSeverityOther, string(s)
}

func ocsfResourceType(t string) string {
	if name, ok := ocsfResourceTypes[t]; ok {
		return name
	}
	return t
}

// observedAt is when the state that the findings describe was read: the
// snapshot's collection time, or the report's when the snapshot has none.
func observedAt(r *finding.Report) time.Time {
	if !r.Snapshot.CollectedAt.IsZero() {
		return r.Snapshot.CollectedAt.UTC()
	}
	return r.GeneratedAt.UTC()
}

// coverage reports whether f, whose rule is rule (the zero Rule when the
// report does not know it), is a coverage finding: finding.Coverage, which
// falls back on the rule ID for an unknown rule.
func coverage(f *finding.Finding, rule finding.Rule) bool {
	if rule.ID == "" {
		return finding.Coverage(f, nil)
	}
	return finding.Coverage(f, &rule)
}

func rulesByID(rules []finding.Rule) map[string]finding.Rule {
	m := make(map[string]finding.Rule, len(rules))
	for _, r := range rules {
		if _, dup := m[r.ID]; !dup {
			m[r.ID] = r
		}
	}
	return m
}

func titleOf(f *finding.Finding) string {
	if f.Title != "" {
		return f.Title
	}
	return f.RuleID
}

func firstWebURL(refs []string) string {
	for _, ref := range refs {
		if isWebURL(ref) {
			return ref
		}
	}
	return ""
}

// arnPartition is the partition field of an ARN (aws, aws-cn, aws-us-gov).
func arnPartition(arn string) string {
	parts := strings.SplitN(arn, ":", 3)
	if len(parts) < 3 || parts[0] != "arn" {
		return ""
	}
	return parts[1]
}
