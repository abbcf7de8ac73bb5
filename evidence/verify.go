package evidence

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/amiaudit/amiaudit/finding"
	"github.com/amiaudit/amiaudit/report"
	"github.com/amiaudit/amiaudit/rules"
	"github.com/amiaudit/amiaudit/snapshot"
)

// Problem is one thing wrong with a bundle, in one of its files.
type Problem struct {
	File string
	Msg  string
}

func (p Problem) String() string {
	if strings.HasPrefix(p.Msg, p.File+":") {
		return p.Msg
	}
	return p.File + ": " + p.Msg
}

// VerifyOptions tune Verify.
type VerifyOptions struct {
	// PublicKey, when set, must verify manifest.json.sig; a missing signature
	// is then a problem.
	PublicKey ed25519.PublicKey
	// ToolVersion is the running amiaudit's version, for messages.
	ToolVersion string
}

// Result is what Verify found.
type Result struct {
	// Problems is empty when the bundle is intact and reproduces its reports.
	Problems []Problem
	// Manifest is the bundle's manifest, when it could be read.
	Manifest *Manifest
	// Signed is true when the signature was verified with the public key;
	// Unchecked when there is a signature but no key was given.
	Signed, Unchecked bool
	// Findings is the number of findings reproduced.
	Findings int
}

// OK reports whether nothing is wrong.
func (r *Result) OK() bool { return len(r.Problems) == 0 }

type verifier struct {
	bundle   fs.FS
	opts     VerifyOptions
	res      *Result
	contents map[string][]byte // listed files that could be read
}

func (v *verifier) problem(file, format string, args ...any) {
	v.res.Problems = append(v.res.Problems, Problem{File: file, Msg: fmt.Sprintf(format, args...)})
}

// Verify checks a bundle: every file's size and sha256 against the manifest,
// no file unlisted, the signature (with opts.PublicKey), the manifest against
// the contents it describes, and then re-evaluates the snapshot with the
// bundle's configuration and user policies, as of the report's generated_at,
// expecting the same policy digest and byte-identical reports. It returns an
// error only when it cannot run at all (cancelled); everything wrong with the
// bundle is a Problem.
func Verify(ctx context.Context, bundle fs.FS, opts VerifyOptions) (*Result, error) {
	v := &verifier{bundle: bundle, opts: opts, res: &Result{}, contents: map[string][]byte{}}
	raw, err := fs.ReadFile(bundle, ManifestFile)
	if err != nil {
		v.problem(ManifestFile, "cannot be read (%v): not an amiaudit evidence bundle", unwrapPath(err))
		return v.res, nil
	}
	m, err := decodeManifest(raw)
	if err != nil {
		v.problem(ManifestFile, "%v", err)
		return v.res, nil
	}
	v.res.Manifest = m
	v.checkSignature(m, raw)
	v.checkFiles(m)

	doc := v.snapshot()
	rep := v.report()
	cfg := v.config()
	index := v.policyIndex()
	if doc != nil && rep != nil {
		v.checkManifest(m, raw, doc, rep)
	}
	engine := v.policies(ctx, m, index)
	if doc == nil || rep == nil || cfg == nil || engine == nil {
		return v.res, ctx.Err()
	}
	if err := cfg.CheckRules(ConfigFile, engine.Rules()); err != nil {
		v.problem(ConfigFile, "%v", err)
		return v.res, nil
	}
	a, err := engine.Audit(ctx, doc, snapshot.FileDigest(v.contents[SnapshotFile]), cfg, rep.GeneratedAt, rep.Tool.Version)
	if err != nil {
		if ctx.Err() != nil {
			return v.res, ctx.Err()
		}
		v.problem(SnapshotFile, "cannot be re-evaluated: %v", err)
		return v.res, nil
	}
	v.compareReports(rep, a.Report)
	return v.res, nil
}

