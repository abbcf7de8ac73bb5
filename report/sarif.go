package report

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/owenrumney/go-sarif/v2/sarif"

	"github.com/amiaudit/amiaudit/finding"
)

const (
	toolName           = finding.ToolName
	toolInformationURI = "https://github.com/amiaudit/amiaudit"

	// sarifSchemaURI is the schema the output is validated against in tests:
	// the OASIS errata01 text, whose own id this is.
	sarifSchemaURI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

	// fingerprintKey is versioned because code scanning matches alerts across
	// uploads by this value: changing what goes into it must change the key.
	// v1 hashed the message; v2 hashes the finding's key instead.
	fingerprintKey = "amiaudit/v2"
)

// sarifWriter writes SARIF 2.1.0 for GitHub code scanning and other viewers.
type sarifWriter struct{}

func (sarifWriter) Write(w io.Writer, r *finding.Report) error {
	if r == nil {
		return errNilReport
	}
	doc, err := buildSARIF(r)
	if err != nil {
		return err
	}
	if err := encodeIndented(w, doc); err != nil {
		return fmt.Errorf("write SARIF report: %w", err)
	}
	return nil
}

// The sarifLog, sarifRun and sarifResult wrappers exist only to replace how
// suppressions are encoded: go-sarif v2 writes every unset suppression field
// as null, and the SARIF schema rejects a null location or guid. Each wrapper
// shadows one field of the go-sarif type it embeds; everything else is
// encoded by go-sarif's own tags.
type sarifLog struct {
	*sarif.Report
	Runs []sarifRun `json:"runs"`
}

type sarifRun struct {
	*sarif.Run
	Results []sarifResult `json:"results"`
}

