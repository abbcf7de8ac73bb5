// Package e2e drives the amiaudit command line end to end: scenarios are
// seeded into moto (the AWS API emulator), the fault proxy stands in front,
// and 'amiaudit scan' reads it all through the real aws-sdk-go-v2.
package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/amiaudit/amiaudit/internal/cli"
	"github.com/amiaudit/amiaudit/testbed/diskimage"
	"github.com/amiaudit/amiaudit/testbed/proxy"
	"github.com/amiaudit/amiaudit/testbed/scenario"
)

// accessRole is the role the scan assumes in member accounts, as the test bed
// seeds it (AWS Organizations creates it in every new account).
const accessRole = "OrganizationAccountAccessRole"

type report struct {
	Summary  map[string]int `json:"summary"`
	Findings []struct {
		RuleID   string `json:"rule_id"`
		Severity string `json:"severity"`
		Message  string `json:"message"`
		Resource struct {
			Type, ID, ARN, Account, Region string
		} `json:"resource"`
	} `json:"findings"`
}

// scan runs 'amiaudit scan' in-process against the scenario's proxy and
// returns the exit code, the JSON report and the proxy calls it made.
func scan(t *testing.T, env *scenario.Env, extra ...string) (int, report, []proxy.Call, string) {
	t.Helper()
	for _, kv := range env.Environ(t) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("CI", "true")
	args := []string{"scan", "--format", "json", "--fail-on", "none", "--role", accessRole}
	if env.Scenario.Organization != nil {
		args = append(args, "--org")
	}
	args = append(args, extra...)
	before := len(env.Proxy.Calls())
	var out, errOut bytes.Buffer
	code := cli.Run(args, strings.NewReader(""), &out, &errOut)
	calls := env.Proxy.Calls()[before:]
	var r report
	if out.Len() > 0 {
		if err := json.Unmarshal(out.Bytes(), &r); err != nil {
			t.Fatalf("report is not JSON: %v\n%s\nstderr: %s", err, out.String(), errOut.String())
		}
	}
	return code, r, calls, errOut.String()
}

func regionsFlag(env *scenario.Env) string {
	return "--regions=" + strings.Join(env.Scenario.Regions, ",")
}

// TestScenarios scans every scenario and checks each expected finding, one
// subtest per rule and resource, the clean resources, and for exhaustive
// scenarios that nothing else is reported.
func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("../scenarios/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
			env := scenario.Run(t, file)
			code, r, calls, stderr := scan(t, env, regionsFlag(env))
			if code != 0 {
				t.Fatalf("scan exit %d: %s", code, stderr)
			}
			for _, c := range calls {
				// Without an organization, DescribeOrganization answers
				// AWSOrganizationsNotInUseException: expected, and recorded as such.
				orgProbe := env.Scenario.Organization == nil && c.Service == "organizations"
				if c.Fault == "" && c.Status >= 400 && !c.Throttled && !orgProbe {
					t.Errorf("call failed without an injected fault: %+v", c)
				}
			}
			want, clean := env.Seeded.ResolveExpect()
			used := make([]bool, len(r.Findings))
			for _, w := range want {
				t.Run(w.Rule+" "+w.Ref, func(t *testing.T) {
					for i, f := range r.Findings {
						if f.RuleID == w.Rule && w.Matches(f.Resource.Type, f.Resource.ID, f.Resource.Account, f.Resource.Region) &&
							(w.Severity == "" || f.Severity == w.Severity) {
							used[i] = true
							return
						}
					}
					t.Errorf("no %s finding on %s (%s %s)", w.Rule, w.Ref, w.Type, w.ID)
				})
			}
			for _, c := range clean {
				for _, f := range r.Findings {
					if c.Matches(f.Resource.Type, f.Resource.ID, f.Resource.Account, f.Resource.Region) {
						t.Errorf("clean %s has %s: %s", c.Ref, f.RuleID, f.Message)
					}
				}
			}
			if env.Seeded.Exhaustive() {
				for i, f := range r.Findings {
					if !used[i] {
						t.Errorf("unexpected %s %s on %s %s: %s", f.RuleID, f.Severity, f.Resource.Type, f.Resource.ID, f.Message)
					}
				}
			}
		})
	}
}