func decodeManifest(raw []byte) (*Manifest, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("is not a manifest: %v", strings.TrimPrefix(err.Error(), "json: "))
	}
	if m.SchemaVersion != ManifestSchemaVersion {
		return nil, fmt.Errorf("schema_version %q is not supported: this amiaudit reads manifest schema_version %q", m.SchemaVersion, ManifestSchemaVersion)
	}
	return &m, nil
}

func (v *verifier) checkSignature(m *Manifest, raw []byte) {
	sig, err := fs.ReadFile(v.bundle, SignatureFile)
	present := err == nil
	var named ed25519.PublicKey
	if m.SigningKey != nil {
		if named, err = m.SigningKey.publicKey(); err != nil {
			v.problem(ManifestFile, "%v", err)
		}
	}
	switch {
	case v.opts.PublicKey != nil && !present:
		v.problem(SignatureFile, "missing: --pub-key was given but the bundle is not signed")
	case v.opts.PublicKey != nil:
		if err := checkSignature(v.opts.PublicKey, raw, sig); err != nil {
			msg := err.Error()
			if named != nil && !named.Equal(v.opts.PublicKey) {
				msg += fmt.Sprintf(" (manifest.json names the signing key %s)", m.SigningKey.Fingerprint)
			}
			v.problem(SignatureFile, "%s", msg)
			return
		}
		v.res.Signed = true
	case m.SigningKey != nil && !present:
		v.problem(SignatureFile, "missing, but manifest.json says the bundle was signed by key %s", m.SigningKey.Fingerprint)
	case named != nil:
		// Without a trusted key this proves only that the manifest is intact.
		if err := checkSignature(named, raw, sig); err != nil {
			v.problem(SignatureFile, "%s", strings.Replace(err.Error(), "the public key", "the key manifest.json names,", 1))
			return
		}
		v.res.Unchecked = true
	case present:
		v.res.Unchecked = true
	}
}

// checkFiles compares every listed file with the manifest and looks for
// files the manifest does not list.
func (v *verifier) checkFiles(m *Manifest) {
	listed := map[string]bool{}
	for _, f := range m.Files {
		if !fs.ValidPath(f.Path) || f.Path == ManifestFile || f.Path == SignatureFile || listed[f.Path] {
			v.problem(ManifestFile, "lists %q, which cannot be a file of the bundle (or is listed twice)", f.Path)
			continue
		}
		listed[f.Path] = true
		data, err := fs.ReadFile(v.bundle, f.Path)
		if err != nil {
			v.problem(f.Path, "listed in manifest.json but cannot be read: %v", unwrapPath(err))
			continue
		}
		v.contents[f.Path] = data
		got := fileOf(f.Path, data)
		if got.SHA256 != f.SHA256 || got.Size != f.Size {
			v.problem(f.Path, "sha256 %s (%d bytes) does not match manifest.json's %s (%d bytes)", got.SHA256, got.Size, f.SHA256, f.Size)
		}
	}
	_ = fs.WalkDir(v.bundle, ".", func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			v.problem(p, "cannot be read: %v", unwrapPath(err))
		case d.IsDir() || p == ManifestFile || p == SignatureFile:
		case !d.Type().IsRegular():
			v.problem(p, "is not a regular file")
		case !listed[p]:
			v.problem(p, "is not listed in manifest.json")
		}
		return nil
	})
}

func (v *verifier) snapshot() *snapshot.Document {
	data, ok := v.required(SnapshotFile)
	if !ok {
		return nil
	}
	doc, err := snapshot.Decode(SnapshotFile, data)
	if err != nil {
		v.problem(SnapshotFile, "%v", err)
		return nil
	}
	return doc
}

func (v *verifier) report() *finding.Report {
	data, ok := v.required(ReportFile)
	if !ok {
		return nil
	}
	r, err := finding.DecodeReport(ReportFile, data)
	if err != nil {
		v.problem(ReportFile, "%v", err)
		return nil
	}
	return r
}

