package rules

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/version"
)

// The sandbox: every policy, built-in or user-supplied, is compiled with an
// OPA capabilities set that leaves out each builtin that reaches outside the
// evaluation or whose result is not a function of its arguments (the network,
// the clock, randomness, the host). A policy that calls one is refused at
// load, so nothing it could send ever leaves the machine, and an evaluation
// can be reproduced from the snapshot, the configuration and the policy
// digest alone.
//
// The refused set is derived, not hand-kept: OPA marks such builtins
// Nondeterministic in its capability metadata (http.send, net.lookup_ip_addr,
// opa.runtime, time.now_ns, rand.intn, uuid.rfc4122, …), and a builtin that an
// amiaudit package registers with rego.RegisterBuiltin is judged by the same
// flag. OPA documents capabilities as the way an embedding program restricts
// the builtins policies may use:
// https://www.openpolicyagent.org/docs/deployments/#capabilities
//
// SandboxDoc is the section of docs/writing-rules.md that explains it.
const SandboxDoc = "docs/writing-rules.md#sandbox"

// unflaggedClockBuiltins are builtins that read the wall clock although OPA
// does not mark them Nondeterministic: they verify an X.509 chain at the
// current time (Go's x509.VerifyOptions with a zero CurrentTime, as OPA's
// topdown/crypto.go calls it). Only entries OPA does not flag belong here;
// TestSandboxSupplementIsNeeded fails when OPA starts flagging one.
var unflaggedClockBuiltins = []string{
	"crypto.x509.parse_and_verify_certificates",
	"crypto.x509.parse_and_verify_certificates_with_options",
}

// Why a refused builtin is refused, for the load error and the docs. A builtin
// OPA flags that is not named here gets the generic reason: the list of
// refused builtins never depends on this table, only the wording does.
var refusalReasons = map[string]string{
	"http.send":               "it reaches the network",
	"net.lookup_ip_addr":      "it reaches the network (DNS)",
	"json.verify_schema":      "it may fetch remote $ref schemas over the network",
	"json.match_schema":       "it may fetch remote $ref schemas over the network",
	"opa.runtime":             "it exposes the host's environment and runtime configuration",
	"time.now_ns":             "it reads the clock, so the result depends on when amiaudit ran",
	"io.jwt.decode_verify":    "it checks expiry against the clock",
	"rand.intn":               "it returns random numbers",
	"uuid.rfc4122":            "it returns random UUIDs",
	"io.jwt.encode_sign":      "its signatures use random numbers",
	"io.jwt.encode_sign_raw":  "its signatures use random numbers",
	unflaggedClockBuiltins[0]: "it verifies the certificates against the clock",
	unflaggedClockBuiltins[1]: "it verifies the certificates against the clock unless given CurrentTime, which cannot be checked at load",
}

const genericRefusal = "OPA marks it non-deterministic: its result may differ between two runs over the same snapshot"

// Sandbox describes the builtins policies may and may not call.
type Sandbox struct {
	// Allowed are the builtins a policy may call, sorted: OPA's, minus the
	// refused ones, plus those amiaudit registers.
	Allowed []string
	// Refused maps each refused builtin to why.
	Refused map[string]string
	// Capabilities is the capabilities set the compiler is given.
	Capabilities *ast.Capabilities
}

// CurrentSandbox computes the sandbox from the builtins registered in this
// process: OPA's and amiaudit's (rego.RegisterBuiltin adds to the same
// registry, ast.Builtins, during package initialisation).
func CurrentSandbox() *Sandbox {
	caps := ast.CapabilitiesForThisVersion()
	s := &Sandbox{Refused: map[string]string{}}
	kept := caps.Builtins[:0:0]
	for _, b := range caps.Builtins {
		if b.IsNondeterministic() || slices.Contains(unflaggedClockBuiltins, b.Name) {
			reason, ok := refusalReasons[b.Name]
			if !ok {
				reason = genericRefusal
			}
			s.Refused[b.Name] = reason
			continue
		}
		kept = append(kept, b)
		s.Allowed = append(s.Allowed, b.Name)
	}
	caps.Builtins = kept
	// No host may be contacted to resolve a JSON schema while compiling
	// (OPA: "If empty, NO host can be connected to").
	caps.AllowNet = []string{}
	slices.Sort(s.Allowed)
	s.Allowed = slices.Compact(s.Allowed)
	s.Capabilities = caps
	return s
}

