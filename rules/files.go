package rules

import "context"

// PolicyFile is one user policy file as Load reads it. Name is the name it is
// compiled under: it appears in error messages and SARIF, and it is hashed,
// with Content, into the policy digest.
type PolicyFile struct {
	Name    string
	Content []byte
}

// LoadFiles compiles the built-in policies with user policy files given by
// name and content, as Engine.UserPolicies returned them: the same files give the
// same engine and the same digest as Load did.
func LoadFiles(ctx context.Context, user []PolicyFile) (*Engine, error) {
	files, err := withBuiltin(user)
	if err != nil {
		return nil, err
	}
	return compile(ctx, files)
}

// Digest is the policy digest of the built-in policies with these user files,
// without compiling them.
func Digest(user []PolicyFile) (string, error) {
	files, err := withBuiltin(user)
	if err != nil {
		return "", err
	}
	return digest(files, CurrentSandbox()), nil
}

// BuiltinDigest is the digest of the built-in policies alone: it identifies
// the amiaudit release whose rules evaluated a snapshot.
func BuiltinDigest() (string, error) { return Digest(nil) }

func withBuiltin(user []PolicyFile) ([]policyFile, error) {
	files, err := builtinFiles(false)
	if err != nil {
		return nil, err
	}
	for _, f := range user {
		files = append(files, policyFile{name: f.Name, content: f.Content})
	}
	return files, nil
}