func (v *verifier) config() *rules.Config {
	data, ok := v.required(ConfigFile)
	if !ok {
		return nil
	}
	cfg, err := rules.ParseConfig(ConfigFile, data)
	if err != nil {
		v.problem(ConfigFile, "%v", err)
		return nil
	}
	return cfg
}

func (v *verifier) policyIndex() *PolicyIndex {
	data, ok := v.required(PolicyIndexFile)
	if !ok {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var index PolicyIndex
	if err := dec.Decode(&index); err != nil {
		v.problem(PolicyIndexFile, "is not a policy index: %v", strings.TrimPrefix(err.Error(), "json: "))
		return nil
	}
	return &index
}

// required returns a listed file's content; a file the manifest does not list
// is not evidence.
func (v *verifier) required(path string) ([]byte, bool) {
	data, ok := v.contents[path]
	if !ok && !v.reported(path) {
		v.problem(path, "missing from the bundle (or not listed in manifest.json)")
	}
	return data, ok
}

func (v *verifier) reported(path string) bool {
	for _, p := range v.res.Problems {
		if p.File == path {
			return true
		}
	}
	return false
}

// checkManifest rebuilds the manifest from the files it describes; any field
// that differs was changed after the bundle was written.
func (v *verifier) checkManifest(m *Manifest, raw []byte, doc *snapshot.Document, rep *finding.Report) {
	want, err := encodeJSON(buildManifest(doc, rep, m.Files, m.SigningKey))
	if err != nil || bytes.Equal(want, raw) {
		return
	}
	if fields := differingFields(raw, want); len(fields) > 0 {
		v.problem(ManifestFile, "%s not match the bundle's snapshot and report", describeFields(fields))
		return
	}
	v.problem(ManifestFile, "is not byte for byte the manifest amiaudit writes for this bundle")
}

// policies compiles the bundle's user policies, under the names they were
// evaluated with, beside this amiaudit's built-in policies, and checks the
// digest.
func (v *verifier) policies(ctx context.Context, m *Manifest, index *PolicyIndex) *rules.Engine {
	if index == nil {
		return nil
	}
	var files []rules.PolicyFile
	indexed := map[string]bool{}
	for _, src := range index.User {
		indexed[src.Path] = true
		data, ok := v.contents[src.Path]
		if !ok {
			if !v.reported(src.Path) {
				v.problem(src.Path, "named in %s but missing from the bundle (or not listed in manifest.json)", PolicyIndexFile)
			}
			return nil
		}
		files = append(files, rules.PolicyFile{Name: src.Name, Content: data})
	}
	for path := range v.contents {
		if strings.HasPrefix(path, "policies/") && path != PolicyIndexFile && !indexed[path] {
			v.problem(path, "is not named in %s: it was not evaluated", PolicyIndexFile)
		}
	}
	engine, err := rules.LoadFiles(ctx, files)
	if err != nil {
		v.policyErrors(index, err)
		return nil
	}
	if engine.Digest() == m.PolicyDigest {
		return engine
	}
	builtin, err := rules.BuiltinDigest()
	if err == nil && builtin != index.Builtin.Digest {
		v.problem(PolicyIndexFile, "the built-in policies differ: the bundle was evaluated by amiaudit %s (built-in policies %s), this is amiaudit %s (%s); verify with amiaudit %s",
			index.Builtin.Tool.Version, short(index.Builtin.Digest), v.opts.ToolVersion, short(builtin), index.Builtin.Tool.Version)
	} else {
		v.problem(PolicyIndexFile, "the bundle's policies give policy digest %s, manifest.json records %s", short(engine.Digest()), short(m.PolicyDigest))
	}
	return engine
}

// policyErrors reports compile errors against the bundle's files: the
// messages name the files as they were evaluated.
func (v *verifier) policyErrors(index *PolicyIndex, err error) {
	var pe *rules.PolicyError
	if !errors.As(err, &pe) {
		v.problem(PolicyIndexFile, "the bundle's policies do not compile: %v", err)
		return
	}
	for _, msg := range pe.Errors {
		file := PolicyIndexFile
		for _, src := range index.User {
			if rest, ok := strings.CutPrefix(msg, src.Name+":"); ok {
				file, msg = src.Path, src.Path+":"+rest
				break
			}
		}
		v.problem(file, "does not compile (evaluated as %s): %s", nameOf(index, file), msg)
	}
}

func nameOf(index *PolicyIndex, path string) string {
	for _, src := range index.User {
		if src.Path == path {
			return src.Name
		}
	}
	return "part of the policy bundle"
}

// compareReports renders the re-evaluation as the bundle's reports were
// rendered and compares the bytes.
func (v *verifier) compareReports(recorded, again *finding.Report) {
	v.res.Findings = len(again.Findings)
	gotJSON, err := render(report.FormatJSON, again)
	if err != nil {
		v.problem(ReportFile, "cannot render the re-evaluation: %v", err)
		return
	}
	if !bytes.Equal(gotJSON, v.contents[ReportFile]) {
		v.res.Findings = 0
		var a, b struct {
			Findings json.RawMessage `json:"findings"`
		}
		_ = json.Unmarshal(v.contents[ReportFile], &a)
		_ = json.Unmarshal(gotJSON, &b)
		if !bytes.Equal(a.Findings, b.Findings) {
			d := finding.Compare(recorded.Findings, again.Findings)
			switch {
			case d.Summary.New+d.Summary.Resolved == 0:
				v.problem(ReportFile, "findings differ from the re-evaluation of %s in their details (severity, evidence, waiver or order)", SnapshotFile)
			default:
				first := d.New
				if len(d.Resolved) > 0 {
					first = d.Resolved
				}
				v.problem(ReportFile, "findings differ from the re-evaluation of %s: %d recorded but not reproduced, %d reproduced but not recorded (first: %s %s)",
					SnapshotFile, d.Summary.Resolved, d.Summary.New, first[0].RuleID, first[0].Resource.ARN)
			}
		} else if fields := differingFields(v.contents[ReportFile], gotJSON); len(fields) > 0 {
			v.problem(ReportFile, "%s not match the re-evaluation of %s", describeFields(fields), SnapshotFile)
		} else {
			v.problem(ReportFile, "is not byte for byte the report of the re-evaluation of %s", SnapshotFile)
		}
	}
	gotSARIF, err := render(report.FormatSARIF, again)
	if err != nil {
		v.problem(SARIFFile, "cannot render the re-evaluation: %v", err)
		return
	}
	if data, ok := v.contents[SARIFFile]; !ok {
		v.required(SARIFFile)
	} else if !bytes.Equal(gotSARIF, data) {
		v.problem(SARIFFile, "is not byte for byte the SARIF of the re-evaluation of %s", SnapshotFile)
	}
}

// differingFields lists the top-level keys whose values differ between two
// JSON objects (compared compacted), in a's order then b's.
func differingFields(a, b []byte) []string {
	var x, y map[string]json.RawMessage
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return []string{"the whole document"}
	}
	var out []string
	for k, va := range x {
		if vb, ok := y[k]; !ok || !jsonEqual(va, vb) {
			out = append(out, k)
		}
	}
	for k := range y {
		if _, ok := x[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func jsonEqual(a, b json.RawMessage) bool {
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return false
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}

func describeFields(fields []string) string {
	if len(fields) == 1 {
		return fields[0] + " does"
	}
	return strings.Join(fields, ", ") + " do"
}

// short abbreviates a digest for messages.
func short(digest string) string {
	algo, hexa, ok := strings.Cut(digest, ":")
	if !ok {
		algo, hexa = "", digest
	}
	if len(hexa) > 16 {
		hexa = hexa[:16] + "…"
	}
	if algo != "" {
		return algo + ":" + hexa
	}
	return hexa
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
