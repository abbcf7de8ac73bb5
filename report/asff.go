package report

import (
	"fmt"
	"io"
	"time"
	"unicode/utf8"

	"github.com/amiaudit/amiaudit/finding"
	"github.com/amiaudit/amiaudit/internal/awsid"
)

// ASFF output: an array of AWS Security Finding Format findings, ready for
// `aws securityhub batch-import-findings` (docs/report-formats.md shows the
// per-account loop; amiaudit never calls Security Hub itself).
//
// Required attributes:
// https://docs.aws.amazon.com/securityhub/latest/userguide/asff-required-attributes.html
// Limits (Title 256 and Description 1024 characters, 100 findings and one
// account per BatchImportFindings call):
// https://docs.aws.amazon.com/securityhub/latest/partnerguide/guidelines-asff-mapping.html
// https://docs.aws.amazon.com/securityhub/latest/partnerguide/guidelines-batchimportfindings.html
const (
	asffSchemaVersion = "2018-10-08"

	asffMaxTitle       = 256
	asffMaxDescription = 1024
	// Remediation.Recommendation.Text is limited to 512 characters.
	asffMaxRecommendation = 512
	// Other holds up to 50 pairs; each value fewer than 1024 characters.
	asffMaxOtherValue = 1023

	// A finding with no account or region of its own (none today: every
	// resource, even a scope, has both) would still need a valid ProductArn;
	// these are only placeholders that the import would reject loudly.
	asffUnknownAccount = "000000000000"
	asffUnknownRegion  = "us-east-1"
)

// asffSeverityLabels maps the severity scale onto Severity.Label.
var asffSeverityLabels = map[finding.Severity]string{
	finding.Critical: "CRITICAL",
	finding.High:     "HIGH",
	finding.Medium:   "MEDIUM",
	finding.Low:      "LOW",
	finding.Info:     "INFORMATIONAL",
}

// Finding types are namespace/category[/classifier]; the namespace must be one
// of the five ASFF defines:
// https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/securityhub/aws.sdk.kotlin.services.securityhub.model/-finding-provider-fields/types.html
const (
	asffTypeBestPractices = "Software and Configuration Checks/AWS Security Best Practices"
	asffTypeDataExposure  = "Effects/Data Exposure"
	asffTypeSecrets       = "Sensitive Data Identifications/Passwords"
)

// asffEffectTypes adds the finding type of a rule's effect (METADATA
// custom.effect, finding.Rule.Effect) to its findings: data that others can
// read, credentials found. A rule with no effect is a configuration check
// only; so is a finding whose rule is not known (a JSON report rendered
// without the policies it was evaluated with).
var asffEffectTypes = map[string]string{
	finding.EffectDataExposure: asffTypeDataExposure,
	finding.EffectCredentials:  asffTypeSecrets,
}

type asffFinding struct {
	SchemaVersion string `json:"SchemaVersion"`
	// Id is stable across runs (findingID): importing tonight's findings
	// updates last night's instead of duplicating them.
	Id           string   `json:"Id"`
	ProductArn   string   `json:"ProductArn"`
	ProductName  string   `json:"ProductName"`
	CompanyName  string   `json:"CompanyName"`
	GeneratorId  string   `json:"GeneratorId"`
	AwsAccountId string   `json:"AwsAccountId"`
	Region       string   `json:"Region"`
	Types        []string `json:"Types"`
	// CreatedAt, UpdatedAt and LastObservedAt are the collection time of the
	// run. amiaudit keeps no history, so it cannot tell when a finding was
	// first observed and leaves FirstObservedAt out rather than guess.
	CreatedAt             string                    `json:"CreatedAt"`
	UpdatedAt             string                    `json:"UpdatedAt"`
	LastObservedAt        string                    `json:"LastObservedAt"`
	Severity              asffSeverity              `json:"Severity"`
	FindingProviderFields asffFindingProviderFields `json:"FindingProviderFields"`
	Title                 string                    `json:"Title"`
	Description           string                    `json:"Description"`
	Remediation           *asffRemediation          `json:"Remediation,omitempty"`
	SourceUrl             string                    `json:"SourceUrl,omitempty"`
	ProductFields         map[string]string         `json:"ProductFields"`
	Resources             []asffResource            `json:"Resources"`
	Compliance            asffCompliance            `json:"Compliance"`
	Workflow              asffWorkflow              `json:"Workflow"`
	RecordState           string                    `json:"RecordState"`
}

