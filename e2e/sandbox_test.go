package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/amiaudit/amiaudit/internal/regotest"
	"github.com/amiaudit/amiaudit/rules"
	"github.com/amiaudit/amiaudit/testbed/scenario"
)

// userPolicy writes a user rule that reports every image it sees, after the
// first line body.
func userPolicy(t *testing.T, body string) (dir, file string) {
	t.Helper()
	dir = t.TempDir()
	file = filepath.Join(dir, "team.rego")
	src := fmt.Sprintf(`# METADATA
# title: Team rule
# custom:
#   id: TEAM-001
#   severity: low
package amiaudit.rules.team.images

findings contains f if {
	%s
	some img in input.images
	f := {
		"resource": {"type": "ami", "id": img.id, "arn": img.arn, "account": img.account, "region": img.region},
		"message": sprintf("AMI %%s seen by the team rule.", [img.id]),
	}
}
`, body)
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, filepath.ToSlash(file)
}

// TestSandboxScanAndGate: against moto, 'scan' and 'gate' refuse a user
// policy that calls a refused builtin, one case per builtin and command: exit
// 2, one line naming the file, line, builtin and why, and not one AWS call
// made. A user policy of ordinary builtins runs and reports in both.
func TestSandboxScanAndGate(t *testing.T) {
	env := scenario.Run(t, "../scenarios/gate.yaml")
	sandbox := rules.CurrentSandbox()
	gateArgs := []string{"--image", env.Seeded.Images["plain"], "--share-with", env.Seeded.Accounts["member"]}
	for _, name := range sandbox.RefusedNames() {
		dir, file := userPolicy(t, "x := "+regotest.BuiltinCall(t, name))
		want := fmt.Sprintf("amiaudit: %s:9:7: builtin %s is not allowed: %s; ", file, name, sandbox.Refused[name])
		check := func(t *testing.T, code int, stderr string, calls int) {
			t.Helper()
			if code != 2 {
				t.Fatalf("exit %d, want 2: %s", code, stderr)
			}
			if !strings.HasPrefix(stderr, want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr %q, want one line starting %q", stderr, want)
			}
			if calls != 0 {
				t.Errorf("%d AWS calls were made before the policy was refused", calls)
			}
		}
		t.Run("scan/"+name, func(t *testing.T) {
			code, _, calls, stderr := scan(t, env, regionsFlag(env), "--policy", dir)
			check(t, code, stderr, len(calls))
		})
		t.Run("gate/"+name, func(t *testing.T) {
			code, _, calls, stderr := gateRun(t, env, env.Proxy, append(gateArgs, "--policy", dir)...)
			check(t, code, stderr, len(calls))
		})
	}

	dir, _ := userPolicy(t, `regex.match("^ami-", "ami-1")
	time.parse_rfc3339_ns(input.collected_at) == input.now_ns`)
	t.Run("scan/ordinary", func(t *testing.T) {
		code, r, _, stderr := scan(t, env, regionsFlag(env), "--policy", dir)
		if code != 0 {
			t.Fatalf("scan exit %d: %s", code, stderr)
		}
		n := 0
		for _, f := range r.Findings {
			if f.RuleID == "TEAM-001" {
				n++
			}
		}
		if n != len(env.Seeded.Images) {
			t.Errorf("%d TEAM-001 findings, want one per image (%d)", n, len(env.Seeded.Images))
		}
	})
	t.Run("gate/ordinary", func(t *testing.T) {
		code, r, _, stderr := gateRun(t, env, env.Proxy, append(gateArgs, "--policy", dir, "--fail-on", "none")...)
		if code != 0 {
			t.Fatalf("gate exit %d: %s", code, stderr)
		}
		if !r.has("TEAM-001", env.Seeded.Images["plain"]) {
			t.Errorf("the gate report has no TEAM-001 finding on the gated image: %v", r.rules())
		}
	})
}
