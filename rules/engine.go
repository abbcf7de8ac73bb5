// Package rules loads, compiles and evaluates amiaudit's Rego policies over a
// snapshot, and turns their output into findings. It never does I/O beyond
// reading policy files: given a snapshot and a configuration it returns findings.
package rules

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"golang.org/x/sync/errgroup"

	"github.com/amiaudit/amiaudit/finding"
	"github.com/amiaudit/amiaudit/policies"
	"github.com/amiaudit/amiaudit/snapshot"
)

// RulesPackage is the Rego package under which every rule lives, built-in or
// user-supplied: package amiaudit.rules.<area>.<name>, with a partial set rule
// named findings and package-scoped # METADATA.
const RulesPackage = "amiaudit.rules"

// PolicyError is a problem in a policy file: a parse or compile error, or
// missing or wrong metadata. It names the file, line and column.
type PolicyError struct {
	Errors []string
}

func (e *PolicyError) Error() string {
	if len(e.Errors) == 1 {
		return e.Errors[0]
	}
	return fmt.Sprintf("%s (and %d more policy errors)", e.Errors[0], len(e.Errors)-1)
}

// Engine is a compiled policy bundle, ready to evaluate snapshots.
type Engine struct {
	rules    []finding.Rule
	byID     map[string]*finding.Rule
	regional *ruleQuery // rules with custom.scope: region, evaluated one region at a time
	global   *ruleQuery // the others, evaluated over the whole snapshot
	digest   string
	compiler *ast.Compiler
	// userArgs are the --policy arguments Load was given, and userGroups the
	// files it read and compiled from each, as they were then.
	userArgs   []string
	userGroups [][]PolicyFile
}

// ruleQuery is one prepared query that evaluates a set of rules' findings.
type ruleQuery struct {
	rules []*finding.Rule // binding r<i> holds rules[i]'s findings
	query rego.PreparedEvalQuery
}

// Rule scopes (custom.scope): a regional rule only ever relates resources of
// one region, as AMIs, snapshots and KMS keys are regional; amiaudit then
// evaluates regions in parallel. Without the annotation a rule sees the whole
// snapshot at once.
const (
	ScopeRegion   = "region"
	ScopeSnapshot = "snapshot"
)

// Load reads the built-in policies and the .rego files under each user
// directory (recursively, _test.rego files excluded), compiles them and prepares
// the evaluation query. The engine keeps the bytes it compiled (UserPolicies),
// so that evidence of the evaluation holds them and not what the files hold
// later.
func Load(ctx context.Context, userDirs ...string) (*Engine, error) {
	files, err := builtinFiles(false)
	if err != nil {
		return nil, err
	}
	groups := make([][]PolicyFile, len(userDirs))
	for i, dir := range userDirs {
		user, err := userFiles(dir, false)
		if err != nil {
			return nil, err
		}
		files = append(files, user...)
		for _, f := range user {
			groups[i] = append(groups[i], PolicyFile{Name: f.name, Content: f.content})
		}
	}
	e, err := compile(ctx, files)
	if err != nil {
		return nil, err
	}
	e.userArgs, e.userGroups = append([]string(nil), userDirs...), groups
	return e, nil
}

type policyFile struct {
	name    string
	content []byte
	builtin bool // embedded in amiaudit, not loaded with --policy
}

// policyFiles reads the built-in policies and every user directory; withTests
// adds the _test.rego files.
func policyFiles(userDirs []string, withTests bool) ([]policyFile, error) {
	files, err := builtinFiles(withTests)
	if err != nil {
		return nil, err
	}
	for _, dir := range userDirs {
		user, err := userFiles(dir, withTests)
		if err != nil {
			return nil, err
		}
		files = append(files, user...)
	}
	return files, nil
}

func builtinFiles(withTests bool) ([]policyFile, error) {
	files, err := walkPolicies(policies.FS, "policies/", withTests)
	if err != nil {
		return nil, fmt.Errorf("read built-in policies: %w", err)
	}
	for i := range files {
		files[i].builtin = true
	}
	return files, nil
}

