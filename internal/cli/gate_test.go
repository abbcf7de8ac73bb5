package cli

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/amiaudit/amiaudit/finding"
	"github.com/amiaudit/amiaudit/gate"
	"github.com/amiaudit/amiaudit/rules"
)

// TestGateRefusesMalformedGrantees: a grantee the EC2 API would not take
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_LaunchPermission.html,
// API_CreateVolumePermission.html) is a usage error naming the flag or the
// plan's resource address and what was expected, never judged as "shared
// with account o-abc".
func TestGateRefusesMalformedGrantees(t *testing.T) {
	const image = "ami-0a1b2c3d4e5f60001"
	const ouARN = "arn:aws:organizations::123456789012:ou/o-abc1234567/ou-ab12-cdefgh34"
	base := []string{"gate", "--snapshot", exampleSnapshot, "--region", "us-east-1", "--fail-on", "none"}
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"short account", []string{"--image", image, "--share-with", "12345"},
			[]string{"--share-with", `"12345"`, "12-digit account ID, an organization ARN", "OU ARN"}},
		{"organization ID", []string{"--image", image, "--share-with", "o-abc1234567"},
			[]string{"--share-with", "o-abc1234567 is an organization ID: give the organization's ARN"}},
		{"truncated organization ARN", []string{"--image", image, "--share-with", "arn:aws:organizations::1:organization/x"},
			[]string{"--share-with", `"arn:aws:organizations::1:organization/x"`}},
		{"all", []string{"--image", image, "--share-with", "all"}, []string{"--share-with all", "--public"}},
		{"OU for a snapshot", []string{"--image", image, "--share-with", ouARN, "--create-volume-permission"},
			[]string{"--create-volume-permission", ouARN, "accounts only"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := amiaudit(t, "", append(append([]string{}, base...), c.args...)...)
			if code != exitUsage || stdout != "" {
				t.Fatalf("exit %d, stdout %q, stderr %s; want exit %d and no report", code, stdout, stderr, exitUsage)
			}
			for _, w := range c.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q does not say %q", stderr, w)
				}
			}
		})
	}

	plan := filepath.Join(t.TempDir(), "plan.json")
	if err := os.WriteFile(plan, []byte(`{"format_version": "1.2", "resource_changes": [
	  {"address": "aws_ami_launch_permission.partner", "mode": "managed", "type": "aws_ami_launch_permission",
	   "change": {"actions": ["create"], "after": {"image_id": "`+image+`", "account_id": "o-abc1234567"}, "after_unknown": {}}}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := amiaudit(t, "", append(append([]string{}, base...), "--plan", plan)...)
	if code != exitUsage || stdout != "" || !strings.Contains(stderr, plan+": aws_ami_launch_permission.partner: account_id \"o-abc1234567\": expected a 12-digit account ID") {
		t.Errorf("plan: exit %d, stdout %q, stderr %q; want a usage error naming the address and the expected account ID", code, stdout, stderr)
	}

	// A well-formed grantee still passes.
	if code, _, stderr := amiaudit(t, "", append(append([]string{}, base...), "--image", image, "--share-with", ouARN)...); code != 0 {
		t.Errorf("--share-with %s: exit %d: %s", ouARN, code, stderr)
	}
}

// TestGateWarnsAboutExpiredWaivers: the gate ends as evaluate does
// (deliverAudit): a waiver that has expired but still matches a finding of
// the change is logged, since that finding now counts against --fail-on. A
// waiver that matches none of the gate's findings is not: the gate reports
// only what the change touches, so most waivers match nothing by design;
// evaluate, which reports everything, still warns about it.
func TestGateWarnsAboutExpiredWaivers(t *testing.T) {
	config := filepath.Join(t.TempDir(), "amiaudit.yaml")
	if err := os.WriteFile(config, []byte(`waivers:
  - rule: AMI-002
    resource: "arn:aws:ec2:us-east-1::image/ami-0a1b2c3d4e5f60001"
    reason: Partner onboarding.
    expires: 2026-01-01
    approved_by: security@acme.example
  - rule: SNAP-001
    resource: "arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0"
    reason: A snapshot that no longer exists.
    expires: 2027-03-31
    approved_by: security@acme.example
`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := amiaudit(t, "", "gate", "--snapshot", exampleSnapshot, "--region", "us-east-1", "--config", config,
		"--image", "ami-0a1b2c3d4e5f60001", "--share-with", "999988887777", "--format", "json")
	if code != exitFindings {
		t.Fatalf("exit %d, want 1 (AMI-002, its waiver expired); stderr %s", code, stderr)
	}
	if !strings.Contains(stderr, "waiver has expired and no longer applies") || !strings.Contains(stderr, "AMI-002") {
		t.Errorf("the gate does not warn about the expired waiver that matches AMI-002: %q", stderr)
	}
	if strings.Contains(stderr, "matches no finding") {
		t.Errorf("the gate warns about a waiver for a resource the change does not touch: %q", stderr)
	}

	_, _, stderr = amiaudit(t, "", "evaluate", exampleSnapshot, "--config", config, "--fail-on", "none")
	if !strings.Contains(stderr, "waiver matches no finding") || !strings.Contains(stderr, "snap-0123456789abcdef0") {
		t.Errorf("evaluate no longer warns about a waiver that matches no finding: %q", stderr)
	}
}

// TestGateSnapshotRefusesLiveFlags: with --snapshot the gate reads no AWS,
// so a flag that only tunes reading AWS is a usage error naming it and why,
// not silently ignored (a pipeline would believe a --deep gate ran). Every
// such flag of the gate is marked (markReadsAWS) where it is registered.
func TestGateSnapshotRefusesLiveFlags(t *testing.T) {
	gated := []string{"gate", "--snapshot", exampleSnapshot, "--image", "ami-0a1b2c3d4e5f60001", "--region", "us-east-1", "--share-with", "111122223333", "--format", "json"}
	live := map[string][]string{
		"deep":                  {"--deep"},
		"deep-max-bytes":        {"--deep-max-bytes", "1024"},
		"max-duration":          {"--max-duration", "1m"},
		"max-endpoint-failures": {"--max-endpoint-failures", "3"},
		"call-timeout":          {"--call-timeout", "5s"},
	}
	for name, flag := range live {
		code, out, stderr := amiaudit(t, "", append(append([]string{}, gated...), flag...)...)
		if code != exitUsage || out != "" || !strings.Contains(stderr, "--"+name+" ") || !strings.Contains(stderr, "with --snapshot the gate reads no AWS") {
			t.Errorf("gate --snapshot --%s: exit %d, stdout %d bytes, stderr %q; want exit 2 naming --%s and why", name, code, len(out), stderr, name)
		}
	}
	// The same flags at their defaults, and --profile (whose region is the
	// default --region of a snapshot of several regions), are accepted.
	code, out, stderr := amiaudit(t, "", append(append([]string{}, gated...), "--profile", "no-such-profile", "--fail-on", "none")...)
	if code != 0 || !strings.Contains(out, `"findings"`) {
		t.Errorf("gate --snapshot without live flags: exit %d: %s", code, stderr)
	}

	// Which gate flags are marked is decided where they are registered; this
	// holds that set to the flags that only tune reading AWS.
	cmd := newGateCommand(&env{})
	marked := map[string]bool{}
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if _, ok := f.Annotations[readsAWSAnnotation]; ok {
			marked[f.Name] = true
		}
	})
	for name := range live {
		if !marked[name] {
			t.Errorf("gate --%s is not marked as reading AWS", name)
		}
	}
	if len(marked) != len(live) {
		t.Errorf("gate flags marked as reading AWS: %v, want %d", marked, len(live))
	}
}

// TestGateFlagNamesEveryProposalField: the errors of gate.Changes name
// gate.Proposal's fields, which the CLI renames to its flags; every field
// but Region (from --region, --snapshot or the SDK, never named in an error)
// has a flag name.
func TestGateFlagNamesEveryProposalField(t *testing.T) {
	typ := reflect.TypeFor[gate.Proposal]()
	for i := range typ.NumField() {
		name := typ.Field(i).Name
		if name == "Region" {
			continue
		}
		if flag := gateFlagNames[name]; !strings.HasPrefix(flag, "--") {
			t.Errorf("gate.Proposal.%s has no flag name", name)
		}
	}
}

// TestGateHelpListsTheGateRules: gate --help lists every built-in rule of
// area gate by ID and title, read from the rules' METADATA, so the help
// cannot drift from the catalogue.
func TestGateHelpListsTheGateRules(t *testing.T) {
	e, err := rules.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	code, out, stderr := amiaudit(t, "", "gate", "--help")
	if code != 0 {
		t.Fatalf("gate --help: exit %d: %s", code, stderr)
	}
	listed := 0
	for _, r := range e.Rules() {
		if r.Area != finding.AreaGate {
			continue
		}
		listed++
		if !strings.Contains(out, r.ID+"  "+r.Title+"\n") {
			t.Errorf("gate --help does not list %s %q:\n%s", r.ID, r.Title, out)
		}
	}
	if listed == 0 || strings.Contains(out, gateRulesMarker) {
		t.Errorf("%d gate rules; help:\n%s", listed, out)
	}
}
