package evidence

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/amiaudit/amiaudit/finding"
	"github.com/amiaudit/amiaudit/internal/atomicfile"
	"github.com/amiaudit/amiaudit/report"
	"github.com/amiaudit/amiaudit/rules"
	"github.com/amiaudit/amiaudit/snapshot"
)

// Bundle is what an evidence bundle records.
type Bundle struct {
	// Snapshot is the document evaluated.
	Snapshot *snapshot.Document
	// Report is the evaluation's report; its Rules feed the SARIF.
	Report *finding.Report
	// Config is the configuration file's bytes as they were evaluated
	// (rules.Config.Source), nil when no --config was given.
	Config []byte
	// PolicyArgs are the --policy arguments, and Policies the files compiled
	// from each, with the content that was evaluated (rules.Engine.UserPolicies).
	PolicyArgs []string
	Policies   [][]rules.PolicyFile
	// SignKey, when set, signs the manifest.
	SignKey ed25519.PrivateKey
}

// FromEvaluation is the bundle of one evaluation: the snapshot and report, and
// the configuration and user policies exactly as the engine read and compiled
// them. Nothing is read from disk again, so the bundle holds what was
// evaluated even if the files changed since.
func FromEvaluation(doc *snapshot.Document, r *finding.Report, engine *rules.Engine, cfg *rules.Config) *Bundle {
	args, groups := engine.UserPolicies()
	return &Bundle{Snapshot: doc, Report: r, Config: cfg.Source(), PolicyArgs: args, Policies: groups}
}

// ErrTargetExists is returned when the bundle directory already holds something.
var ErrTargetExists = errors.New("exists and is not empty: evidence bundles are never overwritten")

const noConfigNote = "# No configuration file was given (--config): amiaudit's defaults applied.\n"

// CheckTarget reports whether dir can receive a bundle: it must not exist,
// or be an empty directory. Commands call it before slow work.
func CheckTarget(dir string) error {
	if err := atomicfile.CheckNewDir(dir); errors.Is(err, atomicfile.ErrNotEmpty) {
		return fmt.Errorf("evidence directory %s: %w", dir, ErrTargetExists)
	} else if err != nil {
		return fmt.Errorf("evidence directory %s: %w", dir, err)
	}
	return nil
}

// Write writes the bundle into dir, atomically (atomicfile.WriteDir): it is
// built in a temporary directory beside dir and renamed into place once
// complete, so dir either does not exist or holds the whole bundle. dir must
// not exist or be empty.
func Write(dir string, b *Bundle) (*Manifest, error) {
	dir = filepath.Clean(dir)
	if err := CheckTarget(dir); err != nil {
		return nil, err
	}
	files, m, err := contents(b)
	if err != nil {
		return nil, err
	}
	if err := atomicfile.WriteDir(dir, files); errors.Is(err, atomicfile.ErrNotEmpty) {
		// Something appeared there while the bundle was being built.
		return nil, fmt.Errorf("evidence directory %s: %w", dir, ErrTargetExists)
	} else if err != nil {
		return nil, fmt.Errorf("write evidence bundle: %w", err)
	}
	return m, nil
}

// contents lays out the bundle: every file by path, the manifest and its
// signature included.
func contents(b *Bundle) (map[string][]byte, *Manifest, error) {
	if b.Snapshot == nil || b.Report == nil {
		return nil, nil, errors.New("write evidence bundle: no snapshot or report")
	}
	files := map[string][]byte{}
	var gz bytes.Buffer
	if err := b.Snapshot.Encode(&gz, SnapshotFile); err != nil {
		return nil, nil, fmt.Errorf("encode snapshot: %w", err)
	}
	files[SnapshotFile] = gz.Bytes()

	// The bundle's report names the bundle's snapshot, so that the two can be
	// matched without re-evaluating.
	r := *b.Report
	r.Snapshot.SHA256 = snapshot.FileDigest(files[SnapshotFile])
	for name, path := range map[string]string{report.FormatJSON: ReportFile, report.FormatSARIF: SARIFFile} {
		data, err := render(name, &r)
		if err != nil {
			return nil, nil, err
		}
		files[path] = data
	}

	files[ConfigFile] = b.Config
	if b.Config == nil {
		files[ConfigFile] = []byte(noConfigNote)
	}

	index, user, err := policyLayout(b.PolicyArgs, b.Policies)
	if err != nil {
		return nil, nil, err
	}
	var evaluated []rules.PolicyFile
	for _, group := range b.Policies {
		evaluated = append(evaluated, group...)
	}
	if d, err := rules.Digest(evaluated); err != nil {
		return nil, nil, err
	} else if d != r.PolicyDigest {
		return nil, nil, fmt.Errorf("the bundle's policy files give policy digest %s, but the report was evaluated with %s: build the bundle from the engine that evaluated (FromEvaluation)", d, r.PolicyDigest)
	}
	builtin, err := rules.BuiltinDigest()
	if err != nil {
		return nil, nil, err
	}
	index.Builtin = BuiltinPolicies{Tool: r.Tool, Digest: builtin, Note: builtinNote}
	if files[PolicyIndexFile], err = encodeJSON(index); err != nil {
		return nil, nil, err
	}
	for p, data := range user {
		files[p] = data
	}

	list := make([]File, 0, len(files))
	for p, data := range files {
		list = append(list, fileOf(p, data))
	}
	slices.SortFunc(list, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	var signer *SigningKey
	if b.SignKey != nil {
		if signer, err = signingKey(b.SignKey); err != nil {
			return nil, nil, err
		}
	}
	m := buildManifest(b.Snapshot, &r, list, signer)
	if files[ManifestFile], err = encodeJSON(m); err != nil {
		return nil, nil, err
	}
	if b.SignKey != nil {
		files[SignatureFile] = sign(b.SignKey, files[ManifestFile])
	}
	return files, m, nil
}

// policyLayout places the user policy files: policies/user/N/REL, where N
// numbers the --policy arguments from 1 and REL is the path under the
// directory given (or the file's own name).
func policyLayout(args []string, groups [][]rules.PolicyFile) (PolicyIndex, map[string][]byte, error) {
	index := PolicyIndex{User: []PolicySource{}}
	files := map[string][]byte{}
	if len(args) != len(groups) {
		return index, nil, fmt.Errorf("write evidence bundle: %d policy arguments, %d groups of files", len(args), len(groups))
	}
	for i, group := range groups {
		prefix := filepath.ToSlash(filepath.Clean(args[i])) + "/"
		for _, f := range group {
			rel, under := strings.CutPrefix(f.Name, prefix)
			if !under {
				rel = path.Base(filepath.ToSlash(f.Name))
			}
			if !fs.ValidPath(rel) {
				return index, nil, fmt.Errorf("write evidence bundle: policy file %s: cannot place it in the bundle", f.Name)
			}
			p := fmt.Sprintf("%s/%d/%s", userPolicyDir, i+1, rel)
			if _, dup := files[p]; dup {
				return index, nil, fmt.Errorf("write evidence bundle: policy file %s: %s is taken", f.Name, p)
			}
			files[p] = f.Content
			index.User = append(index.User, PolicySource{Path: p, Name: f.Name})
		}
	}
	return index, files, nil
}

func render(format string, r *finding.Report) ([]byte, error) {
	w, err := report.New(format, report.Options{})
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := w.Write(&buf, r); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
