package main

import (
	"context"
	"errors"
	"flag"
	"strings"
	"testing"

	"github.com/amiaudit/amiaudit/report"
	"github.com/amiaudit/amiaudit/testbed/moto"
)

// TestDemoFormatsAreTheReportPackages: the demo offers every format the
// report package writes, defaults to its default, and refuses an unknown
// one before starting moto.
func TestDemoFormatsAreTheReportPackages(t *testing.T) {
	var help strings.Builder
	if _, err := parseArgs([]string{"-h"}, &help); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
	if !strings.Contains(help.String(), "[--format "+strings.Join(report.Formats(), "|")+"]") ||
		!strings.Contains(help.String(), "report format: "+strings.Join(report.Formats(), ", ")+` (default "`+report.DefaultFormat()+`")`) {
		t.Errorf("usage does not list the report package's formats and default:\n%s", help.String())
	}
	o, err := parseArgs(nil, &help)
	if err != nil || o.format != report.DefaultFormat() || o.scenario != "example-org.yaml" {
		t.Errorf("no flags: %+v, %v; want format %s", o, err, report.DefaultFormat())
	}
	for _, f := range report.Formats() {
		if o, err := parseArgs([]string{"--format", f}, &help); err != nil || o.format != f {
			t.Errorf("--format %s: %+v, %v", f, o, err)
		}
	}
	var stderr strings.Builder
	if _, err := parseArgs([]string{"--format", "pdf"}, &stderr); err == nil || !strings.Contains(stderr.String(), `"pdf"`) || !strings.Contains(stderr.String(), strings.Join(report.Formats(), ", ")) {
		t.Errorf("--format pdf: %v, stderr %q; want a refusal listing the formats", err, stderr.String())
	}
}

// TestDemoWithoutMoto: where moto cannot run, the demo says how to install it
// and evaluates the bundled example snapshot instead.
func TestDemoWithoutMoto(t *testing.T) {
	t.Setenv("AMIAUDIT_PYTHON", "/nonexistent/python3")
	var out, errOut strings.Builder
	code := run(context.Background(), "example-org.yaml", "json", &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(errOut.String(), moto.InstallHint) {
		t.Errorf("no install hint: %q", errOut.String())
	}
	if !strings.Contains(out.String(), `"rule_id": "AMI-001"`) {
		t.Errorf("the fallback did not evaluate the example snapshot")
	}
}

// TestLiveDemo seeds the example organization into moto and scans it.
func TestLiveDemo(t *testing.T) {
	var out, errOut strings.Builder
	code := run(context.Background(), "example-org.yaml", "json", &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{"starting moto", "seeding example-org.yaml", "read-only AWS API calls"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	for _, rule := range []string{"AMI-001", "AMI-004", "KMS-001", "SNAP-003", "SCAN-001"} {
		if !strings.Contains(out.String(), `"rule_id": "`+rule+`"`) {
			t.Errorf("the live demo reports no %s", rule)
		}
	}
}