// TestLeastPrivilege: the read-only policy in docs/iam-policy.json is exactly
// what collection calls. Three scans cover every call: the organization with
// named regions, the caller's own account with every enabled region, and
// --deep over a shared AMI backed by an uploaded disk image (the EBS direct
// APIs).
func TestLeastPrivilege(t *testing.T) {
	env := scenario.Run(t, "../scenarios/example-org.yaml")
	called := map[string]bool{}
	base := filepath.Join(t.TempDir(), "base.json")
	_, _, calls, stderr := scan(t, env, regionsFlag(env), "--snapshot-out", base)
	if len(calls) == 0 {
		t.Fatalf("the scan made no call: %s", stderr)
	}
	// An incremental scan from that snapshot reads CloudTrail too.
	_, _, more, _ := scan(t, env, regionsFlag(env), "--baseline", base)
	for _, c := range append(calls, more...) {
		called[c.Service+":"+c.Action] = true
	}
	t.Setenv("AWS_ENDPOINT_URL", env.Endpoint)
	_, _, calls, _ = scanOwnAccount(t, env)
	for _, c := range calls {
		called[c.Service+":"+c.Action] = true
	}

	deep := newDeepEnv(t)
	uploadImage(t, deep.cfg, "least-privilege", diskimage.Spec{FS: diskimage.Ext4, Table: diskimage.GPT, Files: diskimage.Planted()}, true)
	out, stderr, calls := deep.scan(t)
	if !bytes.Contains(out, []byte(`"AMI-008"`)) {
		t.Errorf("scan --deep found nothing on the uploaded image: %s", stderr)
	}
	for _, c := range calls {
		called[c.Service+":"+c.Action] = true
	}

	granted := policyActions(t, "../docs/iam-policy.json")
	for action := range called {
		if !granted[action] {
			t.Errorf("the collector calls %s, which docs/iam-policy.json does not grant", action)
		}
		if !readOnly(action) {
			t.Errorf("the collector calls %s, which is not a read-only action", action)
		}
	}
	for action := range granted {
		if !called[action] {
			t.Errorf("docs/iam-policy.json grants %s, which the collector never calls", action)
		}
	}
	var names []string
	for a := range called {
		names = append(names, a)
	}
	sort.Strings(names)
	t.Logf("actions called: %s", strings.Join(names, " "))
}

// scanOwnAccount scans only the caller's account in every enabled region.
func scanOwnAccount(t *testing.T, env *scenario.Env) (int, report, []proxy.Call, string) {
	t.Helper()
	before := len(env.Proxy.Calls())
	var out, errOut bytes.Buffer
	code := cli.Run([]string{"scan", "--format", "json", "--fail-on", "none", "--concurrency", "16"}, strings.NewReader(""), &out, &errOut)
	if code != 0 {
		t.Fatalf("own-account scan exit %d: %s", code, errOut.String())
	}
	return code, report{}, env.Proxy.Calls()[before:], errOut.String()
}

func readOnly(action string) bool {
	_, name, _ := strings.Cut(action, ":")
	for _, prefix := range []string{"Describe", "Get", "List"} {
		if strings.HasPrefix(name, prefix) {
			return true
		}
	}
	return action == "sts:AssumeRole" || action == "cloudtrail:LookupEvents"
}

func policyActions(t *testing.T, path string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Statement []struct {
			Effect string
			Action []string
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	out := map[string]bool{}
	for _, st := range doc.Statement {
		if st.Effect != "Allow" {
			t.Fatalf("%s: unexpected %s statement", path, st.Effect)
		}
		for _, a := range st.Action {
			if strings.Contains(a, "*") {
				t.Errorf("%s: wildcard action %s is not least privilege", path, a)
			}
			out[a] = true
		}
	}
	return out
}
