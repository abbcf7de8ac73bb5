package evidence

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
)

// GenerateKey makes an ed25519 key pair for signing manifests: the private
// key as PEM PKCS#8 ("PRIVATE KEY"), the public key as PEM PKIX ("PUBLIC KEY"),
// the forms openssl reads and writes.
func GenerateKey(random io.Reader) (privatePEM, publicPEM []byte, err error) {
	pub, priv, err := ed25519.GenerateKey(random)
	if err != nil {
		return nil, nil, fmt.Errorf("generate ed25519 key: %w", err)
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, nil, fmt.Errorf("encode private key: %w", err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, nil, fmt.Errorf("encode public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}),
		pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), nil
}

// ParsePrivateKey reads an ed25519 private key in PEM PKCS#8 form.
func ParsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errors.New(`expected a PEM "PRIVATE KEY" block (PKCS#8), as 'amiaudit keygen' or 'openssl genpkey -algorithm ed25519' write`)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("PKCS#8 private key: %w", err)
	}
	priv, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("the key is %T, expected an ed25519 key", key)
	}
	return priv, nil
}

// ParsePublicKey reads an ed25519 public key in PEM PKIX form.
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil, errors.New(`expected a PEM "PUBLIC KEY" block (PKIX), as 'amiaudit keygen' or 'openssl pkey -pubout' write`)
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("PKIX public key: %w", err)
	}
	pub, ok := key.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("the key is %T, expected an ed25519 key", key)
	}
	return pub, nil
}

// Fingerprint identifies a public key: sha256 of its PKIX encoding.
func Fingerprint(pub ed25519.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "sha256:?"
	}
	sum := sha256.Sum256(der)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// signingKey describes the public half of priv for the manifest.
func signingKey(priv ed25519.PrivateKey) (*SigningKey, error) {
	pub := priv.Public().(ed25519.PublicKey)
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("encode public key: %w", err)
	}
	return &SigningKey{Algorithm: "ed25519", PublicKey: base64.StdEncoding.EncodeToString(der), Fingerprint: Fingerprint(pub)}, nil
}

// publicKey reads the key a manifest names, checking its fingerprint.
func (k *SigningKey) publicKey() (ed25519.PublicKey, error) {
	der, err := base64.StdEncoding.DecodeString(k.PublicKey)
	if err != nil || k.Algorithm != "ed25519" {
		return nil, errors.New("signing_key is not a base64 ed25519 public key")
	}
	key, err := x509.ParsePKIXPublicKey(der)
	pub, ok := key.(ed25519.PublicKey)
	if err != nil || !ok {
		return nil, errors.New("signing_key is not a base64 ed25519 public key")
	}
	if Fingerprint(pub) != k.Fingerprint {
		return nil, fmt.Errorf("signing_key's fingerprint %s is not that of its public key", k.Fingerprint)
	}
	return pub, nil
}

// sign returns manifest.json.sig: the base64 ed25519 signature of the
// manifest's bytes, and a newline.
func sign(priv ed25519.PrivateKey, manifest []byte) []byte {
	return []byte(base64.StdEncoding.EncodeToString(ed25519.Sign(priv, manifest)) + "\n")
}

// checkSignature verifies manifest.json.sig against the manifest's bytes.
func checkSignature(pub ed25519.PublicKey, manifest, sig []byte) error {
	// Exactly as sign writes it: a changed byte anywhere is a bad signature.
	text := string(bytes.TrimSuffix(sig, []byte("\n")))
	raw, err := base64.StdEncoding.Strict().DecodeString(text)
	if err != nil || len(raw) != ed25519.SignatureSize || base64.StdEncoding.EncodeToString(raw) != text {
		return errors.New("is not a base64 ed25519 signature as amiaudit writes it")
	}
	if !ed25519.Verify(pub, manifest, raw) {
		return fmt.Errorf("does not verify manifest.json with the public key %s: the manifest was changed, or signed with another key", Fingerprint(pub))
	}
	return nil
}
