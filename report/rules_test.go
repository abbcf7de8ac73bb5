package report

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/amiaudit/amiaudit/finding"
)

var listedRules = []finding.Rule{
	{ID: "AMI-001", Severity: finding.Critical, Title: "AMI is public", Source: "policies/ami/public.rego", Package: "amiaudit.rules.ami.public"},
	// A user's rule whose title and file name carry a terminal escape.
	{ID: "ORG-001", Severity: finding.Low, Title: "Owner tag \x1b[2Jmissing", Source: "team-rules/owner\x1b]0;x\x07.rego"},
}

func TestWriteRulesTable(t *testing.T) {
	var b strings.Builder
	if err := WriteRules(&b, listedRules, "table"); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	lines := strings.Split(out, "\n")
	header := lines[1]
	for i, col := range rulesHeader {
		at := strings.Index(header, col)
		if at < 0 {
			t.Fatalf("header %q lacks %s", header, col)
		}
		if i > 0 && at < strings.Index(header, rulesHeader[i-1]) {
			t.Errorf("header %q: %s before %s", header, col, rulesHeader[i-1])
		}
	}
	// One rule a line: grep for an ID gives its file.
	var row string
	for _, l := range lines {
		if strings.Contains(l, "AMI-001") {
			if row != "" {
				t.Errorf("AMI-001 on two lines:\n%s", out)
			}
			row = l
		}
	}
	if !strings.Contains(row, "policies/ami/public.rego") || !strings.Contains(row, "AMI is public") || !strings.Contains(row, "critical") {
		t.Errorf("AMI-001 row %q lacks its severity, title or source", row)
	}
	if strings.ContainsAny(out, "\x1b\x07") {
		t.Errorf("a control character reached the table:\n%q", out)
	}
	if !strings.Contains(out, `Owner tag \x1b[2Jmissing`) {
		t.Errorf("the escape is not shown as text:\n%s", out)
	}
}

func TestWriteRulesJSON(t *testing.T) {
	var b strings.Builder
	if err := WriteRules(&b, listedRules, "JSON"); err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal([]byte(b.String()), &got); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if len(got) != 2 || got[0]["source"] != "policies/ami/public.rego" || got[0]["package"] != "amiaudit.rules.ami.public" {
		t.Errorf("JSON rules %v", got)
	}
	if !strings.HasPrefix(b.String(), "[\n  {\n    \"id\": \"AMI-001\",") {
		t.Errorf("not indented by two spaces:\n%s", b.String())
	}
}

func TestWriteBuiltins(t *testing.T) {
	b := Builtins{Digest: "sha256:abc", Allowed: []string{"count", "sprintf"}, Refused: map[string]string{"time.now_ns": "it reads the clock", "http.send": "it reaches the network"}}
	var out strings.Builder
	if err := WriteBuiltins(&out, b, "table"); err != nil {
		t.Fatal(err)
	}
	want := "refused  http.send    it reaches the network\n" +
		"refused  time.now_ns  it reads the clock\n" +
		"allowed  count\n" +
		"allowed  sprintf\n"
	if out.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", out.String(), want)
	}
	out.Reset()
	if err := WriteBuiltins(&out, b, "json"); err != nil {
		t.Fatal(err)
	}
	var got Builtins
	if err := json.Unmarshal([]byte(out.String()), &got); err != nil {
		t.Fatal(err)
	}
	if got.Digest != b.Digest || len(got.Allowed) != 2 || got.Refused["http.send"] != b.Refused["http.send"] {
		t.Errorf("JSON %+v", got)
	}
}

type failingWriter struct{}

func (*failingWriter) Write([]byte) (int, error) {
	return 0, errors.New("disk full")
}

func TestWriteListsErrors(t *testing.T) {
	if err := WriteRules(&strings.Builder{}, listedRules, "sarif"); err == nil || !strings.Contains(err.Error(), "table or json") {
		t.Errorf("WriteRules sarif: %v", err)
	}
	if err := WriteBuiltins(&strings.Builder{}, Builtins{}, "csv"); err == nil || !strings.Contains(err.Error(), "table or json") {
		t.Errorf("WriteBuiltins csv: %v", err)
	}
	for _, format := range []string{"table", "json"} {
		w := &failingWriter{}
		if err := WriteRules(w, listedRules, format); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("WriteRules %s to a failing writer: %v", format, err)
		}
		w = &failingWriter{}
		if err := WriteBuiltins(w, Builtins{Allowed: []string{"count"}}, format); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("WriteBuiltins %s to a failing writer: %v", format, err)
		}
	}
}