// userFiles reads a --policy argument: a directory, walked recursively, or a
// single file.
func userFiles(dir string, withTests bool) ([]policyFile, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, &PolicyError{Errors: []string{fmt.Sprintf("%s: cannot read policy directory: %v", dir, unwrapPathError(err))}}
	}
	if !info.IsDir() {
		b, err := os.ReadFile(dir)
		if err != nil {
			return nil, &PolicyError{Errors: []string{fmt.Sprintf("%s: %v", dir, unwrapPathError(err))}}
		}
		return []policyFile{{name: dir, content: b}}, nil
	}
	files, err := walkPolicies(os.DirFS(dir), filepath.ToSlash(filepath.Clean(dir))+"/", withTests)
	if err != nil {
		return nil, &PolicyError{Errors: []string{fmt.Sprintf("%s: cannot read policy directory: %v", dir, unwrapPathError(err))}}
	}
	return files, nil
}

// walkPolicies reads the .rego files of fsys, named prefix + their path.
func walkPolicies(fsys fs.FS, prefix string, withTests bool) ([]policyFile, error) {
	var files []policyFile
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, ".rego") {
			return nil
		}
		if !withTests && strings.HasSuffix(p, "_test.rego") {
			return nil
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		files = append(files, policyFile{name: prefix + p, content: b})
		return nil
	})
	return files, err
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// parseModules parses every file as Rego v1 with annotations.
func parseModules(files []policyFile) (map[string]*ast.Module, error) {
	modules := make(map[string]*ast.Module, len(files))
	var errs []string
	for _, f := range files {
		m, err := ast.ParseModuleWithOpts(f.name, string(f.content), ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1})
		if err != nil {
			errs = append(errs, astErrors(err)...)
			continue
		}
		modules[f.name] = m
	}
	if len(errs) > 0 {
		return nil, &PolicyError{Errors: errs}
	}
	return modules, nil
}

func astErrors(err error) []string {
	var astErrs ast.Errors
	if errors.As(err, &astErrs) {
		out := make([]string, 0, len(astErrs))
		for _, e := range astErrs {
			if e.Location != nil {
				out = append(out, fmt.Sprintf("%s:%d:%d: %s", e.Location.File, e.Location.Row, e.Location.Col, e.Message))
			} else {
				out = append(out, e.Message)
			}
		}
		return out
	}
	return []string{err.Error()}
}

func compile(ctx context.Context, files []policyFile) (*Engine, error) {
	if errs := checkUserFileNames(files); len(errs) > 0 {
		return nil, &PolicyError{Errors: errs}
	}
	modules, err := parseModules(files)
	if err != nil {
		return nil, err
	}
	if errs := checkUserPackages(files, modules); len(errs) > 0 {
		return nil, &PolicyError{Errors: errs}
	}
	sandbox := CurrentSandbox()
	if errs := sandbox.check(modules); len(errs) > 0 {
		return nil, &PolicyError{Errors: errs}
	}
	compiler := ast.NewCompiler().WithCapabilities(sandbox.Capabilities)
	if compiler.Compile(modules); compiler.Failed() {
		return nil, &PolicyError{Errors: sandbox.errors(compiler.Errors)}
	}
	rules, err := rulesOf(compiler, modules)
	if err != nil {
		return nil, err
	}
	e := &Engine{rules: rules, byID: map[string]*finding.Rule{}, compiler: compiler, digest: digest(files, sandbox)}
	var regional, global []*finding.Rule
	for i := range e.rules {
		r := &e.rules[i]
		e.byID[r.ID] = r
		if r.Scope == ScopeRegion {
			regional = append(regional, r)
		} else {
			global = append(global, r)
		}
	}
	if e.regional, err = prepareRules(ctx, compiler, regional); err != nil {
		return nil, err
	}
	if e.global, err = prepareRules(ctx, compiler, global); err != nil {
		return nil, err
	}
	return e, nil
}

func prepareRules(ctx context.Context, compiler *ast.Compiler, rules []*finding.Rule) (*ruleQuery, error) {
	if len(rules) == 0 {
		return nil, nil
	}
	query := make([]string, len(rules))
	for i, r := range rules {
		query[i] = fmt.Sprintf("r%d := data.%s.findings", i, r.Package)
	}
	pq, err := rego.New(rego.Compiler(compiler), rego.Query(strings.Join(query, "; "))).PrepareForEval(ctx)
	if err != nil {
		return nil, &PolicyError{Errors: astErrors(err)}
	}
	return &ruleQuery{rules: rules, query: pq}, nil
}

