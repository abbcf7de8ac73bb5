package cli

import (
	"strings"
	"testing"
)

// flagLine returns the line of a command's --help that documents flag.
func flagLine(t *testing.T, help, flag string) string {
	t.Helper()
	for _, line := range strings.Split(help, "\n") {
		if strings.Contains(line, flag+" ") && strings.HasPrefix(strings.TrimSpace(line), "-") {
			return line
		}
	}
	return ""
}

// TestHelpSaysWhatEachCommandDoes: a flag shared by several commands says,
// in each command's --help, what it does there: gate has no --deep-all (it
// reads every gated AMI it owns anyway); --max-duration prints its default
// once and says that the gate fails closed while collect writes and scan
// writes and evaluates; --baseline speaks of incremental collection only on
// scan; report matches baseline findings as diff does (by key).
func TestHelpSaysWhatEachCommandDoes(t *testing.T) {
	help := map[string]string{}
	for _, cmd := range []string{"gate", "scan", "collect", "evaluate", "report"} {
		code, stdout, stderr := amiaudit(t, "", cmd, "--help")
		if code != 0 {
			t.Fatalf("%s --help: exit %d: %s", cmd, code, stderr)
		}
		help[cmd] = stdout
	}

	if strings.Contains(help["gate"], "--deep-all") {
		t.Error("gate --help offers --deep-all, which the gate ignores")
	}
	if code, _, stderr := amiaudit(t, "", "gate", "--deep", "--deep-all", "--snapshot", exampleSnapshot, "--image", "ami-0a1b2c3d4e5f60001", "--public"); code != exitUsage || !strings.Contains(stderr, "deep-all") {
		t.Errorf("gate --deep-all: exit %d, %q; want a usage error (unknown flag)", code, stderr)
	}
	if flagLine(t, help["scan"], "--deep-all") == "" {
		t.Error("scan --help lost --deep-all")
	}

	for cmd, want := range map[string][]string{
		"gate":    {"fails closed (exit 3)", "(default 5m0s)"},
		"scan":    {"default: no limit", "written and evaluated"},
		"collect": {"default: no limit", "what was read is written"},
	} {
		line := flagLine(t, help[cmd], "--max-duration")
		for _, w := range want {
			if !strings.Contains(line, w) {
				t.Errorf("%s --max-duration help %q does not say %q", cmd, line, w)
			}
		}
		if n := strings.Count(line, "default"); n != 1 {
			t.Errorf("%s --max-duration help gives its default %d times: %q", cmd, n, line)
		}
		if cmd != "scan" && strings.Contains(line, "written and evaluated") {
			t.Errorf("%s --max-duration help says the rest is evaluated: %q", cmd, line)
		}
	}

	for _, cmd := range []string{"evaluate", "report"} {
		line := flagLine(t, help[cmd], "--baseline")
		if line == "" || strings.Contains(line, "scan") || strings.Contains(line, "incremental") {
			t.Errorf("%s --baseline help speaks of another command's behaviour: %q", cmd, line)
		}
	}
	if line := flagLine(t, help["scan"], "--baseline"); !strings.Contains(line, "incremental collection") || strings.Contains(line, "on scan") {
		t.Errorf("scan --baseline help %q does not say, as scan's own, that it starts the incremental collection", line)
	}

	if !strings.Contains(help["report"], "same rule, resource ARN and key") {
		t.Error("report --help says baseline findings are matched by message, but diff (finding.Compare) matches them by key")
	}
	if strings.Contains(help["collect"], "and reported as SCAN-001") {
		t.Error("collect --help says it reports SCAN-001: it writes a snapshot, evaluate reports")
	}
}
