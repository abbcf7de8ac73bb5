package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/amiaudit/amiaudit/internal/cli"
	"github.com/amiaudit/amiaudit/testbed/proxy"
	"github.com/amiaudit/amiaudit/testbed/scenario"
)

// chaosScan runs 'amiaudit scan' against env with the proxy's faults set to
// faults for the scan only (the credentials are fetched before, fault-free),
// and returns the exit code, the report, stderr and the wall time.
func chaosScan(t *testing.T, env *scenario.Env, faults []proxy.Fault, extra ...string) (int, report, string, time.Duration) {
	t.Helper()
	for _, kv := range env.Environ(t) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("CI", "true")
	if err := env.Proxy.SetFaults(faults); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = env.Proxy.SetFaults(nil) }()
	args := append([]string{"scan", "--format", "json", "--fail-on", "none", "--role", accessRole, "--org", regionsFlag(env)}, extra...)
	var out, errOut bytes.Buffer
	start := time.Now()
	code := cli.Run(args, strings.NewReader(""), &out, &errOut)
	took := time.Since(start)
	var r report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("exit %d, report is not JSON: %v\nstderr: %s", code, err, errOut.String())
	}
	return code, r, errOut.String(), took
}

// verdicts lists a report's findings as comparable lines, leaving out those
// whose resource is in the skipped account-region and SCAN-001.
func verdicts(r report, skipAccount, skipRegion string) []string {
	var out []string
	for _, f := range r.Findings {
		if f.RuleID == "SCAN-001" || (f.Resource.Account == skipAccount && f.Resource.Region == skipRegion) {
			continue
		}
		out = append(out, fmt.Sprintf("%s %s %s: %s", f.RuleID, f.Severity, f.Resource.ARN, f.Message))
	}
	sort.Strings(out)
	return out
}

func scanFindings(r report) []string {
	var out []string
	for _, f := range r.Findings {
		if f.RuleID == "SCAN-001" {
			out = append(out, f.Resource.Account+"/"+f.Resource.Region+" "+f.Message)
		}
	}
	return out
}

func diffLines(a, b []string) string {
	in := func(s []string) map[string]bool {
		m := map[string]bool{}
		for _, x := range s {
			m[x] = true
		}
		return m
	}
	ma, mb := in(a), in(b)
	var d []string
	for _, x := range a {
		if !mb[x] {
			d = append(d, "- "+x)
		}
	}
	for _, x := range b {
		if !ma[x] {
			d = append(d, "+ "+x)
		}
	}
	return strings.Join(d, "\n")
}

// TestChaos scans the example organization (3 accounts × 2 regions) through
// the fault proxy: once cleanly, then with the faults an on-call engineer
// meets at night, and compares the verdicts.
func TestChaos(t *testing.T) {
	env := scenario.Run(t, "../scenarios/example-org.yaml")
	code, clean, stderr, _ := chaosScan(t, env, nil)
	if code != 0 || len(scanFindings(clean)) != 0 {
		t.Fatalf("fault-free scan: exit %d, SCAN-001 %v\n%s", code, scanFindings(clean), stderr)
	}
	factory := env.Seeded.Accounts["acme-image-factory"]

	// (a) The endpoint goes away for one account-region a few calls into
	// its read: connections are reset from then on. That account-region is
	// abandoned within seconds, reported once as SCAN-001, and every other
	// account-region is judged exactly as without the fault.
	t.Run("endpoint dies for one account-region", func(t *testing.T) {
		code, r, stderr, took := chaosScan(t, env, []proxy.Fault{{Account: factory, Region: "eu-west-1", Kind: proxy.FaultReset, After: 3}})
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		// Generous: without the breaker this run retried every remaining
		// call 8 times with backoff, minutes for this scenario.
		if took > 60*time.Second {
			t.Errorf("scan took %v with one dead account-region", took)
		}
		gaps := scanFindings(r)
		if len(gaps) != 1 || !strings.HasPrefix(gaps[0], factory+"/eu-west-1 ") || !strings.Contains(gaps[0], "EndpointUnreachable") {
			t.Errorf("SCAN-001 findings %q, want one EndpointUnreachable for %s/eu-west-1", gaps, factory)
		}
		if d := diffLines(verdicts(clean, factory, "eu-west-1"), verdicts(r, factory, "eu-west-1")); d != "" {
			t.Errorf("other account-regions judged differently:\n%s", d)
		}
	})

	// (b) A seeded 5% of calls fail: HTTP 500, connection resets, and 30 s
	// stalls that only the per-call timeout ends. Every call is retried
	// through: the verdicts equal the fault-free run's, nothing is missing.
	t.Run("random faults", func(t *testing.T) {
		faults := []proxy.Fault{
			// One draw per call: below 0.02 an error, below 0.035 a reset, below 0.05 a stall.
			{Kind: proxy.FaultError, Code: "InternalError", Probability: 0.02},
			{Kind: proxy.FaultReset, Probability: 0.035},
			{Kind: proxy.FaultStall, Stall: 30 * time.Second, Probability: 0.05},
		}
		code, r, stderr, _ := chaosScan(t, env, faults, "--call-timeout", "2s")
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		if gaps := scanFindings(r); len(gaps) != 0 {
			t.Errorf("SCAN-001 under transient faults: %q", gaps)
		}
		if d := diffLines(verdicts(clean, "", ""), verdicts(r, "", "")); d != "" {
			t.Errorf("verdicts differ from the fault-free run:\n%s", d)
		}
		faulted := 0
		for _, c := range env.Proxy.Calls() {
			if c.Fault != "" {
				faulted++
			}
		}
		if faulted == 0 {
			t.Error("no call was faulted: the test proves nothing")
		}
	})

	// (c) The run's deadline passes mid-run (the client paces itself to 4
	// calls a second): the snapshot is written complete, with a SCAN-001 for
	// each account-region it did not finish, and the exit code follows
	// --fail-on.
	t.Run("max duration", func(t *testing.T) {
		snap := filepath.Join(t.TempDir(), "snapshot.json")
		code, r, stderr, took := chaosScan(t, env, nil, "--max-duration", "3s", "--api-rate", "4", "--api-burst", "2", "--snapshot-out", snap)
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		if took > 45*time.Second {
			t.Errorf("scan took %v with --max-duration 3s", took)
		}
		gaps := scanFindings(r)
		if len(gaps) == 0 {
			t.Fatal("no SCAN-001 after the deadline passed")
		}
		for _, g := range gaps {
			if !strings.Contains(g, "MaxDurationExceeded") {
				t.Errorf("SCAN-001 %q, want MaxDurationExceeded", g)
			}
		}
		var doc struct {
			Scope          struct{ Accounts, Regions []string }
			AccountRegions []json.RawMessage `json:"account_regions"`
			Errors         []struct{ Code string }
		}
		data, err := os.ReadFile(snap)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		if len(doc.Errors) != len(gaps) || len(doc.Scope.Accounts) != 3 {
			t.Errorf("snapshot: %d errors for %d SCAN-001, scope %v", len(doc.Errors), len(gaps), doc.Scope.Accounts)
		}
		// With the failing threshold at high, the gaps fail the run (exit 1).
		code, _, _, _ = chaosScan(t, env, nil, "--max-duration", "3s", "--api-rate", "4", "--api-burst", "2", "--fail-on", "high")
		if code != 1 {
			t.Errorf("exit %d with SCAN-001 findings and --fail-on high, want 1", code)
		}
	})
}

