// Package secretstest makes credentials that amiaudit's detectors find, one
// kind per detector, for tests that must prove a secret never reaches a
// snapshot document, a report, a log or an evidence bundle. Every value is
// generated from a seed at run time and the vendor prefixes are split in the
// source, so that repository secret scanners have nothing to flag. Each text
// is at most 255 bytes, so that it fits in an EC2 tag value (at most 256
// Unicode characters, https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Tag.html)
// and in an AMI or snapshot description.
package secretstest

import (
	"bytes"
	"encoding/base64"
	"math/rand/v2"
)

// Sample is one credential in the text it is found in.
type Sample struct {
	// Detector is the detector that must find it (secrets.Detectors).
	Detector string
	// Text holds the credential in its context; TagKey, when set, is the tag
	// key that gives the context and Text the tag's value.
	Text   string
	TagKey string
	// Secret is the credential's exact bytes.
	Secret string
}

const (
	upper32  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	alnum    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b64chars = alnum + "+/"
	urlB64   = alnum + "-_"
	lowerHex = "0123456789abcdef"
	digits   = "0123456789"
	letters  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	pk       = "PRIV" + "ATE KEY"
)

type gen struct{ r *rand.Rand }

func (g gen) s(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.r.IntN(len(alphabet))]
	}
	return string(b)
}

// awsSecret draws 40 base64 characters with upper, lower and digits, as AWS
// issues them.
func (g gen) awsSecret() string {
	for {
		s := g.s(b64chars, 40)
		var u, l, d bool
		for _, c := range s {
			u = u || c >= 'A' && c <= 'Z'
			l = l || c >= 'a' && c <= 'z'
			d = d || c >= '0' && c <= '9'
		}
		if u && l && d {
			return s
		}
	}
}

func (g gen) password() string { return g.s(alnum, 12) + "!9" }

// Samples returns one sample per detector of the metadata scan (every
// detector but the deep scan's shadow-file check), from seed.
func Samples(seed uint64) []Sample {
	g := gen{rand.New(rand.NewPCG(seed, 7))}
	enc := base64.RawURLEncoding
	pw := g.password()
	keyID := "AK" + "IA" + g.s(upper32, 16)
	sec := g.awsSecret()
	pem := "-----BEGIN RSA " + pk + "-----\n" + g.s(b64chars, 64) + "\n" + g.s(b64chars, 40) + "==\n-----END RSA " + pk + "-----"
	jwt := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." +
		enc.EncodeToString([]byte(`{"sub":"ci","iat":1706659200}`)) + "." + g.s(urlB64, 43)
	bearer := g.s(alnum, 20) + "." + g.s(alnum, 20)
	basic := base64.StdEncoding.EncodeToString([]byte("deploy:" + g.password()))
	dockerAuth := base64.StdEncoding.EncodeToString([]byte("robot$ci:" + g.password()))
	urlPw := g.password()
	tagPw := g.password()
	apiKey := g.s(alnum, 32)

	tokens := []Sample{
		{Detector: "github-token", Secret: "gh" + "p_" + g.s(alnum, 36)},
		{Detector: "gitlab-token", Secret: "gl" + "pat-" + "k7Qm" + g.s(alnum, 16)},
		{Detector: "slack-token", Secret: "xo" + "xb-" + g.s(digits, 12) + "-" + g.s(digits, 13) + "-" + g.s(alnum, 24)},
		{Detector: "slack-webhook", Secret: "https://hooks.slack" + ".com/services/T" + g.s(upper32, 10) + "/B" + g.s(upper32, 10) + "/" + g.s(alnum, 24)},
		{Detector: "stripe-key", Secret: "sk_" + "live_" + g.s(alnum, 24)},
		{Detector: "google-api-key", Secret: "AI" + "za" + g.s(urlB64, 35)},
		{Detector: "npm-token", Secret: "np" + "m_" + g.s(alnum, 36)},
		{Detector: "pypi-token", Secret: "py" + "pi-AgEIcHlwaS5vcmc" + g.s(urlB64, 60)},
		{Detector: "dockerhub-token", Secret: "dckr" + "_pat_" + g.s(urlB64, 27)},
		{Detector: "digitalocean-token", Secret: "do" + "p_v1_" + g.s(lowerHex, 64)},
		{Detector: "shopify-token", Secret: "sh" + "pat_" + g.s(lowerHex, 32)},
		{Detector: "huggingface-token", Secret: "h" + "f_" + g.s(letters, 34)},
		{Detector: "sendgrid-key", Secret: "S" + "G." + g.s(urlB64, 22) + "." + g.s(urlB64, 43)},
		{Detector: "openai-key", Secret: "sk-" + "proj-" + g.s(alnum, 20) + "T3Blbk" + "FJ" + g.s(alnum, 20)},
		{Detector: "anthropic-key", Secret: "sk-" + "ant-api03-" + g.s(urlB64, 90)},
		{Detector: "vault-token", Secret: "hv" + "s." + g.s(urlB64, 95)},
		{Detector: "terraform-cloud-token", Secret: g.s(alnum, 14) + ".atlas" + "v1." + g.s(alnum, 64)},
		{Detector: "age-secret-key", Secret: "AGE-SECRET" + "-KEY-1" + g.s("023456789ACDEFGHJKLMNPQRSTUVWXYZ", 58)},
	}
	for i := range tokens {
		tokens[i].Text = "token " + tokens[i].Secret
	}
	azureKey := g.s(b64chars, 86) + "=="
	return append([]Sample{
		{Detector: "aws-access-key-id", Text: "golden image (" + keyID + ")", Secret: keyID},
		{Detector: "aws-secret-access-key", Text: "export AWS_SECRET_ACCESS_KEY=" + sec, Secret: sec},
		{Detector: "private-key", Text: pem, Secret: pem},
		{Detector: "password-assignment", Text: "DB_HOST=db DB_PASSWORD=" + pw, Secret: pw},
		{Detector: "password-assignment", TagKey: "DB_PASSWORD", Text: tagPw, Secret: tagPw},
		{Detector: "url-credentials", Text: "DATABASE_URL postgres://app:" + urlPw + "@db.internal:5432/app", Secret: urlPw},
		{Detector: "azure-storage-key", Text: "AccountName=logs;AccountKey=" + azureKey, Secret: azureKey},
		{Detector: "jwt", Text: "Authorization: Bearer " + jwt, Secret: jwt},
		{Detector: "docker-registry-auth", Text: `{"auths": {"registry.example.com": {"auth": "` + dockerAuth + `"}}}`, Secret: dockerAuth},
		{Detector: "basic-auth", Text: "Authorization: Basic " + basic, Secret: basic},
		{Detector: "bearer-token", Text: `Authorization: Bearer ` + bearer, Secret: bearer},
		{Detector: "generic-api-key", Text: `api_key = "` + apiKey + `"`, Secret: apiKey},
	}, tokens...)
}

// Leak returns a piece of secret that data holds, or "" when it holds none:
// the whole secret, or any run of 8 of its bytes after the first 4 (the 4
// characters a redacted form shows). Callers decompress data first.
func Leak(data []byte, secret string) string {
	if len(secret) == 0 {
		return ""
	}
	if bytes.Contains(data, []byte(secret)) {
		return secret
	}
	const run = 8
	for i := 4; i+run <= len(secret); i++ {
		if bytes.Contains(data, []byte(secret[i:i+run])) {
			return secret[i : i+run]
		}
	}
	return ""
}