// rulesOf reads each rule package's METADATA. Every package under
// amiaudit.rules must say which rule it is (custom.id, custom.severity) and
// define findings.
func rulesOf(compiler *ast.Compiler, modules map[string]*ast.Module) ([]finding.Rule, error) {
	type pkgInfo struct {
		file        string
		loc         *ast.Location
		hasFindings bool
	}
	pkgs := map[string]*pkgInfo{}
	for name, m := range modules {
		path := strings.TrimPrefix(m.Package.Path.String(), "data.")
		if path != RulesPackage && !strings.HasPrefix(path, RulesPackage+".") {
			continue
		}
		p := pkgs[path]
		if p == nil {
			p = &pkgInfo{file: name, loc: m.Package.Location}
			pkgs[path] = p
		}
		for _, r := range m.Rules {
			if r.Head.Name.String() == "findings" || r.Head.Ref().String() == "findings" {
				p.hasFindings = true
			}
		}
	}
	annotated := map[string]*ast.Annotations{}
	for _, ar := range compiler.GetAnnotationSet().Flatten() {
		if ar.Annotations.Scope != "package" {
			continue
		}
		path := strings.TrimPrefix(ar.Path.String(), "data.")
		if _, ok := pkgs[path]; ok {
			annotated[path] = ar.Annotations
		}
	}
	var errs []string
	var out []finding.Rule
	seen := map[string]string{}
	names := make([]string, 0, len(pkgs))
	for p := range pkgs {
		names = append(names, p)
	}
	sort.Strings(names)
	for _, path := range names {
		info := pkgs[path]
		where := fmt.Sprintf("%s:%d:%d", info.file, info.loc.Row, info.loc.Col)
		a := annotated[path]
		if a == nil {
			errs = append(errs, fmt.Sprintf("%s: package %s has no # METADATA block with custom.id and custom.severity (every package under %s is a rule)", where, path, RulesPackage))
			continue
		}
		if a.Location != nil {
			where = fmt.Sprintf("%s:%d:%d", a.Location.File, a.Location.Row, a.Location.Col)
		}
		r, err := ruleFromAnnotations(path, a)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", where, err))
			continue
		}
		if !info.hasFindings {
			errs = append(errs, fmt.Sprintf("%s: rule %s (package %s) defines no findings rule (findings contains f if {…})", where, r.ID, path))
			continue
		}
		if other, dup := seen[r.ID]; dup {
			errs = append(errs, fmt.Sprintf("%s: rule ID %s is already used by package %s", where, r.ID, other))
			continue
		}
		seen[r.ID] = path
		r.Source = info.file
		out = append(out, r)
	}
	if len(errs) > 0 {
		return nil, &PolicyError{Errors: errs}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func ruleFromAnnotations(path string, a *ast.Annotations) (finding.Rule, error) {
	r := finding.Rule{Package: path, Area: areaOf(path), Title: a.Title, Description: fold(a.Description)}
	str := func(key string) string {
		s, _ := a.Custom[key].(string)
		return fold(s)
	}
	r.ID = str("id")
	if r.ID == "" || !finding.IsRuleID(r.ID) {
		return r, fmt.Errorf("package %s: custom.id must be a rule ID such as AMI-001, found %q", path, r.ID)
	}
	sev, err := finding.ParseSeverity(str("severity"))
	if err != nil {
		return r, fmt.Errorf("rule %s: custom.severity: %v", r.ID, err)
	}
	r.Severity = sev
	if r.Title == "" {
		return r, fmt.Errorf("rule %s: METADATA needs a title", r.ID)
	}
	r.Remediation = str("remediation")
	if refs, ok := a.Custom["references"].([]any); ok {
		for _, x := range refs {
			if s, ok := x.(string); ok {
				r.References = append(r.References, s)
			}
		}
	}
	for _, rr := range a.RelatedResources {
		if rr.Ref.String() != "" {
			r.References = append(r.References, rr.Ref.String())
		}
	}
	r.Deprecated, _ = a.Custom["deprecated"].(bool)
	r.Fingerprint = finding.DefaultFingerprint
	if fp, present := a.Custom["fingerprint"]; present {
		list, ok := fp.([]any)
		if !ok && fp != nil {
			return r, fmt.Errorf("rule %s: custom.fingerprint must be a list of evidence field names, found %v", r.ID, fp)
		}
		r.Fingerprint = []string{}
		for _, x := range list {
			name, ok := x.(string)
			if !ok || name == "" {
				return r, fmt.Errorf("rule %s: custom.fingerprint must be a list of evidence field names, found %v", r.ID, x)
			}
			r.Fingerprint = append(r.Fingerprint, name)
		}
	}
	if eff, present := a.Custom["effect"]; present {
		s, isString := eff.(string)
		if !isString || !slices.Contains(finding.Effects, s) {
			found := fmt.Sprint(eff)
			if isString {
				found = fmt.Sprintf("%q", s)
			}
			return r, fmt.Errorf("rule %s: custom.effect must be %q or %q (or absent for a configuration check), found %s", r.ID, finding.EffectDataExposure, finding.EffectCredentials, found)
		}
		r.Effect = s
	}
	if ch, present := a.Custom["changes"]; present {
		list, ok := ch.([]any)
		if !ok || len(list) == 0 {
			return r, fmt.Errorf("rule %s: custom.changes must be a list of proposed change kinds (%s), found %v", r.ID, strings.Join(snapshot.ChangeKinds, ", "), ch)
		}
		for _, x := range list {
			kind, ok := x.(string)
			if !ok || !slices.Contains(snapshot.ChangeKinds, kind) {
				return r, fmt.Errorf("rule %s: custom.changes must list proposed change kinds (%s), found %v", r.ID, strings.Join(snapshot.ChangeKinds, ", "), x)
			}
			r.Changes = append(r.Changes, kind)
		}
	}
	switch r.Scope = str("scope"); r.Scope {
	case "":
		r.Scope = ScopeSnapshot
	case ScopeRegion, ScopeSnapshot:
	default:
		return r, fmt.Errorf("rule %s: custom.scope must be %q or %q, found %q", r.ID, ScopeRegion, ScopeSnapshot, r.Scope)
	}
	return r, nil
}

// areaOf is the area of the rule in package path: the segment below
// RulesPackage when another follows it (amiaudit.rules.AREA.NAME), as the
// built-in rules live in policies/AREA/NAME.rego.
func areaOf(path string) string {
	rest, ok := strings.CutPrefix(path, RulesPackage+".")
	if !ok {
		return ""
	}
	area, _, nested := strings.Cut(rest, ".")
	if !nested {
		return ""
	}
	return area
}

// fold joins the lines of each paragraph of a YAML block into one line, so
// that metadata written for the source reads well in reports.
func fold(s string) string {
	paras := strings.Split(strings.TrimSpace(s), "\n\n")
	for i, p := range paras {
		paras[i] = strings.Join(strings.Fields(p), " ")
	}
	return strings.Join(paras, "\n\n")
}

// digest is the sha256 of the policy bundle: every file's name and content, in
// name order, then the sandbox the files are compiled in (the same files mean
// something else when the builtins they may call change).
func digest(files []policyFile, sandbox *Sandbox) string {
	sorted := append([]policyFile(nil), files...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].name < sorted[j].name })
	h := sha256.New()
	for _, f := range sorted {
		fmt.Fprintf(h, "%s\x00%d\x00", f.name, len(f.content))
		h.Write(f.content)
	}
	fmt.Fprintf(h, "sandbox\x00%s", sandbox.Digest())
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// Rules lists the loaded rules sorted by ID.
func (e *Engine) Rules() []finding.Rule { return e.rules }