type sarifResult struct {
	*sarif.Result
	Suppressions []sarifSuppression `json:"suppressions,omitempty"`
	// Shadowed too, only to move the bag after ruleId and message, where a
	// reader of the file expects it.
	Properties sarif.Properties `json:"properties,omitempty"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Status        string `json:"status,omitempty"`
	Justification string `json:"justification,omitempty"`
}

func buildSARIF(r *finding.Report) (*sarifLog, error) {
	rep := normalize(r)
	doc, err := sarif.New(sarif.Version210, false)
	if err != nil {
		return nil, fmt.Errorf("build SARIF report: %w", err)
	}
	doc.Schema = sarifSchemaURI

	driver := sarif.NewDriver(rep.Tool.Name).WithInformationURI(toolInformationURI)
	if rep.Tool.Version != "" {
		driver.WithVersion(rep.Tool.Version)
	}
	ruleIndex := make(map[string]int, len(rep.Rules))
	addRule := func(rule finding.Rule) {
		if _, seen := ruleIndex[rule.ID]; seen {
			return
		}
		ruleIndex[rule.ID] = len(driver.Rules)
		driver.Rules = append(driver.Rules, ruleDescriptor(rule))
	}
	for _, rule := range rep.Rules {
		addRule(rule)
	}
	// Code scanning rejects a result whose rule is not in driver.rules, and a
	// finding may come from a rule that was not loaded as Rego (a coverage
	// finding raised by the collector, say): describe it from the finding.
	for i := range rep.Findings {
		f := &rep.Findings[i]
		addRule(finding.Rule{ID: f.RuleID, Title: f.Title, Severity: f.Severity, Remediation: f.Remediation})
	}

	run := sarif.NewRun(sarif.Tool{Driver: driver})
	invocation := sarif.NewInvocation().WithExecutionSuccess(true)
	if !rep.GeneratedAt.IsZero() {
		invocation.WithEndTimeUTC(rep.GeneratedAt)
	}
	run.Invocations = []*sarif.Invocation{invocation}
	// The snapshot and policy digests make the SARIF file evidence on its own:
	// they say exactly what was evaluated, by which rules.
	run.Properties = sarif.Properties{
		"generated_at":  rep.GeneratedAt,
		"snapshot":      rep.Snapshot,
		"policy_digest": rep.PolicyDigest,
		"summary":       rep.Summary,
	}

	results := make([]sarifResult, len(rep.Findings))
	for i := range rep.Findings {
		f := &rep.Findings[i]
		results[i] = result(f, ruleIndex[f.RuleID])
	}
	return &sarifLog{Report: doc, Runs: []sarifRun{{Run: run, Results: results}}}, nil
}

func ruleDescriptor(rule finding.Rule) *sarif.ReportingDescriptor {
	title := rule.Title
	if title == "" {
		title = rule.ID
	}
	d := sarif.NewRule(rule.ID).
		WithName(ruleName(rule)).
		WithShortDescription(sarif.NewMultiformatMessageString(title)).
		WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel(sarifLevel(rule.Severity)))
	if rule.Description != "" {
		d.WithFullDescription(sarif.NewMultiformatMessageString(rule.Description))
	}
	if text, markdown := ruleHelp(rule); text != "" {
		d.WithTextHelp(text).WithMarkdownHelp(markdown)
	}
	for _, ref := range rule.References {
		if isWebURL(ref) {
			d.WithHelpURI(ref)
			break
		}
	}
	tags := []string{"security"}
	// The area comes from the rule's package (policies/AREA/); a rule known
	// only from its findings has none.
	if rule.Area != "" {
		tags = append(tags, rule.Area)
	}
	if rule.Severity != "" {
		tags = append(tags, string(rule.Severity))
	}
	if rule.Deprecated {
		tags = append(tags, "deprecated")
	}
	d.WithProperties(sarif.Properties{
		// Code scanning ranks alerts by this score, a number in a string.
		"security-severity": rule.Severity.SecuritySeverity(),
		"tags":              uniqueStrings(tags),
	})
	return d
}

// ruleName is the rule's title in CamelCase, the form SARIF viewers expect of
// reportingDescriptor.name ("AMIIsPublic"), falling back to the ID.
func ruleName(rule finding.Rule) string {
	var b strings.Builder
	words := strings.FieldsFunc(rule.Title, func(c rune) bool {
		return !unicode.IsLetter(c) && !unicode.IsDigit(c)
	})
	for _, word := range words {
		rs := []rune(word)
		rs[0] = unicode.ToUpper(rs[0])
		b.WriteString(string(rs))
	}
	if b.Len() == 0 {
		return strings.Map(func(c rune) rune {
			if unicode.IsLetter(c) || unicode.IsDigit(c) {
				return c
			}
			return -1
		}, rule.ID)
	}
	return b.String()
}

// ruleHelp renders remediation and references, in plain text and markdown.
func ruleHelp(rule finding.Rule) (text, markdown string) {
	var t, m strings.Builder
	if rule.Remediation != "" {
		t.WriteString(rule.Remediation)
		m.WriteString("**Remediation**\n\n" + rule.Remediation)
	}
	if len(rule.References) > 0 {
		if t.Len() > 0 {
			t.WriteString("\n\n")
			m.WriteString("\n\n")
		}
		t.WriteString("References:")
		m.WriteString("**References**\n")
		for _, ref := range rule.References {
			t.WriteString("\n- " + ref)
			if isWebURL(ref) {
				m.WriteString("\n- <" + ref + ">")
			} else {
				m.WriteString("\n- " + ref)
			}
		}
	}
	return t.String(), m.String()
}

// sarifLevel maps the severity scale onto SARIF's three levels: anything that
// fails the default gate (high and above) is an error.
func sarifLevel(s finding.Severity) string {
	switch s {
	case finding.Critical, finding.High:
		return "error"
	case finding.Medium:
		return "warning"
	case finding.Low, finding.Info:
		return "note"
	}
	return "warning"
}

func result(f *finding.Finding, ruleIndex int) sarifResult {
	text := f.Message
	if text == "" {
		text = f.Title
	}
	if text == "" {
		text = f.RuleID
	}
	res := sarif.NewRuleResult(f.RuleID).
		WithRuleIndex(ruleIndex).
		WithLevel(sarifLevel(f.Severity)).
		WithMessage(sarif.NewTextMessage(text)).
		WithLocations([]*sarif.Location{location(f)}).
		WithPartialFingerPrints(map[string]any{fingerprintKey: fingerprint(f)})
	props := sarif.Properties{
		"severity": string(f.Severity),
		"account":  f.Resource.Account,
		"region":   f.Resource.Region,
		"evidence": f.Evidence,
	}
	if f.Waiver != nil {
		// Kept for expired waivers too, so a viewer sees why it no longer applies.
		props["waiver"] = f.Waiver
	}

	out := sarifResult{Result: res, Properties: props}
	if f.Waived() {
		out.Suppressions = []sarifSuppression{{
			Kind:          "external",
			Status:        "accepted",
			Justification: justification(f.Waiver),
		}}
	}
	return out
}

// location names the resource by its ARN. A finding on a Terraform plan also
// points at the plan file, so that code scanning can annotate it.
func location(f *finding.Finding) *sarif.Location {
	loc := sarif.NewLocation()
	resource := sarif.NewLogicalLocation()
	if f.Resource.ARN != "" {
		resource.WithFullyQualifiedName(f.Resource.ARN)
	}
	if f.Resource.ID != "" {
		resource.WithName(f.Resource.ID)
	}
	if f.Resource.Type != "" {
		resource.WithKind(f.Resource.Type)
	}
	loc.AddLogicalLocations(resource)

	if f.Location == nil {
		// Code scanning accepts only results with a file location, and an AWS
		// resource has no file: each one gets a stable pseudo-path instead
		// (aws/ACCOUNT/REGION/TYPE/ID), so alerts group by account and region.
		loc.WithPhysicalLocation(sarif.NewPhysicalLocation().
			WithArtifactLocation(sarif.NewSimpleArtifactLocation(resourcePath(f.Resource))).
			WithRegion(sarif.NewRegion().WithStartLine(1)))
		return loc
	}
	if addr := f.Location.Address; addr != "" {
		loc.AddLogicalLocations(sarif.NewLogicalLocation().
			WithName(addr).
			WithFullyQualifiedName(addr).
			WithKind("resource"))
	}
	if f.Location.File != "" {
		// A plan has no line for a resource address, and SARIF requires a
		// region to carry one: line 1 is where `terraform show -json` writes
		// the whole plan, and the region's message names the address.
		region := sarif.NewRegion().WithStartLine(1)
		if f.Location.Address != "" {
			region.WithMessage(sarif.NewTextMessage("Terraform resource " + f.Location.Address))
		}
		loc.WithPhysicalLocation(sarif.NewPhysicalLocation().
			WithArtifactLocation(sarif.NewSimpleArtifactLocation(fileURI(f.Location.File))).
			WithRegion(region))
	}
	return loc
}

// resourcePath is the pseudo-path of a resource in SARIF physical locations.
func resourcePath(r finding.Resource) string {
	part := func(s string) string {
		if s == "" {
			return "_"
		}
		return url.PathEscape(s)
	}
	return strings.Join([]string{"aws", part(r.Account), part(r.Region), part(r.Type), part(r.ID)}, "/")
}

// fileURI turns a path into the URI reference SARIF requires: relative paths
// stay relative (code scanning resolves them against the repository root).
func fileURI(path string) string {
	p := filepath.ToSlash(path)
	if filepath.IsAbs(path) {
		if !strings.HasPrefix(p, "/") {
			p = "/" + p // a Windows drive path
		}
		return (&url.URL{Scheme: "file", Path: p}).String()
	}
	return (&url.URL{Path: p}).String()
}

// fingerprint identifies a finding across runs and across changes of
// wording: the rule, the resource ARN, and the finding's key, which tells
// apart several firings of one rule on one resource (two untrusted accounts
// on the same AMI, say). Never the message: its counts and lists change from
// night to night, and code scanning would close and reopen the alert.
func fingerprint(f *finding.Finding) string {
	h := sha256.New()
	h.Write([]byte(f.RuleID))
	h.Write([]byte{0})
	h.Write([]byte(f.Resource.ARN))
	h.Write([]byte{0})
	h.Write([]byte(f.Key))
	return hex.EncodeToString(h.Sum(nil))
}

func justification(w *finding.AppliedWaiver) string {
	reason := w.Reason
	if reason == "" {
		reason = "waived"
	}
	var details []string
	if w.ApprovedBy != "" {
		details = append(details, "approved by "+w.ApprovedBy)
	}
	if w.Expires != "" {
		details = append(details, "expires "+w.Expires)
	}
	if len(details) == 0 {
		return reason
	}
	return reason + " (" + strings.Join(details, ", ") + ")"
}

func isWebURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

func uniqueStrings(in []string) []string {
	seen := make(map[string]bool, len(in))
	out := in[:0]
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