type asffSeverity struct {
	Label    string `json:"Label"`
	Original string `json:"Original"`
}

// asffFindingProviderFields repeats severity and types where a finding
// provider may still update them after the finding was created
// (BatchImportFindings ignores later changes to the top-level ones).
type asffFindingProviderFields struct {
	Severity asffSeverity `json:"Severity"`
	Types    []string     `json:"Types"`
}

type asffRemediation struct {
	Recommendation asffRecommendation `json:"Recommendation"`
}

type asffRecommendation struct {
	Text string `json:"Text"`
	Url  string `json:"Url,omitempty"`
}

type asffResource struct {
	Type      string             `json:"Type"`
	Id        string             `json:"Id"`
	Partition string             `json:"Partition,omitempty"`
	Region    string             `json:"Region,omitempty"`
	Details   *asffResourceOther `json:"Details,omitempty"`
}

type asffResourceOther struct {
	Other map[string]string `json:"Other"`
}

type asffCompliance struct {
	Status string `json:"Status"`
}

type asffWorkflow struct {
	Status string `json:"Status"`
}

// asffWriter writes AWS Security Finding Format findings. With a baseline
// (an earlier run), the findings it had that this run no longer has are
// written too, archived: importing the file then closes them in Security Hub
// instead of leaving them active for ever.
type asffWriter struct {
	opts Options
}

func (a asffWriter) Write(w io.Writer, r *finding.Report) error {
	if r == nil {
		return errNilReport
	}
	if err := writeJSONArray(w, buildASFF(r, a.opts.Baseline)); err != nil {
		return fmt.Errorf("write ASFF report: %w", err)
	}
	return nil
}

func buildASFF(r *finding.Report, baseline *Baseline) []asffFinding {
	rep := normalize(r)
	rules := rulesByID(rep.Rules)
	observed := asffTime(observedAt(&rep))
	out := make([]asffFinding, 0, len(rep.Findings))
	for i := range rep.Findings {
		f := &rep.Findings[i]
		out = append(out, asffFindingFor(&rep, f, rules[f.RuleID], observed))
	}
	// Resolved findings keep the baseline's content but carry this run's
	// time, so that Security Hub takes the update as newer.
	resolved := resolvedSince(rep.Findings, baseline)
	for i := range resolved {
		f := &resolved[i]
		a := asffFindingFor(&rep, f, rules[f.RuleID], observed)
		a.RecordState = "ARCHIVED"
		a.Compliance.Status = "PASSED"
		a.ProductFields["amiaudit/Resolved"] = "true"
		out = append(out, a)
	}
	return out
}