// Rule returns a loaded rule by ID.
func (e *Engine) Rule(id string) (*finding.Rule, bool) {
	r, ok := e.byID[id]
	return r, ok
}

// Digest is the sha256 of the evaluated policy bundle.
func (e *Engine) Digest() string { return e.digest }

// UserPolicies returns the user policy arguments Load was given and, for each,
// the files it compiled, with their content as it was read then: what an
// evidence bundle must hold, whatever the files on disk hold by the time it is
// written. The caller must not modify them.
func (e *Engine) UserPolicies() (args []string, groups [][]PolicyFile) {
	return e.userArgs, e.userGroups
}

// Evaluate runs every rule over the snapshot and returns the findings, sorted
// as the report contract requires. Regional rules are evaluated one region at a
// time, regions in parallel; the others over the whole snapshot. Waivers are
// not applied here.
func (e *Engine) Evaluate(ctx context.Context, doc *snapshot.Document, cfg *Config) ([]finding.Finding, error) {
	var parts [][]finding.Finding
	var mu sync.Mutex
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	collect := func(q *ruleQuery, doc func() *snapshot.Document) {
		g.Go(func() error {
			fs, err := q.eval(ctx, Input(doc(), cfg))
			if err != nil {
				return err
			}
			mu.Lock()
			parts = append(parts, fs)
			mu.Unlock()
			return nil
		})
	}
	if e.regional != nil {
		// Each region's part is built when it is evaluated (planRegions).
		plan := planRegions(doc)
		for i := range plan.len() {
			collect(e.regional, func() *snapshot.Document { return plan.part(i) })
		}
	}
	if e.global != nil {
		collect(e.global, func() *snapshot.Document { return doc })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	var out []finding.Finding // nil when there are none, as before
	if n > 0 {
		out = make([]finding.Finding, 0, n)
	}
	for _, p := range parts {
		out = append(out, p...)
	}
	finding.Sort(out)
	return out, nil
}

func (q *ruleQuery) eval(ctx context.Context, input ast.Value) ([]finding.Finding, error) {
	rs, err := q.query.Eval(ctx, rego.EvalParsedInput(input), rego.EvalVirtualCache(newVirtualCache()))
	if err != nil {
		return nil, fmt.Errorf("evaluate policies: %w", err)
	}
	if len(rs) != 1 {
		return nil, fmt.Errorf("evaluate policies: the query gave %d results, expected 1", len(rs))
	}
	var out []finding.Finding
	for i, rule := range q.rules {
		set, ok := rs[0].Bindings[fmt.Sprintf("r%d", i)].([]any)
		if !ok {
			return nil, fmt.Errorf("%s: rule %s (package %s): findings is not a set", rule.Source, rule.ID, rule.Package)
		}
		for _, raw := range set {
			f, err := toFinding(rule, raw)
			if err != nil {
				return nil, fmt.Errorf("%s: rule %s: %w", rule.Source, rule.ID, err)
			}
			out = append(out, f)
		}
	}
	return out, nil
}

// toFinding checks the shape of one finding object a rule produced and adds the
// rule's metadata.
func toFinding(rule *finding.Rule, raw any) (finding.Finding, error) {
	obj, ok := raw.(map[string]any)
	if !ok {
		return finding.Finding{}, fmt.Errorf("a finding must be an object with resource, message and evidence, got %s", jsonish(raw))
	}
	for k := range obj {
		switch k {
		case "resource", "message", "evidence", "severity", "remediation":
		default:
			return finding.Finding{}, fmt.Errorf("finding has unknown key %q (allowed: resource, message, evidence, severity, remediation)", k)
		}
	}
	f := finding.Finding{
		RuleID:      rule.ID,
		Severity:    rule.Severity,
		Title:       rule.Title,
		Remediation: rule.Remediation,
		Evidence:    map[string]any{},
	}
	msg, ok := obj["message"].(string)
	if !ok || msg == "" {
		return f, fmt.Errorf("finding needs a message string, got %s", jsonish(raw))
	}
	f.Message = msg
	res, ok := obj["resource"].(map[string]any)
	if !ok {
		return f, fmt.Errorf("finding needs a resource object {type, id, arn, account, region}, got %s", jsonish(raw))
	}
	fields := map[string]*string{"type": &f.Resource.Type, "id": &f.Resource.ID, "arn": &f.Resource.ARN, "account": &f.Resource.Account, "region": &f.Resource.Region}
	for k, v := range res {
		dst, known := fields[k]
		s, isString := v.(string)
		if !known || !isString {
			return f, fmt.Errorf("finding resource has %q = %s; expected string fields type, id, arn, account, region", k, jsonish(v))
		}
		*dst = s
	}
	if f.Resource.Type == "" || f.Resource.ID == "" || f.Resource.ARN == "" {
		return f, fmt.Errorf("finding resource needs type, id and arn, got %s", jsonish(res))
	}
	if ev, present := obj["evidence"]; present {
		m, ok := ev.(map[string]any)
		if !ok {
			return f, fmt.Errorf("finding evidence must be an object, got %s", jsonish(ev))
		}
		f.Evidence = m
	}
	f.Key = finding.KeyOf(rule.Fingerprint, f.Evidence)
	// A rule may give a finding its own remediation when the fix depends on
	// the resource (a snapshot lock, a setting an organization policy
	// enforces); the metadata's remediation is the default.
	if rem, present := obj["remediation"]; present {
		s, ok := rem.(string)
		if !ok || s == "" {
			return f, fmt.Errorf("finding remediation must be a non-empty string, got %s", jsonish(rem))
		}
		f.Remediation = s
	}
	if sev, present := obj["severity"]; present {
		s, _ := sev.(string)
		parsed, err := finding.ParseSeverity(s)
		if err != nil {
			return f, fmt.Errorf("finding severity: %w", err)
		}
		f.Severity = parsed
	}
	return f, nil
}

func jsonish(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}
