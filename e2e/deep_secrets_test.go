package e2e

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/amiaudit/amiaudit/internal/cli"
	"github.com/amiaudit/amiaudit/secrets/secretstest"
	"github.com/amiaudit/amiaudit/testbed/diskimage"
)

// TestDeepScanKeepsSecretsRedacted: what the deep scan finds on disk reaches
// the snapshot, the report, the log and the evidence bundle only redacted.
// Every generated word of a planted file with a credential (16 bytes or more,
// with digits, upper and lower case: not aws_secret_access_key) counts as
// secret: none may appear, nor 8 bytes of one past its first 4.
func TestDeepScanKeepsSecretsRedacted(t *testing.T) {
	env := newDeepEnv(t)
	planted := diskimage.Planted()
	uploadImage(t, env.cfg, "planted", diskimage.Spec{FS: diskimage.Ext4, Table: diskimage.GPT, Files: planted}, true)

	var words []string
	for p, content := range planted {
		if !diskimage.IsTarget(p) {
			continue
		}
		for _, w := range strings.FieldsFunc(string(content), func(r rune) bool { return strings.ContainsRune(" \n\t'\"=:@{}", r) }) {
			if len(w) >= 16 && strings.ContainsAny(w, "0123456789") && strings.ContainsAny(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") && strings.ContainsAny(w, "abcdefghijklmnopqrstuvwxyz") {
				words = append(words, w)
			}
		}
	}
	if len(words) < 8 {
		t.Fatalf("only %d secret words planted", len(words))
	}

	creds, err := env.cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": env.proxy.URL(), "AWS_ACCESS_KEY_ID": creds.AccessKeyID, "AWS_SECRET_ACCESS_KEY": creds.SecretAccessKey,
		"AWS_SESSION_TOKEN": creds.SessionToken, "AWS_REGION": "us-east-1", "AWS_CONFIG_FILE": "/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_EC2_METADATA_DISABLED": "true", "CI": "true",
	} {
		t.Setenv(k, v)
	}
	dir := t.TempDir()
	kept, bundle := filepath.Join(dir, "snapshot.json.gz"), filepath.Join(dir, "evidence")
	var stdout, stderr bytes.Buffer
	code := cli.Run([]string{"scan", "--format", "json", "--fail-on", "none", "--regions", "us-east-1", "--deep", "--verbose",
		"--snapshot-out", kept, "--evidence", bundle}, strings.NewReader(""), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("scan --deep exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), `"rule_id": "AMI-008"`) {
		t.Fatalf("no AMI-008 finding: the test sees nothing to leak\n%s", stderr.String())
	}
	check := func(what string, data []byte) {
		t.Helper()
		for _, w := range words {
			if leak := secretstest.Leak(data, w); leak != "" {
				t.Errorf("%s holds %q of a planted secret", what, leak)
			}
		}
	}
	check("report", stdout.Bytes())
	check("log", stderr.Bytes())
	files := []string{kept}
	if err := filepath.WalkDir(bundle, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		check(filepath.Base(p), gunzipped(t, p, data))
	}
}
