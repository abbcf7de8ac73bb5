package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/amiaudit/amiaudit/finding"
)

// wellFormed reads an XML document to its end with encoding/xml's strict
// decoder, which rejects unbalanced elements, bad entities and characters
// outside XML's range.
func wellFormed(t *testing.T, doc []byte) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(doc))
	dec.Strict = true
	depth := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("JUnit XML is not well-formed: %v\n%s", err, doc)
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		}
	}
	if depth != 0 {
		t.Fatalf("unbalanced elements (depth %d)", depth)
	}
}

func junitDoc(t *testing.T, r *finding.Report) junitTestSuites {
	t.Helper()
	out := render(t, FormatJUnit, Options{}, r)
	wellFormed(t, out)
	if !bytes.HasPrefix(out, []byte(`<?xml version="1.0" encoding="UTF-8"?>`)) {
		t.Error("no XML declaration")
	}
	var doc junitTestSuites
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestJUnitWellFormed(t *testing.T) {
	cases := sarifCases()
	hostile := testReport()
	hostile.Findings[0].Message = "AMI named \x1b[2J]]><!-- <x> & \"q\" \x00 is public"
	hostile.Findings[0].Resource.ARN = "arn:aws:ec2:us-east-1::image/ami-\"<&>"
	cases["hostile text"] = hostile
	for name, r := range cases {
		t.Run(name, func(t *testing.T) { junitDoc(t, r) })
	}
}

// What GitLab reads (https://docs.gitlab.com/ci/testing/unit_test_reports/):
// testsuites > testsuite > testcase with classname and name, a failure's text,
// skipped; a repeated classname+name is dropped, so none may repeat.
func TestJUnitForGitLab(t *testing.T) {
	r := testReport()
	doc := junitDoc(t, r)
	seen := map[string]bool{}
	tests, failures, skipped := 0, 0, 0
	for _, s := range doc.Suites {
		sf, ss := 0, 0
		for _, tc := range s.Cases {
			key := tc.Classname + "\x00" + tc.Name
			if tc.Classname == "" || tc.Name == "" || seen[key] {
				t.Errorf("test case %q/%q is empty or repeated", tc.Classname, tc.Name)
			}
			seen[key] = true
			if tc.Classname != s.Name {
				t.Errorf("case %s in suite %s", tc.Classname, s.Name)
			}
			if tc.Failure != nil {
				sf++
				if !strings.Contains(tc.Failure.Text, "Remediation: ") || tc.Failure.Message == "" {
					t.Errorf("%s %s: failure lacks message or remediation: %+v", tc.Classname, tc.Name, tc.Failure)
				}
			}
			if tc.Skipped != nil {
				ss++
			}
		}
		if s.Tests != len(s.Cases) || s.Failures != sf || s.Skipped != ss {
			t.Errorf("suite %s counts %d/%d/%d, cases say %d/%d/%d", s.Name, s.Tests, s.Failures, s.Skipped, len(s.Cases), sf, ss)
		}
		tests, failures, skipped = tests+s.Tests, failures+s.Failures, skipped+s.Skipped
	}
	if doc.Tests != tests || doc.Failures != failures || doc.Skipped != skipped {
		t.Errorf("testsuites counts %d/%d/%d, suites add up to %d/%d/%d", doc.Tests, doc.Failures, doc.Skipped, tests, failures, skipped)
	}
	// 8 findings: 7 open on 7 rule×resource pairs, 1 waived; GATE-001 and
	// SNAP-001 were loaded and found nothing.
	if failures != 7 || skipped != 1 || tests != 10 {
		t.Errorf("failures %d skipped %d tests %d, want 7, 1, 10", failures, skipped, tests)
	}
	for _, s := range doc.Suites {
		if s.Name == "GATE-001" && (len(s.Cases) != 1 || s.Cases[0].Name != junitNoFinding || s.Cases[0].Failure != nil) {
			t.Errorf("a rule without findings is not one passing case: %+v", s.Cases)
		}
		if s.Name == "AMI-002" && (s.Cases[0].Skipped == nil || !strings.Contains(s.Cases[0].Skipped.Message, "VND-123")) {
			t.Errorf("the waived finding is not skipped with its reason: %+v", s.Cases[0])
		}
		if s.Name == "AMI-004" && s.Cases[0].File != "plans/share-ami.json" {
			t.Errorf("the plan finding lacks its file: %+v", s.Cases[0])
		}
	}
}

func TestJUnitGroupsOneRuleOnOneResource(t *testing.T) {
	r := testReport()
	var ami004 finding.Finding
	for _, f := range r.Findings {
		if f.RuleID == "AMI-004" {
			ami004 = f
		}
	}
	second := ami004
	second.Message = "Sharing AMI ami-0a1b2c3d4e5f60718 with 777788889999 would break."
	second.Severity = finding.Critical
	second.Evidence = map[string]any{"grantee": "777788889999"}
	r.Findings = append(r.Findings, second)
	for _, s := range junitDoc(t, r).Suites {
		if s.Name != "AMI-004" {
			continue
		}
		if len(s.Cases) != 1 {
			t.Fatalf("%d cases for one rule on one resource", len(s.Cases))
		}
		f := s.Cases[0].Failure
		if f == nil || !strings.Contains(f.Text, "444455556666") || !strings.Contains(f.Text, "777788889999") || f.Type != "critical" {
			t.Errorf("the case does not list both findings at the worst severity: %+v", f)
		}
	}
}
