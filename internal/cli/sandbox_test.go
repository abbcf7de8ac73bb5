package cli

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/amiaudit/amiaudit/internal/regotest"
	"github.com/amiaudit/amiaudit/rules"
)

// sandboxPolicy writes a user rule whose findings rule starts with body.
func sandboxPolicy(t *testing.T, id, body string) (dir, file string) {
	t.Helper()
	dir = t.TempDir()
	file = filepath.Join(dir, "custom.rego")
	src := fmt.Sprintf(`# METADATA
# title: Custom rule %[1]s
# custom:
#   id: %[1]s
#   severity: high
package amiaudit.rules.custom.sandbox

findings contains f if {
	%[2]s
	some img in input.shared_images
	f := {
		"resource": {"type": "ami", "id": img.id, "arn": img.arn, "account": img.account, "region": img.region},
		"message": sprintf("AMI %%s is shared.", [img.id]),
	}
}
`, id, body)
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, filepath.ToSlash(file)
}

// TestSandboxRefusesBuiltins: a user policy that calls a refused builtin
// stops evaluate and gate with exit 2, one line on stderr naming the file,
// line, column and builtin and saying why, no report on stdout and no output
// file. One case per refused builtin and command.
func TestSandboxRefusesBuiltins(t *testing.T) {
	sandbox := rules.CurrentSandbox()
	commands := map[string][]string{
		"evaluate": {"evaluate", exampleSnapshot, "--format", "json"},
		"gate":     {"gate", "--snapshot", exampleSnapshot, "--region", "us-east-1", "--image", "ami-0a1b2c3d4e5f60001", "--share-with", "111122223333", "--format", "json"},
		"rules":    {"rules"},
	}
	for _, name := range sandbox.RefusedNames() {
		for cmd, args := range commands {
			t.Run(cmd+"/"+name, func(t *testing.T) {
				dir, file := sandboxPolicy(t, "ORG-900", "x := "+regotest.BuiltinCall(t, name))
				out := filepath.Join(t.TempDir(), "report.json")
				full := append(append([]string{}, args...), "--policy", dir)
				if cmd != "rules" {
					full = append(full, "--output", out)
				}
				code, stdout, stderr := amiaudit(t, "", full...)
				if code != exitUsage {
					t.Fatalf("exit %d, want 2; stderr %q", code, stderr)
				}
				want := fmt.Sprintf("amiaudit: %s:9:7: builtin %s is not allowed: %s; ", file, name, sandbox.Refused[name])
				if !strings.HasPrefix(stderr, want) || !strings.HasSuffix(stderr, "(see docs/writing-rules.md#sandbox)\n") || strings.Count(stderr, "\n") != 1 {
					t.Errorf("stderr %q, want one line starting %q", stderr, want)
				}
				if stdout != "" {
					t.Errorf("stdout %q, want nothing", stdout)
				}
				if _, err := os.Stat(out); !os.IsNotExist(err) {
					t.Errorf("%s was written (%v)", out, err)
				}
			})
		}
	}
}

// TestSandboxOrdinaryPolicyRuns: a user policy made of ordinary builtins
// loads, runs and reports in evaluate and gate.
func TestSandboxOrdinaryPolicyRuns(t *testing.T) {
	dir, _ := sandboxPolicy(t, "ORG-901", `regex.match("^[0-9]{12}$", "123456789012")
	uuid.parse("00000000-0000-4000-8000-000000000000").version == 4
	time.parse_rfc3339_ns(input.collected_at) == input.now_ns`)
	for name, args := range map[string][]string{
		"evaluate": {"evaluate", exampleSnapshot, "--format", "json", "--policy", dir},
		"gate":     {"gate", "--snapshot", exampleSnapshot, "--region", "us-east-1", "--image", "ami-0a1b2c3d4e5f60001", "--share-with", "111122223333", "--format", "json", "--policy", dir},
	} {
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := amiaudit(t, "", args...)
			if code != exitFindings {
				t.Fatalf("exit %d, want 1; stderr %q", code, stderr)
			}
			if !strings.Contains(stdout, `"rule_id": "ORG-901"`) {
				t.Errorf("the report has no ORG-901 finding:\n%s", stdout)
			}
		})
	}
}

// TestRulesBuiltinsListsSandbox: 'amiaudit rules --builtins' prints what a
// policy may call and what it may not, and why.
func TestRulesBuiltinsListsSandbox(t *testing.T) {
	code, out, stderr := amiaudit(t, "", "rules", "--builtins")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	sandbox := rules.CurrentSandbox()
	for _, name := range sandbox.Callable() {
		if !regexp.MustCompile(`(?m)^allowed\s+` + regexp.QuoteMeta(name) + `$`).MatchString(out) {
			t.Errorf("%s is not listed as allowed", name)
		}
	}
	for _, name := range []string{"any", "internal.print"} {
		if strings.Contains(out, " "+name+"\n") {
			t.Errorf("%s is listed, but Rego v1 policies cannot call it", name)
		}
	}
	for _, name := range sandbox.RefusedNames() {
		if !regexp.MustCompile(`(?m)^refused\s+` + regexp.QuoteMeta(name) + `\s+` + regexp.QuoteMeta(sandbox.Refused[name]) + `$`).MatchString(out) {
			t.Errorf("%s is not listed as refused with its reason", name)
		}
	}
}

