package cli

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/smithy-go"
)

// isolatedAWS points the SDK at files in a fresh directory and nowhere else:
// no keys in the environment, no instance metadata, no real home.
func isolatedAWS(t *testing.T, config string) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_ENDPOINT_URL"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_REGION", "us-east-1")
	cfg := filepath.Join(home, "config")
	writeFile(t, cfg, config)
	writeFile(t, filepath.Join(home, "credentials"), "")
	t.Setenv("AWS_CONFIG_FILE", cfg)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(home, "credentials"))
	return home
}

// Each first-run mistake gives one line that says what to do, and exit 3.
func TestFirstRunErrors(t *testing.T) {
	scan := func(t *testing.T, extra ...string) string {
		t.Helper()
		code, out, stderr := amiaudit(t, "", append([]string{"scan", "--regions", "us-east-1", "--format", "json"}, extra...)...)
		if code != 3 || out != "" {
			t.Fatalf("exit %d, stdout %q; want 3 and nothing on stdout\n%s", code, out, stderr)
		}
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if len(lines) != 1 {
			t.Errorf("stderr has %d lines, want one:\n%s", len(lines), stderr)
		}
		return stderr
	}
	want := func(t *testing.T, got string, parts ...string) {
		t.Helper()
		for _, p := range parts {
			if !strings.Contains(got, p) {
				t.Errorf("message %q lacks %q", got, p)
			}
		}
	}

	t.Run("no credentials", func(t *testing.T) {
		isolatedAWS(t, "")
		want(t, scan(t), "no AWS credentials found", "AWS_PROFILE", "AWS_ACCESS_KEY_ID")
	})

	t.Run("profile does not exist", func(t *testing.T) {
		isolatedAWS(t, "[profile audit]\nregion = us-east-1\n")
		want(t, scan(t, "--profile", "adit"), `AWS profile "adit" does not exist`, "aws configure list-profiles")
	})

	t.Run("profile from AWS_PROFILE does not exist", func(t *testing.T) {
		isolatedAWS(t, "")
		t.Setenv("AWS_PROFILE", "nightly")
		want(t, scan(t), `AWS profile "nightly" does not exist`)
	})

	t.Run("expired SSO session", func(t *testing.T) {
		const startURL = "https://acme.awsapps.com/start"
		home := isolatedAWS(t, "[profile sso-audit]\nsso_start_url = "+startURL+"\nsso_region = us-east-1\nsso_account_id = 111122223333\nsso_role_name = SecurityAudit\nregion = us-east-1\n")
		// The AWS CLI caches the token under the SHA-1 of the start URL.
		sum := sha1.Sum([]byte(startURL))
		cache := filepath.Join(home, ".aws", "sso", "cache")
		if err := os.MkdirAll(cache, 0o700); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(cache, hex.EncodeToString(sum[:])+".json"),
			`{"accessToken":"expired-token","expiresAt":"2020-01-01T00:00:00Z","region":"us-east-1","startUrl":"`+startURL+`"}`)
		want(t, scan(t, "--profile", "sso-audit"), "SSO session", "expired", "aws sso login --profile sso-audit")
	})

	// The SDK's credential provider for a profile's role_arn calls STS at
	// its own endpoint (AWS_ENDPOINT_URL does not reach it), so this case is
	// checked on the error chain it produces.
	t.Run("role of the profile cannot be assumed", func(t *testing.T) {
		err := fmt.Errorf("collect: %w", &smithy.OperationError{ServiceID: "STS", OperationName: "GetCallerIdentity",
			Err: fmt.Errorf("get identity: get credentials: failed to refresh cached credentials, %w", &smithy.OperationError{ServiceID: "STS", OperationName: "AssumeRole",
				Err: &smithy.GenericAPIError{Code: "AccessDenied", Message: "User: arn:aws:iam::111122223333:user/ci is not authorized to perform: sts:AssumeRole"}})})
		want(t, explainAWS(err, "reader").Error(), `role of profile "reader" cannot be assumed`, "AccessDenied", "trust policy")
	})
}
