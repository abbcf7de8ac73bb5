package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOutputFlagEverywhere: every command that writes a file names it
// --output (-o) in its help; collect, merge and keygen, which said --out
// first, still accept it as a hidden alias that does the same.
func TestOutputFlagEverywhere(t *testing.T) {
	for _, cmd := range []string{"scan", "collect", "evaluate", "gate", "diff", "merge", "keygen", "demo"} {
		code, stdout, stderr := amiaudit(t, "", cmd, "--help")
		if code != 0 {
			t.Fatalf("%s --help: exit %d: %s", cmd, code, stderr)
		}
		if !strings.Contains(stdout, "-o, --output") {
			t.Errorf("%s --help does not offer -o, --output:\n%s", cmd, stdout)
		}
		if strings.Contains(stdout, "--out ") {
			t.Errorf("%s --help still shows --out:\n%s", cmd, stdout)
		}
	}

	dir := t.TempDir()
	shards := shardFiles(t, dir, 2)
	merged := map[string][]byte{}
	for _, flag := range []string{"--output", "--out", "-o"} {
		out := filepath.Join(dir, "merged"+flag+".json")
		if code, _, stderr := amiaudit(t, "", append([]string{"merge", flag, out}, shards...)...); code != 0 {
			t.Fatalf("merge %s: exit %d: %s", flag, code, stderr)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		merged[flag] = data
	}
	if string(merged["--out"]) != string(merged["--output"]) || string(merged["-o"]) != string(merged["--output"]) {
		t.Error("merge writes other bytes through --out or -o than through --output")
	}

	for _, flag := range []string{"--output", "--out"} {
		prefix := filepath.Join(dir, "key"+flag)
		if code, _, stderr := amiaudit(t, "", "keygen", flag, prefix); code != 0 {
			t.Fatalf("keygen %s: exit %d: %s", flag, code, stderr)
		}
		for _, ext := range []string{".key", ".pub"} {
			if _, err := os.Stat(prefix + ext); err != nil {
				t.Errorf("keygen %s: %v", flag, err)
			}
		}
	}

	if code, _, stderr := amiaudit(t, "", "collect"); code != exitUsage || !strings.Contains(stderr, "--output FILE") {
		t.Errorf("collect without --output: exit %d, %q; want a usage error naming --output FILE", code, stderr)
	}
}

// TestOneOutputPath: every command that reports writes through the one output
// path. The --output file's extension picks the format; an extension naming
// a format the command does not write (rules --output r.sarif) is a usage
// error, not a table in a .sarif file; the file is written atomically,
// with nothing on stdout and no temporary left; a --format the command does
// not write is a usage error naming those it does; and a file that cannot be
// written leaves nothing behind.
func TestOneOutputPath(t *testing.T) {
	const plan = "../../examples/terraform-plan.json"
	const allFormats = "table, json, sarif, html, ocsf, asff, junit or csv"
	commands := []struct {
		name   string
		args   []string
		writes string // the formats the command writes, as its refusal lists them
	}{
		{"evaluate", []string{"evaluate", exampleSnapshot, "--config", exampleConfig, "--fail-on", "none"}, allFormats},
		{"report", []string{"report", exampleSnapshot, "--config", exampleConfig, "--fail-on", "none"}, allFormats},
		{"demo", []string{"demo"}, allFormats},
		{"gate", []string{"gate", "--snapshot", exampleSnapshot, "--plan", plan, "--region", "us-east-1", "--config", exampleConfig, "--fail-on", "none"}, allFormats},
		{"diff", []string{"diff", exampleSnapshot, exampleSnapshot, "--fail-on", "none"}, "table or json"},
		{"rules", []string{"rules"}, "table or json"},
		{"rules --builtins", []string{"rules", "--builtins"}, "table or json"},
	}
	for _, c := range commands {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			run := func(extra ...string) (int, string, string) {
				return amiaudit(t, "", append(append([]string{}, c.args...), extra...)...)
			}
			// Written to stdout, the table; the same bytes as --output x.txt.
			code, stdout, stderr := run()
			if code != 0 || json.Valid([]byte(stdout)) || stdout == "" {
				t.Fatalf("stdout: exit %d, stderr %s, output not a table: %.200s", code, stderr, stdout)
			}
			reportFamily := c.writes == allFormats
			for name, want := range map[string]string{
				"out.json":  "json",
				"out.txt":   "table",
				"out.sarif": map[bool]string{true: "sarif", false: "refused"}[reportFamily],
			} {
				path := filepath.Join(dir, name)
				if want == "refused" {
					// The name asks for a format the command does not write: a
					// usage error saying what it writes, and no file.
					code, out, stderr := run("--output", path)
					if code != exitUsage || out != "" || !strings.Contains(stderr, "--output "+path) || !strings.Contains(stderr, "writes "+c.writes) || !strings.Contains(stderr, ".txt or .json") {
						t.Errorf("--output %s: exit %d, stdout %q, stderr %q; want a usage error saying the command writes %s", name, code, out, stderr, c.writes)
					}
					if _, err := os.Stat(path); err == nil {
						t.Errorf("--output %s: the file was written", name)
					}
					continue
				}
				code, out, stderr := run("--output", path)
				if code != 0 || out != "" {
					t.Fatalf("--output %s: exit %d, stdout %q, stderr %s", name, code, out, stderr)
				}
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				switch want {
				case "json":
					if !json.Valid(data) {
						t.Errorf("--output %s: not JSON: %.200s", name, data)
					}
				case "sarif":
					if !strings.Contains(string(data), `"version": "2.1.0"`) {
						t.Errorf("--output %s: not SARIF: %.200s", name, data)
					}
				case "table":
					if string(data) != stdout {
						t.Errorf("--output %s: not the table written to stdout:\n%.300s", name, data)
					}
				}
			}
			entries, _ := os.ReadDir(dir)
			if written := map[bool]int{true: 3, false: 2}[reportFamily]; len(entries) != written {
				t.Errorf("the directory holds %d entries, want the %d files written (no temporaries)", len(entries), written)
			}

			code, stdout, stderr = run("--format", "xml", "--output", filepath.Join(dir, "out.json"))
			if code != exitUsage || stdout != "" || !strings.Contains(stderr, "--format") || !strings.Contains(stderr, c.writes+`, not "xml"`) {
				t.Errorf("--format xml: exit %d, stderr %q; want a usage error listing %s", code, stderr, c.writes)
			}

			missing := filepath.Join(dir, "missing", "out.json")
			code, _, stderr = run("--output", missing)
			if code == 0 || !strings.Contains(stderr, "write") || !strings.Contains(stderr, missing) {
				t.Errorf("--output in a missing directory: exit %d, stderr %q", code, stderr)
			}
			if _, err := os.Stat(filepath.Dir(missing)); err == nil {
				t.Error("the missing directory was created")
			}
		})
	}
}

// TestFailOnHelpNamesTheScale: --fail-on's help lists the severity scale the
// finding package defines, highest first, and "none"; its default is high.
// demo alone defaults to none (a demo shows findings, it does not gate).
func TestFailOnHelpNamesTheScale(t *testing.T) {
	for cmd, want := range map[string]string{
		"evaluate": "exit 1 when an unwaived finding is at or above this severity: critical, high, medium, low, info, or none (default \"high\")",
		"scan":     "exit 1 when an unwaived finding is at or above this severity: critical, high, medium, low, info, or none (default \"high\")",
		"diff":     "exit 1 when a new unwaived finding is at or above this severity: critical, high, medium, low, info, or none (default \"high\")",
		"demo":     "exit 1 when an unwaived finding is at or above this severity: critical, high, medium, low, info, or none (default \"none\")",
	} {
		code, stdout, stderr := amiaudit(t, "", cmd, "--help")
		if code != 0 {
			t.Fatalf("%s --help: exit %d: %s", cmd, code, stderr)
		}
		if !strings.Contains(strings.Join(strings.Fields(stdout), " "), want) {
			t.Errorf("%s --help: --fail-on does not read %q:\n%s", cmd, want, stdout)
		}
	}
}