// A gate whose deadline passes before it has read what the decision needs
// fails closed (exit 3) with SCAN-001, as for any other gap; and a gate
// against an endpoint that hangs is ended by its per-call timeout and
// breaker, not by the pipeline's own timeout.
func TestGateDeadline(t *testing.T) {
	env := scenario.Run(t, "../scenarios/gate.yaml")
	ami := env.Seeded.Images["shared-cmk"]
	share := []string{"--image", ami, "--share-with", env.Seeded.Accounts["member"]}

	t.Run("max duration", func(t *testing.T) {
		code, r, _, stderr := gateRun(t, env, env.Proxy, append(share, "--max-duration", "1ns")...)
		if code != 3 {
			t.Fatalf("exit %d, want 3; findings %v; %s", code, r.rules(), stderr)
		}
		found := false
		for _, f := range r.Findings {
			found = found || (f.RuleID == "SCAN-001" && strings.Contains(f.Message, "MaxDurationExceeded"))
		}
		if !found {
			t.Errorf("no SCAN-001 for the deadline: %v", r.rules())
		}
	})

	t.Run("hung endpoint", func(t *testing.T) {
		p, err := proxy.Start(proxy.Config{Upstream: env.Moto.URL(), Faults: []proxy.Fault{{Action: "DescribeImages", Kind: proxy.FaultStall, Stall: time.Minute}}})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		start := time.Now()
		code, r, _, stderr := gateRun(t, env, p, append(share, "--call-timeout", "500ms")...)
		if code != 3 {
			t.Fatalf("exit %d, want 3; findings %v; %s", code, r.rules(), stderr)
		}
		if d := time.Since(start); d > 45*time.Second {
			t.Errorf("gate took %v against a hung endpoint", d)
		}
	})
}

// A --role that no account in the scope lets the scanner assume is a
// first-run mistake: one line that says so and what to do, exit 3.
func TestRoleCannotBeAssumed(t *testing.T) {
	env := scenario.Run(t, "../scenarios/example-org.yaml")
	members := env.Seeded.Accounts["acme-image-factory"] + "," + env.Seeded.Accounts["acme-prod-workloads"]
	for _, kv := range env.Environ(t) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("CI", "true")
	if err := env.Proxy.SetFaults([]proxy.Fault{{Action: "sts:AssumeRole", Code: "AccessDenied"}}); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := cli.Run([]string{"scan", "--format", "json", "--accounts", members, "--role", "amiaudit-reader", regionsFlag(env)}, strings.NewReader(""), &out, &errOut)
	lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
	stderr := lines[len(lines)-1] // after the log lines, the error: one line
	if code != 3 || !strings.HasPrefix(stderr, "amiaudit: ") {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut.String())
	}
	for _, part := range []string{`role "amiaudit-reader" could not be assumed in any account (AccessDenied)`, "docs/deploy", "--external-id"} {
		if !strings.Contains(stderr, part) {
			t.Errorf("message %q lacks %q", stderr, part)
		}
	}
}
