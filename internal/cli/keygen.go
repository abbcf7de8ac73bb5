package cli

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/amiaudit/amiaudit/evidence"
	"github.com/amiaudit/amiaudit/internal/atomicfile"
)

func newKeygenCommand(e *env) *cobra.Command {
	var prefix string
	cmd := &cobra.Command{
		Use:   "keygen --output PREFIX",
		Short: "Make an ed25519 key pair for signing evidence bundles",
		Long: `Write a new ed25519 key pair: PREFIX.key, the private key (PEM PKCS#8,
readable by its owner only) for 'scan --evidence DIR --sign-key PREFIX.key',
and PREFIX.pub, the public key (PEM PKIX) for 'verify DIR --pub-key PREFIX.pub'.
Existing files are never overwritten. openssl reads and writes the same forms
(openssl genpkey -algorithm ed25519; openssl pkey -pubout).

Exit codes: 0 written; 2 a file exists or cannot be written.`,
		Example: `  amiaudit keygen --output audit
  amiaudit scan --org --role amiaudit-reader --evidence evidence/today --sign-key audit.key
  amiaudit verify evidence/today --pub-key audit.pub`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if prefix == "" {
				return argsError(errors.New("keygen needs --output PREFIX: it writes PREFIX.key and PREFIX.pub"))
			}
			keyFile, pubFile := prefix+".key", prefix+".pub"
			for _, f := range []string{keyFile, pubFile} {
				if _, err := os.Lstat(f); err == nil {
					return usageError(fmt.Errorf("%s exists: keygen never overwrites a key", f))
				}
			}
			priv, pub, err := evidence.GenerateKey(rand.Reader)
			if err != nil {
				return err
			}
			if err := atomicfile.WriteNew(keyFile, priv, 0o600); err != nil {
				return usageError(err)
			}
			if err := atomicfile.WriteNew(pubFile, pub, 0o644); err != nil {
				_ = os.Remove(keyFile)
				return usageError(err)
			}
			parsed, err := evidence.ParsePublicKey(pub)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s: private key (keep it secret)\n%s: public key %s\n", keyFile, pubFile, evidence.Fingerprint(parsed))
			return nil
		},
	}
	outputFlag(cmd.Flags(), &prefix, "write PREFIX.key and PREFIX.pub")
	return cmd
}
