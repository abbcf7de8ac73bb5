package cli

import (
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
