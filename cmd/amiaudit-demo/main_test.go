package main

import (
	"context"
	"strings"
	"testing"

	"github.com/amiaudit/amiaudit/testbed/moto"
)

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
