package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/amiaudit/amiaudit/finding"
)

// JUnit output for CI systems that show test reports. One test suite per rule,
// one test case per rule × resource: GitLab keys a test case by its classname
// and name and ignores repeats, so several findings of one rule on one
// resource (two untrusted grantees of an AMI) are one test case that lists
// them all. A loaded rule that found nothing is one passing test case, so the
// report also shows what was checked.
// https://docs.gitlab.com/ci/testing/unit_test_reports/
const junitNoFinding = "no finding"

// junitCounts are the attributes that testsuites and testsuite share (the
// embedded struct's attributes are written as the outer element's own).
type junitCounts struct {
	Name      string `xml:"name,attr"`
	Tests     int    `xml:"tests,attr"`
	Failures  int    `xml:"failures,attr"`
	Errors    int    `xml:"errors,attr"`
	Skipped   int    `xml:"skipped,attr"`
	Time      string `xml:"time,attr"`
	Timestamp string `xml:"timestamp,attr,omitempty"`
}

type junitTestSuites struct {
	XMLName xml.Name `xml:"testsuites"`
	junitCounts
	Suites []junitTestSuite `xml:"testsuite"`
}

type junitTestSuite struct {
	junitCounts
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitTestCase `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitTestCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// junitWriter writes JUnit XML.
type junitWriter struct{}

func (junitWriter) Write(w io.Writer, r *finding.Report) error {
	if r == nil {
		return errNilReport
	}
	doc := buildJUnit(r)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("write JUnit report: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write JUnit report: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("write JUnit report: %w", err)
	}
	return nil
}

func buildJUnit(r *finding.Report) junitTestSuites {
	rep := normalize(r)
	var timestamp string
	if !rep.GeneratedAt.IsZero() {
		timestamp = rep.GeneratedAt.UTC().Format(time.RFC3339)
	}
	rules := rulesByID(rep.Rules)
	byRule := map[string][]*finding.Finding{}
	for i := range rep.Findings {
		f := &rep.Findings[i]
		byRule[f.RuleID] = append(byRule[f.RuleID], f)
	}
	ids := make([]string, 0, len(rules)+len(byRule))
	for id := range rules {
		ids = append(ids, id)
	}
	for id := range byRule {
		if _, loaded := rules[id]; !loaded {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)

	doc := junitTestSuites{junitCounts: junitCounts{Name: toolName, Time: "0", Timestamp: timestamp}}
	for _, id := range ids {
		suite := junitSuiteFor(id, rules[id], byRule[id], timestamp)
		doc.Tests += suite.Tests
		doc.Failures += suite.Failures
		doc.Skipped += suite.Skipped
		doc.Suites = append(doc.Suites, suite)
	}
	return doc
}

func junitSuiteFor(id string, rule finding.Rule, findings []*finding.Finding, timestamp string) junitTestSuite {
	suite := junitTestSuite{junitCounts: junitCounts{Name: id, Time: "0", Timestamp: timestamp}}
	title, severity := rule.Title, rule.Severity
	if len(findings) > 0 {
		if title == "" {
			title = findings[0].Title
		}
		if severity == "" {
			severity = findings[0].Severity
		}
	}
	if title != "" {
		suite.Properties = append(suite.Properties, junitProperty{"title", title})
	}
	if severity != "" {
		suite.Properties = append(suite.Properties, junitProperty{"severity", string(severity)})
	}
	if len(findings) == 0 {
		suite.Cases = []junitTestCase{{Classname: id, Name: junitNoFinding, Time: "0"}}
		suite.Tests = 1
		return suite
	}

	// Group by resource, in ARN order; a resource without an ARN is named by
	// its ID.
	type group struct {
		name     string
		findings []*finding.Finding
	}
	index := map[string]int{}
	var groups []group
	for _, f := range findings {
		name := f.Resource.ARN
		if name == "" {
			name = f.Resource.ID
		}
		i, seen := index[name]
		if !seen {
			i = len(groups)
			index[name] = i
			groups = append(groups, group{name: name})
		}
		groups[i].findings = append(groups[i].findings, f)
	}
	sort.SliceStable(groups, func(i, j int) bool { return groups[i].name < groups[j].name })

	for _, g := range groups {
		tc := junitTestCase{Classname: id, Name: g.name, Time: "0"}
		var open []*finding.Finding
		var waived []string
		for _, f := range g.findings {
			if f.Waived() {
				waived = append(waived, justification(f.Waiver))
			} else {
				open = append(open, f)
			}
			if tc.File == "" && f.Location != nil {
				tc.File = f.Location.File
			}
		}
		switch {
		case len(open) > 0:
			tc.Failure = &junitFailure{
				Message: open[0].Message,
				Type:    string(worstSeverity(open)),
				Text:    junitFailureText(open),
			}
			suite.Failures++
		default:
			tc.Skipped = &junitSkipped{Message: "waived: " + strings.Join(uniqueStrings(waived), "; ")}
			suite.Skipped++
		}
		suite.Cases = append(suite.Cases, tc)
	}
	suite.Tests = len(suite.Cases)
	return suite
}

// junitFailureText is what GitLab shows for a failure (it shows the element's
// text, not its message attribute): every open finding's message, its
// remediation, where it is and the evidence.
func junitFailureText(fs []*finding.Finding) string {
	var b strings.Builder
	for i, f := range fs {
		if i > 0 {
			b.WriteString("\n\n")
		}
		fmt.Fprintf(&b, "[%s] %s\n", f.Severity, f.Message)
		if f.Remediation != "" {
			fmt.Fprintf(&b, "Remediation: %s\n", f.Remediation)
		}
		fmt.Fprintf(&b, "Resource: %s (%s", f.Resource.ID, f.Resource.Type)
		if where := strings.Trim(f.Resource.Account+" "+f.Resource.Region, " "); where != "" {
			b.WriteString(", " + where)
		}
		b.WriteString(")\n")
		if l := f.Location; l != nil {
			fmt.Fprintf(&b, "Location: %s %s\n", l.File, l.Address)
		}
		if f.ExpiredWaiver() {
			fmt.Fprintf(&b, "Waiver expired: %s\n", justification(f.Waiver))
		}
		if len(f.Evidence) > 0 {
			if ev, err := compactJSON(f.Evidence); err == nil {
				fmt.Fprintf(&b, "Evidence: %s\n", ev)
			}
		}
		b.WriteString("Finding ID: " + findingID(f))
	}
	return b.String()
}

func worstSeverity(fs []*finding.Finding) finding.Severity {
	worst := fs[0].Severity
	for _, f := range fs[1:] {
		if f.Severity.Rank() > worst.Rank() {
			worst = f.Severity
		}
	}
	return worst
}