func asffFindingFor(rep *finding.Report, f *finding.Finding, rule finding.Rule, observed string) asffFinding {
	account, region := f.Resource.Account, f.Resource.Region
	if account == "" {
		account = asffUnknownAccount
	}
	if region == "" {
		region = asffUnknownRegion
	}
	partition := arnPartition(f.Resource.ARN)
	if partition == "" {
		partition = awsid.DefaultPartition
	}
	sev := asffSeverity{Label: asffSeverityLabel(f.Severity), Original: string(f.Severity)}
	types := []string{asffTypeBestPractices}
	if extra, ok := asffEffectTypes[rule.Effect]; ok {
		types = append(types, extra)
	}
	a := asffFinding{
		SchemaVersion: asffSchemaVersion,
		Id:            "amiaudit/" + f.RuleID + "/" + findingID(f),
		// The default product of a custom integration, in the finding's own
		// account and region, as BatchImportFindings requires.
		ProductArn:            fmt.Sprintf("arn:%s:securityhub:%s:%s:product/%s/default", partition, region, account, account),
		ProductName:           toolName,
		CompanyName:           toolName,
		GeneratorId:           f.RuleID,
		AwsAccountId:          account,
		Region:                region,
		Types:                 types,
		CreatedAt:             observed,
		UpdatedAt:             observed,
		LastObservedAt:        observed,
		Severity:              sev,
		FindingProviderFields: asffFindingProviderFields{Severity: sev, Types: types},
		Title:                 truncateRunes(f.RuleID+" "+titleOf(f)+": "+f.Resource.ID, asffMaxTitle),
		Description:           truncateRunes(f.Message, asffMaxDescription),
		SourceUrl:             firstWebURL(rule.References),
		ProductFields:         asffProductFields(rep, f),
		Resources: []asffResource{{
			Type:      asffResourceType(f.Resource.Type),
			Id:        f.Resource.ARN,
			Partition: partition,
			Region:    f.Resource.Region,
		}},
		Compliance:  asffCompliance{Status: "FAILED"},
		Workflow:    asffWorkflow{Status: "NEW"},
		RecordState: "ACTIVE",
	}
	if a.Description == "" {
		a.Description = a.Title
	}
	// Resources[].Id is required; a finding without an ARN (none that the
	// engine produces) is named by its resource ID, or else by its own Id.
	for _, id := range []string{f.Resource.ID, a.Id} {
		if a.Resources[0].Id == "" {
			a.Resources[0].Id = id
		}
	}
	if a.Resources[0].Type == "Other" {
		other := map[string]string{}
		for k, v := range map[string]string{"amiaudit/ResourceType": f.Resource.Type, "amiaudit/ResourceId": f.Resource.ID} {
			if v != "" {
				other[k] = truncateRunes(v, asffMaxOtherValue)
			}
		}
		if len(other) > 0 {
			a.Resources[0].Details = &asffResourceOther{Other: other}
		}
	}
	// A coverage finding is a check that could not run: WARNING is ASFF's
	// "some information is missing".
	if coverage(f, rule) {
		a.Compliance.Status = "WARNING"
	}
	if f.Remediation != "" {
		a.Remediation = &asffRemediation{Recommendation: asffRecommendation{
			Text: truncateRunes(f.Remediation, asffMaxRecommendation),
			Url:  firstWebURL(rule.References),
		}}
	}
	if f.Waived() {
		a.Workflow.Status = "SUPPRESSED"
	}
	return a
}

// asffProductFields carries what ASFF has no field for. Evidence stays in the
// JSON report: it can exceed the 240 KB a finding may hold.
func asffProductFields(rep *finding.Report, f *finding.Finding) map[string]string {
	pf := map[string]string{
		"amiaudit/RuleId":    f.RuleID,
		"amiaudit/Severity":  string(f.Severity),
		"amiaudit/FindingId": findingID(f),
	}
	if rep.Tool.Version != "" {
		pf["amiaudit/ToolVersion"] = rep.Tool.Version
	}
	if rep.Snapshot.SHA256 != "" {
		pf["amiaudit/SnapshotSHA256"] = rep.Snapshot.SHA256
	}
	if rep.PolicyDigest != "" {
		pf["amiaudit/PolicyDigest"] = rep.PolicyDigest
	}
	if w := f.Waiver; w != nil {
		pf["amiaudit/WaiverStatus"] = w.Status
		pf["amiaudit/WaiverReason"] = truncateRunes(justification(w), asffMaxOtherValue)
	}
	if l := f.Location; l != nil {
		pf["amiaudit/LocationFile"] = truncateRunes(l.File, asffMaxOtherValue)
		if l.Address != "" {
			pf["amiaudit/LocationAddress"] = truncateRunes(l.Address, asffMaxOtherValue)
		}
	}
	return pf
}

func asffSeverityLabel(s finding.Severity) string {
	if label, ok := asffSeverityLabels[s]; ok {
		return label
	}
	return "INFORMATIONAL"
}

// asffResourceType is the ASFF resource type: AwsKmsKey is one of the types
// Security Hub details; AMIs, snapshots and account settings have none, and
// ASFF asks for Other then.
func asffResourceType(t string) string {
	if t == finding.ResourceKey {
		return "AwsKmsKey"
	}
	return "Other"
}

// asffTime formats a time as ASFF's examples do: UTC, milliseconds, Z.
func asffTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// truncateRunes cuts s to at most n characters, marking the cut with "…".
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	runes := []rune(s)
	return string(runes[:n-1]) + "…"
}
