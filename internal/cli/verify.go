package cli

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/amiaudit/amiaudit/evidence"
	"github.com/amiaudit/amiaudit/report"
)

func newVerifyCommand(e *env) *cobra.Command {
	var pubKey string
	var f outputFlags
	cmd := &cobra.Command{
		Use:   "verify DIR",
		Short: "Check an evidence bundle and reproduce its reports",
		Long: fmt.Sprintf(`Check an evidence bundle written by 'scan --evidence DIR' or 'evaluate
--evidence DIR': every file's size and sha256 against %[1]s, no file
that the manifest does not list, the manifest against the snapshot and report
it describes, and the signature (%[2]s) when --pub-key is given.
Then re-evaluate %[3]s with the bundle's %[4]s and policies,
as of the report's generated_at, and check that the policy digest is the
manifest's and that the reports are reproduced byte for byte.

The built-in policies are part of amiaudit itself: verify a bundle with the
amiaudit version that wrote it (%[5]s names it); another
version's rules give another policy digest, and verify says so.

Without --pub-key a signature is checked only against the key the manifest
names, which proves the manifest intact but not who signed it.

--format json writes the outcome as one object (verified, problems, files,
policy_digest, findings_reproduced, signature) for tools.

Exit codes: 0 the bundle is intact and reproduces; 1 it does not (one line per
problem, naming the file); 2 DIR or the public key cannot be read.`,
			evidence.ManifestFile, evidence.SignatureFile, evidence.SnapshotFile, evidence.ConfigFile, evidence.PolicyIndexFile),
		Example: `  amiaudit verify evidence/2026-11-20
  amiaudit verify evidence/2026-11-20 --pub-key audit.pub
  amiaudit verify evidence/2026-11-20 --format json`,
		Args: exactArgs(1, "an evidence bundle directory"),
		RunE: func(cmd *cobra.Command, args []string) error {
			out, err := f.resolve(verifyKind)
			if err != nil {
				return err
			}
			dir := args[0]
			if fi, err := os.Stat(dir); err != nil {
				return usageError(fmt.Errorf("evidence bundle: %w", err))
			} else if !fi.IsDir() {
				return usageError(fmt.Errorf("evidence bundle %s: not a directory", dir))
			}
			var pub ed25519.PublicKey
			if pubKey != "" {
				data, err := os.ReadFile(pubKey)
				if err != nil {
					return usageError(fmt.Errorf("--pub-key: %w", err))
				}
				if pub, err = evidence.ParsePublicKey(data); err != nil {
					return usageError(fmt.Errorf("--pub-key %s: %w", pubKey, err))
				}
			}
			res, err := evidence.Verify(cmd.Context(), os.DirFS(dir), evidence.VerifyOptions{PublicKey: pub, ToolVersion: toolVersion()})
			if err != nil {
				return incompleteError(fmt.Errorf("verify %s: %w", dir, err))
			}
			v := verification(dir, res, pub)
			if err := out.deliver(e, "verification", report.Options{}, func(w io.Writer, _ report.Options) error {
				return report.WriteVerification(w, v, out.format)
			}, "verified", v.Verified); err != nil {
				return err
			}
			if !v.Verified {
				return &exitError{code: exitFindings, err: errors.New("evidence bundle does not verify")}
			}
			return nil
		},
	}
	f.register(cmd.Flags(), verifyKind, "")
	cmd.Flags().StringVar(&pubKey, "pub-key", "", "ed25519 public key (PEM PKIX, from 'amiaudit keygen') that must have signed the manifest")
	return cmd
}

// verifyKind is what verify writes: a table for people, JSON for tools.
var verifyKind = outputKind{what: "verification", writer: "verify", formats: []string{report.FormatTable, report.FormatJSON}}

// verification is what verify reports of res, the result of verifying the
// bundle in dir with the public key pub (nil when none was given).
func verification(dir string, res *evidence.Result, pub ed25519.PublicKey) report.Verification {
	v := report.Verification{Bundle: dir, Verified: res.OK(), Manifest: evidence.ManifestFile, Problems: []string{}}
	prefix := strings.TrimRight(dir, "/") + "/"
	for _, p := range res.Problems {
		v.Problems = append(v.Problems, prefix+p.String())
	}
	if !v.Verified {
		return v
	}
	v.Files, v.PolicyDigest, v.Findings = len(res.Manifest.Files), res.Manifest.PolicyDigest, res.Findings
	switch {
	case res.Signed:
		v.Signature, v.KeyFingerprint = report.SignatureVerified, evidence.Fingerprint(pub)
	case res.Unchecked:
		v.Signature = report.SignatureUnchecked
	default:
		v.Signature = report.SignatureNone
	}
	return v
}