// Digest identifies the sandbox: the OPA version and the allowed builtins.
// It is part of the policy digest, so a change to the sandbox (a builtin
// added, removed or refused, another OPA release) shows there.
func (s *Sandbox) Digest() string {
	h := sha256.New()
	fmt.Fprintf(h, "opa %s\n", version.Version)
	for _, name := range s.Allowed {
		fmt.Fprintf(h, "allow %s\n", name)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// Callable lists the allowed builtins a policy author can call: Allowed
// without OPA's internal ones (internal.*) and those deprecated builtins
// that Rego v1 rejects anyway (any, all, set_diff, …).
func (s *Sandbox) Callable() []string {
	var out []string
	for _, name := range s.Allowed {
		if b, ok := ast.BuiltinMap[name]; ok && (b.Deprecated || strings.HasPrefix(name, "internal.")) {
			continue
		}
		out = append(out, name)
	}
	return out
}

// RefusedNames lists the refused builtins, sorted.
func (s *Sandbox) RefusedNames() []string {
	out := make([]string, 0, len(s.Refused))
	for name := range s.Refused {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// check finds every call of a refused builtin, and every with that replaces
// one or replaces a function by one, in the parsed modules, before the
// compiler sees them: the compiler would report the first as an undefined
// function and the second as a with target that names nothing, neither
// saying why. A name that the module's
// package defines as a rule or function, or that the module imports, is the
// policy's own and not a builtin. Errors are sorted by file and position.
func (s *Sandbox) check(modules map[string]*ast.Module) []string {
	defined := map[string]map[string]bool{} // package path → names of its rules' first ref segment
	for _, m := range modules {
		pkg := m.Package.Path.String()
		if defined[pkg] == nil {
			defined[pkg] = map[string]bool{}
		}
		for _, r := range m.Rules {
			if ref := r.Head.Ref(); len(ref) > 0 {
				defined[pkg][ref[0].Value.String()] = true
			}
		}
	}
	type hit struct {
		loc *ast.Location
		msg string
	}
	var hits []hit
	for _, m := range modules {
		own := defined[m.Package.Path.String()]
		imported := map[string]bool{}
		for _, imp := range m.Imports {
			imported[imp.Name().String()] = true
		}
		refused := func(t *ast.Term, ref ast.Ref) {
			head, ok := ref[0].Value.(ast.Var)
			if !ok || own[string(head)] || imported[string(head)] {
				return
			}
			name := ref.String()
			reason, bad := s.Refused[name]
			if !bad {
				return
			}
			hits = append(hits, hit{t.Location, refusalMessage(name, reason)})
		}
		ast.NewGenericVisitor(func(x any) bool {
			switch x := x.(type) {
			case *ast.Expr:
				if terms, ok := x.Terms.([]*ast.Term); ok && len(terms) > 0 {
					if ref, ok := terms[0].Value.(ast.Ref); ok {
						refused(terms[0], ref)
					}
				}
			case ast.Call:
				if ref, ok := x[0].Value.(ast.Ref); ok {
					refused(x[0], ref)
				}
			case *ast.With:
				// with can name a builtin as the target it replaces and as
				// the function that replaces another.
				for _, t := range []*ast.Term{x.Target, x.Value} {
					if ref, ok := t.Value.(ast.Ref); ok {
						refused(t, ref)
					}
				}
			}
			return false
		}).Walk(m)
	}
	sort.SliceStable(hits, func(i, j int) bool {
		a, b := hits[i].loc, hits[j].loc
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Row != b.Row {
			return a.Row < b.Row
		}
		return a.Col < b.Col
	})
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = fmt.Sprintf("%s:%d:%d: %s", h.loc.File, h.loc.Row, h.loc.Col, h.msg)
	}
	return out
}

func refusalMessage(name, reason string) string {
	hint := "put the value in the configuration (policy_data) or the snapshot"
	if name == "time.now_ns" {
		hint = "use input.now_ns, the snapshot's collection time"
	}
	return fmt.Sprintf("builtin %s is not allowed: %s; %s (see %s)", name, reason, hint, SandboxDoc)
}

// errors formats compile errors as file:line:col: message. Should a call of a
// refused builtin get past check, the compiler reports it as an undefined
// function: it is explained here too.
func (s *Sandbox) errors(errs ast.Errors) []string {
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		msg := e.Message
		if name, ok := strings.CutPrefix(msg, "undefined function "); ok {
			if reason, refused := s.Refused[name]; refused {
				msg = refusalMessage(name, reason)
			}
		}
		if e.Location != nil {
			out = append(out, fmt.Sprintf("%s:%d:%d: %s", e.Location.File, e.Location.Row, e.Location.Col, msg))
		} else {
			out = append(out, msg)
		}
	}
	return out
}
