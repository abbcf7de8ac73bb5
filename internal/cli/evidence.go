package cli

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"github.com/amiaudit/amiaudit/evidence"
	"github.com/amiaudit/amiaudit/finding"
	"github.com/amiaudit/amiaudit/snapshot"
)

// evidenceFlags are the flags of the commands that can keep an evidence bundle.
type evidenceFlags struct {
	dir     string
	signKey string
	key     ed25519.PrivateKey
}

func (f *evidenceFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.dir, "evidence", "", "also write an evidence bundle to this new directory: snapshot, reports, config, policies and a manifest of their hashes ('amiaudit verify' checks it)")
	fs.StringVar(&f.signKey, "sign-key", "", "sign the evidence manifest with this ed25519 private key (PEM PKCS#8, from 'amiaudit keygen')")
}

// validate checks the flags before any slow work: the directory must be new
// (or empty) and the key readable.
func (f *evidenceFlags) validate() error {
	if f.dir == "" {
		if f.signKey != "" {
			return usageError(errors.New("--sign-key goes with --evidence DIR"))
		}
		return nil
	}
	if err := evidence.CheckTarget(f.dir); err != nil {
		return usageError(err)
	}
	if f.signKey != "" {
		data, err := os.ReadFile(f.signKey)
		if err != nil {
			return usageError(fmt.Errorf("--sign-key: %w", err))
		}
		if f.key, err = evidence.ParsePrivateKey(data); err != nil {
			return usageError(fmt.Errorf("--sign-key %s: %w", f.signKey, err))
		}
	}
	return nil
}

// attach makes the audit write the bundle once the report is written, before
// the exit code is decided: a run with findings keeps its evidence too.
func (f *evidenceFlags) attach(e *env, p *prepared, doc *snapshot.Document) {
	if f.dir == "" {
		return
	}
	p.afterReport = func(r *finding.Report) error { return f.write(e, p, doc, r) }
}

func (f *evidenceFlags) write(e *env, p *prepared, doc *snapshot.Document, r *finding.Report) error {
	// What was evaluated, as it was read: never the files again.
	b := evidence.FromEvaluation(doc, r, p.engine, p.cfg)
	b.SignKey = f.key
	m, err := evidence.Write(f.dir, b)
	if errors.Is(err, evidence.ErrTargetExists) {
		return usageError(err)
	}
	if err != nil {
		return incompleteError(fmt.Errorf("evidence bundle %s: %w", f.dir, err))
	}
	e.log.Info("evidence bundle written", "dir", f.dir, "files", len(m.Files), "signed", m.SigningKey != nil)
	return nil
}
