package cli

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/amiaudit/amiaudit/evidence"
)

func newVerifyCommand(e *env) *cobra.Command {
	var pubKey string
	cmd := &cobra.Command{
		Use:   "verify DIR",
		Short: "Check an evidence bundle and reproduce its reports",
		Long: `Check an evidence bundle written by 'scan --evidence DIR' or 'evaluate
--evidence DIR': every file's size and sha256 against manifest.json, no file
that the manifest does not list, the manifest against the snapshot and report
it describes, and the signature (manifest.json.sig) when --pub-key is given.
Then re-evaluate snapshot.json.gz with the bundle's config.yaml and policies,
as of the report's generated_at, and check that the policy digest is the
manifest's and that the reports are reproduced byte for byte.

The built-in policies are part of amiaudit itself: verify a bundle with the
amiaudit version that wrote it (policies/index.json names it); another
version's rules give another policy digest, and verify says so.

Without --pub-key a signature is checked only against the key the manifest
names, which proves the manifest intact but not who signed it.

Exit codes: 0 the bundle is intact and reproduces; 1 it does not (one line per
problem, naming the file); 2 DIR or the public key cannot be read.`,
		Example: `  amiaudit verify evidence/2026-11-20
  amiaudit verify evidence/2026-11-20 --pub-key audit.pub`,
		Args: exactArgs(1, "an evidence bundle directory"),
		RunE: func(cmd *cobra.Command, args []string) error {
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
			prefix := strings.TrimRight(dir, "/") + "/"
			for _, p := range res.Problems {
				fmt.Fprintln(e.stdout, prefix+p.String())
			}
			if !res.OK() {
				noun := "problems"
				if len(res.Problems) == 1 {
					noun = "problem"
				}
				fmt.Fprintf(e.stdout, "%s: NOT VERIFIED: %d %s\n", dir, len(res.Problems), noun)
				return &exitError{code: exitFindings, err: errors.New("evidence bundle does not verify")}
			}
			m := res.Manifest
			fmt.Fprintf(e.stdout, "%s: verified: %d files match manifest.json; policy digest %s; %d findings reproduced\n",
				dir, len(m.Files), m.PolicyDigest, res.Findings)
			switch {
			case res.Signed:
				fmt.Fprintf(e.stdout, "%s: signature verified with %s\n", dir, evidence.Fingerprint(pub))
			case res.Unchecked:
				fmt.Fprintf(e.stdout, "%s: signed, but not checked against a key you trust: give --pub-key\n", dir)
			default:
				fmt.Fprintf(e.stdout, "%s: not signed\n", dir)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&pubKey, "pub-key", "", "ed25519 public key (PEM PKIX, from 'amiaudit keygen') that must have signed the manifest")
	return cmd
}