// TestPolicyDataReachesUserRules: the configuration's policy_data is where a
// user rule gets the values it may not fetch; it arrives as
// input.config.policy_data.
func TestPolicyDataReachesUserRules(t *testing.T) {
	dir := t.TempDir()
	rule := `# METADATA
# title: Shared AMI not on the approved list
# custom:
#   id: ORG-902
#   severity: medium
package amiaudit.rules.custom.approved

findings contains f if {
	some img in input.shared_images
	not img.id in input.config.policy_data.approved_images
	f := {
		"resource": {"type": "ami", "id": img.id, "arn": img.arn, "account": img.account, "region": img.region},
		"message": sprintf("AMI %s is shared but not approved.", [img.id]),
	}
}
`
	if err := os.WriteFile(filepath.Join(dir, "approved.rego"), []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "amiaudit.yaml")
	if err := os.WriteFile(cfg, []byte("policy_data:\n  approved_images: [ami-0a1b2c3d4e5f60001]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := amiaudit(t, "", "evaluate", exampleSnapshot, "--format", "json", "--fail-on", "none", "--policy", dir, "--config", cfg)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, `"rule_id": "ORG-902"`) {
		t.Fatalf("no ORG-902 finding:\n%s", stdout)
	}
	if strings.Contains(stdout, `"message": "AMI ami-0a1b2c3d4e5f60001 is shared but not approved."`) {
		t.Error("the approved image, listed in policy_data, was reported")
	}
}

// TestPrintIsDiscarded: print() in a policy is accepted and goes nowhere,
// not to stdout (the report) nor to stderr (CI logs), even with --verbose:
// a rule's findings are its only output.
func TestPrintIsDiscarded(t *testing.T) {
	dir, _ := sandboxPolicy(t, "ORG-903", `print("PRINTED-BY-POLICY", count(input.images))`)
	for _, verbose := range []bool{false, true} {
		args := []string{"evaluate", exampleSnapshot, "--format", "json", "--fail-on", "none", "--policy", dir}
		if verbose {
			args = append(args, "--verbose")
		}
		code, stdout, stderr := amiaudit(t, "", args...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if !strings.Contains(stdout, `"rule_id": "ORG-903"`) {
			t.Errorf("the rule with print did not run")
		}
		if strings.Contains(stdout+stderr, "PRINTED-BY-POLICY") {
			t.Errorf("print output escaped (verbose=%v)", verbose)
		}
	}
}

// TestNoConnectionFromPolicy: a policy that would post the inventory to a
// listener on this machine is refused by evaluate and gate, and the listener
// sees no connection (the rules package shows the same listener does see
// OPA's request when the sandbox is off: TestNoNetworkWhileEvaluating).
func TestNoConnectionFromPolicy(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	dir, _ := sandboxPolicy(t, "ORG-904", fmt.Sprintf(`http.send({"method": "POST", "url": "http://%s/", "body": input.images})`, ln.Addr()))
	for _, args := range [][]string{
		{"evaluate", exampleSnapshot, "--policy", dir},
		{"gate", "--snapshot", exampleSnapshot, "--region", "us-east-1", "--image", "ami-0a1b2c3d4e5f60001", "--public", "--policy", dir},
	} {
		code, _, stderr := amiaudit(t, "", args...)
		if code != exitUsage || !strings.Contains(stderr, "builtin http.send is not allowed") {
			t.Errorf("%s: exit %d, stderr %q", args[0], code, stderr)
		}
	}
	time.Sleep(50 * time.Millisecond)
	if n := accepted.Load(); n != 0 {
		t.Fatalf("%d connections reached the listener", n)
	}
}

// TestUserPolicyCannotExtendBuiltin: a --policy file that adds a clause to
// the built-in trust model stops evaluate with exit 2 and one line, instead
// of silencing AMI-002.
func TestUserPolicyCannotExtendBuiltin(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "trust.rego")
	if err := os.WriteFile(file, []byte("package amiaudit.lib.trust\n\naccount_trusted(_) if true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := amiaudit(t, "", "evaluate", exampleSnapshot, "--format", "json", "--policy", dir)
	want := "amiaudit: " + filepath.ToSlash(file) + ":1:1: package amiaudit.lib.trust belongs to amiaudit's built-in policies"
	if code != exitUsage || stdout != "" || !strings.HasPrefix(stderr, want) || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("exit %d, stdout %q, stderr %q; want exit 2 and %q…", code, stdout, stderr, want)
	}
}
