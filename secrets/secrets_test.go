package secrets

import (
	"encoding/base64"
	"math/rand/v2"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"
)

// Every credential in this file is generated at run time from a fixed seed,
// and the literal prefixes are split ("AK"+"IA", "PRIV"+"ATE KEY") so that
// repository secret scanners have nothing to flag.

const (
	base32Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	alnum       = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b64chars    = alnum + "+/"
	urlB64      = alnum + "-_"
	lowerHex    = "0123456789abcdef"
	pk          = "PRIV" + "ATE KEY"
)

var rng = rand.New(rand.NewPCG(2024, 131))

func gen(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}

func fakeKeyID() string     { return "AK" + "IA" + gen(base32Upper, 16) }
func fakeTempKeyID() string { return "AS" + "IA" + gen(base32Upper, 16) }

// fakeSecretKey draws until the key has the class mix of a real one, so the
// tests do not depend on the seed.
func fakeSecretKey() string {
	for {
		s := gen(b64chars, 40)
		if awsSecretAt(s, 0, len(s)) {
			return s
		}
	}
}

// fakePassword has letters, digits and a symbol, like a generated password.
func fakePassword() string { return gen(alnum, 12) + "!9" }

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func jwt() string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." +
		enc.EncodeToString([]byte(`{"sub":"ci","iat":1706659200}`)) + "." + gen(urlB64, 43)
}

type want struct {
	detector string
	secret   string
}

type tpCase struct {
	name string
	text string
	want []want
}

func truePositives() []tpCase {
	key, tkey, sec, sec2 := fakeKeyID(), fakeTempKeyID(), fakeSecretKey(), fakeSecretKey()
	session := gen(b64chars, 180)
	pw := fakePassword()
	ghp := "gh" + "p_" + gen(alnum, 36)
	rsa := "-----BEGIN RSA " + pk + "-----\n" + gen(b64chars, 64) + "\n" + gen(b64chars, 40) + "==\n-----END RSA " + pk + "-----"
	truncated := "-----BEGIN OPENSSH " + pk + "-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAAB" + gen(b64chars, 30)
	escaped := `-----BEGIN ` + pk + `-----\n` + gen(b64chars, 64) + `\n-----END ` + pk + `-----`
	putty := "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: deploy\nPublic-Lines: 2\n" + gen(b64chars, 64) +
		"\nPrivate-Lines: 1\n" + gen(b64chars, 44) + "\nPrivate-MAC: " + gen(lowerHex, 64)
	jt := jwt()
	bearer := gen(alnum, 20) + "." + gen(alnum, 20)
	apiKey := gen(alnum, 32)
	hexKey := gen(lowerHex, 32)
	hex40 := gen(lowerHex, 40)
	basic := b64("deploy:" + pw)
	dockerAuth := b64("robot$ci:" + pw)
	return []tpCase{
		{"bare access key ID", key, []want{{idAWSKeyID, key}}},
		{"access key ID in an AMI description", "golden image (" + key + ")", []want{{idAWSKeyID, key}}},
		{"temporary credentials JSON",
			`{"Credentials": {"AccessKeyId": "` + tkey + `", "SecretAccessKey": "` + sec + `", "SessionToken": "` + session + `"}}`,
			[]want{{idAWSKeyID, tkey}, {idAWSSecret, sec}, {"generic-api-key", session}}},
		{"credentials file",
			"[default]\naws_access_key_id = " + key + "\naws_secret_access_key = " + sec + "\nregion = eu-west-1\n",
			[]want{{idAWSKeyID, key}, {idAWSSecret, sec}}},
		{"env export", "export AWS_SECRET_ACCESS_KEY=" + sec, []want{{idAWSSecret, sec}}},
		{"cli configure", "aws configure set aws_secret_access_key " + sec, []want{{idAWSSecret, sec}}},
		{"secret_key in yaml", "s3:\n  secret_key: '" + sec + "'", []want{{idAWSSecret, sec}}},
		{"console CSV export",
			"User name,Password,Access key ID,Secret access key\nci-bot,," + key + "," + sec2 + "\n",
			[]want{{idAWSKeyID, key}, {idAWSSecret, sec2}}},
		{"ID:SECRET pair", key + ":" + sec, []want{{idAWSKeyID, key}, {idAWSSecret, sec}}},

		{"RSA private key block", "key:\n" + rsa + "\n", []want{{"private-key", rsa}}},
		{"truncated OpenSSH key", truncated, []want{{"private-key", truncated}}},
		{"header alone in a tag", "-----BEGIN EC " + pk + "-----", []want{{"private-key", "-----BEGIN EC " + pk + "-----"}}},
		{"encrypted PKCS#8 header", "-----BEGIN ENCRYPTED " + pk + "-----", []want{{"private-key", "-----BEGIN ENCRYPTED " + pk + "-----"}}},
		{"PGP private key block", "-----BEGIN PGP " + pk + " BLOCK-----", []want{{"private-key", "-----BEGIN PGP " + pk + " BLOCK-----"}}},
		{"service account JSON", `{"type": "service_account", "private_key": "` + escaped + `\n"}`, []want{{"private-key", escaped}}},
		{"PuTTY key", putty + "\n", []want{{"private-key", putty}}},

		{"env file", "DB_HOST=db\nDB_PASSWORD=" + pw + "\n", []want{{"password-assignment", pw}}},
		{"JSON", `{"user": "app", "password": "` + pw + `"}`, []want{{"password-assignment", pw}}},
		{"escaped JSON", `{\"password\":\"` + pw + `\"}`, []want{{"password-assignment", pw}}},
		{"yaml passwd", "users:\n  - name: app\n    passwd: " + pw, []want{{"password-assignment", pw}}},
		{"connection string", "Server=db;Uid=sa;Pwd=" + pw + ";Encrypt=true", []want{{"password-assignment", pw}}},
		{"PHP array", `'password' => '` + pw + `',`, []want{{"password-assignment", pw}}},
		{"Go struct literal", `Password: "` + pw + `",`, []want{{"password-assignment", pw}}},
		{"command-line flag", "mysqldump --password " + pw + " shop", []want{{"password-assignment", pw}}},
		{"flag with =", "docker login --password=" + pw + " registry", []want{{"password-assignment", pw}}},
		{"PGPASSWORD", "PGPASSWORD=" + pw + " psql -h db", []want{{"password-assignment", pw}}},
		{"dotted pass key", "smtp.pass = " + pw, []want{{"password-assignment", pw}}},
		{"XML element", "<server><id>nexus</id><password>" + pw + "</password></server>", []want{{"password-assignment", pw}}},
		{"netrc", "machine api.example.com\n  login deploy\n  password " + pw + "\n", []want{{"password-assignment", pw}}},
		{"passphrase", "ssh_key_passphrase: '" + pw + "'", []want{{"password-assignment", pw}}},
		{"weak password", "DB_PASS=Passw0rd", []want{{"password-assignment", "Passw0rd"}}},
		{"letters-only password", "password: correcthorsebattery\n", []want{{"password-assignment", "correcthorsebattery"}}},
		{"quoted passphrase with blanks", `"passphrase": "correct horse battery staple"`, []want{{"password-assignment", "correct horse battery staple"}}},
		{"URL credentials", "DATABASE_URL postgres://app:" + pw + "@db.internal:5432/app", []want{{"url-credentials", pw}}},
		{".git-credentials token", "https://ci:" + ghp + "@github.com\n", []want{{"github-token", ghp}}},
		{"password holding a token", "GITHUB_PASSWORD=" + ghp, []want{{"github-token", ghp}}},

		{"GitHub classic token", "token " + ghp, []want{{"github-token", ghp}}},
		{"GitHub fine-grained token", "github_" + "pat_" + "11AQ3PZ7K0" + gen(alnum, 12) + "_" + gen(alnum, 59), nil},
		{"GitLab token", "GL=" + "gl" + "pat-" + "k7Qm" + gen(alnum, 16), nil},
		{"Slack bot token", "xo" + "xb-" + gen("0123456789", 12) + "-" + gen("0123456789", 13) + "-" + gen(alnum, 24), nil},
		{"Slack webhook", "notify: https://hooks.slack.com/services/T" + gen(base32Upper, 10) + "/B" + gen(base32Upper, 10) + "/" + gen(alnum, 24), nil},
		{"Stripe live key", "sk_" + "live_" + gen(alnum, 24), nil},
		{"Google API key", "AI" + "za" + gen(urlB64, 35), nil},
		{"npm token", "//registry.npmjs.org/:_authToken=" + "npm" + "_" + gen(alnum, 36), nil},
		{"Docker Hub token", "dckr" + "_pat_" + gen(urlB64, 27), nil},
		{"Hugging Face token", "HF_TOKEN=" + "hf" + "_" + gen("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", 34), nil},
		{"SendGrid key", "SG" + "." + gen(urlB64, 22) + "." + gen(urlB64, 43), nil},
		{"age secret key", "AGE-SECRET" + "-KEY-1" + gen("023456789ACDEFGHJKLMNPQRSTUVWXYZ", 58), nil},
		{"Azure storage connection string", "DefaultEndpointsProtocol=https;AccountName=logs;AccountKey=" + gen(b64chars, 86) + "==;EndpointSuffix=core.windows.net", nil},
		{"JWT in a header", "curl -H 'Authorization: Bearer " + jt + "' https://api", []want{{"jwt", jt}}},
		{"bearer token", `-H "Authorization: Bearer ` + bearer + `"`, []want{{"bearer-token", bearer}}},
		{"basic auth header", "Authorization: Basic " + basic, []want{{"basic-auth", basic}}},
		{"docker config", `{"auths": {"registry.example.com": {"auth": "` + dockerAuth + `"}}}`, []want{{"docker-registry-auth", dockerAuth}}},
		{"api key", `api_key = "` + apiKey + `"`, []want{{"generic-api-key", apiKey}}},
		{"hex api key", "DD_API_KEY=" + hexKey, []want{{"generic-api-key", hexKey}}},
		{"client secret", "client_secret: " + apiKey, []want{{"generic-api-key", apiKey}}},
		// A 40-digit hex value named secret_key is not an AWS key (those are
		// base64), but the name still makes it a secret.
		{"hex secret_key", "secret_key = " + hex40, []want{{"generic-api-key", hex40}}},
	}
}

// vendorDetector names the detector the nil-want cases above expect; the
// secret is then the case's token, found by the detector's own regexp.
var vendorDetector = map[string]string{
	"GitHub fine-grained token":       "github-token",
	"GitLab token":                    "gitlab-token",
	"Slack bot token":                 "slack-token",
	"Slack webhook":                   "slack-webhook",
	"Stripe live key":                 "stripe-key",
	"Google API key":                  "google-api-key",
	"npm token":                       "npm-token",
	"Docker Hub token":                "dockerhub-token",
	"Hugging Face token":              "huggingface-token",
	"SendGrid key":                    "sendgrid-key",
	"age secret key":                  "age-secret-key",
	"Azure storage connection string": "azure-storage-key",
}

func TestTruePositives(t *testing.T) {
	for _, tc := range truePositives() {
		t.Run(tc.name, func(t *testing.T) {
			got := Detect(tc.text)
			ws := tc.want
			if ws == nil {
				id := vendorDetector[tc.name]
				if id == "" {
					t.Fatalf("no expectation for %q", tc.name)
				}
				if len(got) != 1 || got[0].Detector != id {
					t.Fatalf("got %+v, want one %s hit", got, id)
				}
				return
			}
			if len(got) != len(ws) {
				t.Fatalf("got %d hits %+v, want %d", len(got), got, len(ws))
			}
			for i, w := range ws {
				h := got[i]
				if h.Detector != w.detector {
					t.Errorf("hit %d: detector %q, want %q", i, h.Detector, w.detector)
				}
				if off := strings.Index(tc.text, w.secret); h.Offset != off {
					t.Errorf("hit %d: offset %d, want %d", i, h.Offset, off)
				}
				if h.Redacted != Redact(w.secret) {
					t.Errorf("hit %d: redacted %q, want %q", i, h.Redacted, Redact(w.secret))
				}
				if strings.Contains(h.Redacted, w.secret) || strings.Contains(h.Description, w.secret) {
					t.Errorf("hit %d leaks the secret", i)
				}
			}
		})
	}
}

func TestAWSKeyDescriptions(t *testing.T) {
	key, tkey, sec := fakeKeyID(), fakeTempKeyID(), fakeSecretKey()
	cases := []struct{ text, want string }{
		{key, "AWS access key ID"},
		{tkey, "AWS temporary (STS) access key ID"},
		{key + "," + sec, "AWS access key ID with secret access key"},
		{"AccessKeyId: " + tkey + "\nSecretAccessKey: " + sec, "AWS temporary (STS) access key ID with secret access key"},
	}
	for _, c := range cases {
		got := Detect(c.text)
		if len(got) == 0 || got[0].Description != c.want {
			t.Errorf("Detect(…) = %+v, want first description %q", got, c.want)
		}
	}
}

func TestFalsePositives(t *testing.T) {
	sha1 := gen(lowerHex, 40)
	sha256 := gen(lowerHex, 64)
	cases := []string{
		// Names, IDs and digests that fill AMI metadata.
		"amzn2-ami-kernel-5.10-hvm-2.0.20240131.0-x86_64-gp2",
		"Amazon Linux 2 Kernel 5.10 AMI 2.0.20240131.0 x86_64 HVM gp2",
		"ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20240207.1",
		"ami-0abcdef1234567890",
		"snap-0123456789abcdef0",
		"vol-049df61146c4d7901",
		"Created by CreateImage(i-0a1b2c3d4e5f67890) for ami-0abcdef1234567890",
		"Copied for DestinationAmi ami-0abcdef1234567890 from SourceAmi ami-0fedcba9876543210 from SourceSnapshot snap-0123456789abcdef0. Task created on 1,706,659,200,000.",
		"6f1ed002-ab5d-42e8-9b07-0c1f4d1a8e2e",
		sha256,
		"sha256:" + sha256,
		"git-sha " + sha1,
		"arn:aws:kms:us-east-1:123456789012:key/6f1ed002-ab5d-42e8-9b07-0c1f4d1a8e2e",
		"arn:aws:iam::123456789012:role/secrets-reader",
		"arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf",
		"KmsKeyId=mrk-1234abcd12ab34cd56ef1234567890ab",
		b64("The quick brown fox jumps over the lazy dog, then it naps in the sun."),
		b64("password rotation is handled by the platform team"),

		// AWS documentation credentials.
		"AKIAIOSFODNN7EXAMPLE",
		"aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
		"AKIAI44QH8DHBEXAMPLE:je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",

		// IAM unique IDs are identifiers, not credentials.
		"AG" + "PA" + gen(base32Upper, 16),
		"AI" + "DA" + gen(base32Upper, 16),
		"AR" + "OA" + gen(base32Upper, 16),
		// A secret access key needs a context.
		fakeSecretKey(),
		"checksum " + fakeSecretKey(),
		// Key IDs glued to other characters are fragments of something else.
		"X" + fakeKeyID(),
		fakeKeyID() + "9",
		"Slovakia and Asia Pacific (ap-southeast-1)",

		// Public material.
		"-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----",
		"-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----",
		"-----BEGIN OPENSSH PUBLIC KEY-----",
		"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ec2-user@build",

		// Placeholders.
		"password=",
		"password=********",
		"password: <password>",
		"DB_PASSWORD=${DB_PASSWORD}",
		"PGPASSWORD=$PASSWORD psql",
		`{"password": "{{ .Password }}"}`,
		"password: '{{ vault_db_password }}'",
		"password=changeme",
		"password: changeit",
		"password: xxx",
		"password: xxxxxxxx",
		"password: null",
		"password: None",
		"password=false",
		"password: true",
		`"password": ""`,
		`"password": null`,
		"password: REDACTED",
		"password: [FILTERED]",
		"password=<your-password>",
		"password: your_password_here",
		"db_password: DB_PASSWORD",
		"password: %(db_password)s",
		"password=%DB_PASS%",
		"password: !vault |",
		"password: ENC[AES256_GCM,data:Zm9v,iv:YmFy,tag:YmF6,type:str]",
		"MasterUserPassword: '{{resolve:secretsmanager:prod/db:SecretString:password}}'",
		"password: arn:aws:secretsmanager:us-east-1:123456789012:secret:db",
		"password: $6$rounds=5000$saltsalt$" + gen(alnum, 40),
		"pwd=abc",
		"ftp://anonymous:guest@ftp.example.com/pub",
		"https://user:password@host.example.com",
		"gh" + "p_" + strings.Repeat("x", 36),
		"gh" + "p_" + "1234567890abcdefghijklmnopqrstuvwxyz",

		// Code that names a password.
		"password = os.environ['DB_PASSWORD']",
		"password=self.password",
		"conn = connect(password=password)",
		"password: str",
		"password: Optional[str] = None",
		"password=getpass.getpass()",
		"Password: cfg.Password,",

		// Code, help texts and templates that ship in every image.
		"self.key_password = key_password",
		"index_url, _, index_url_user_password = index_info",
		"userid = passwd = acct = ''",
		"Password: ExpectedPassword,",
		"let pwd = a:dict.istemp ? a:dict.tmpdir : ''",
		"SMART_LCYL_PASS = 0x4f",
		":type passphrase: :py:data:`bytes`",
		`AttributeOID.CHALLENGE_PASSWORD: "challengePassword",`,
		`"internalDiskPassword":"internal-disk-admin_password"`,
		"const password = 'Password used to generate key';",
		"<password>proxypass</password>",
		"<passphrase>optional; leave empty if not used.</passphrase>",
		"  --errors --encrypt-master-password --encrypt-password --fail-at-end",
		"information can be provided via the --username and --password options",
		"  -p, --password PASSWORD       encrypted password of the new account",
		"       --http-password=JELSZÓ       az ftp jelszó beállítása",
		"passwd: パスワードは正しく更新されました",
		"passwd: elevated-privileges 2755 root/shadow [usr/bin/chage]",
		"base-passwd: no-debconf-config",
		"Changed the prompt from `Instance Password:` to `New Password:`",
		`"parse-passwd": "^1.0.0"`,
		"default login anonymous password user@site",
		`_SK_START = b"-----BEGIN OPENSSH ` + pk + `-----"`,
		"\x05modes\xda-----BEGIN OPENSSH " + pk + "-----\xfa\x02",
		`"accessToken": "` + b64("this is not a real value") + `"`,
		"Location: http://example.com/cb#access_token=2YotnFZFEjr1zCsicMWpAA",
		"Authorization: Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW",
		`"Resource": "arn:aws:secretsmanager:eu-north-1:123456789012:secret:opa-cfn-token-l26bHK"`,
		"CreateOAuth2TokenRequestBody_refreshToken = CreateOAuth2TokenRequestBody.AddMember(",

		// AMI names, descriptions and tags seen in the wild.
		"Canonical, Ubuntu, 22.04 LTS, amd64 jammy image build on 2024-02-07",
		"Microsoft Windows Server 2022 Full Locale English AMI provided by Amazon",
		"EKS Kubernetes Worker AMI with AmazonLinux2 image, (k8s: 1.29.0, containerd: 1.7.11-1.amzn2.0.1)",
		"Deep Learning AMI GPU PyTorch 2.1.0 (Ubuntu 20.04) 20240116",
		"bottlerocket-aws-k8s-1.29-x86_64-v1.19.0-c8de5d2a",
		"RHEL-9.3.0_HVM-20240117-x86_64-49-Hourly2-GP3",
		"CIS Hardened Image Level 1 on Amazon Linux 2 - password policy enforced",
		"Jenkins server; admin password in SSM parameter /jenkins/admin",
		"Password authentication disabled; use SSM Session Manager",
		"BuildUrl: https://jenkins.example.com/job/ami/123/",
		"aws:cloudformation:stack-id arn:aws:cloudformation:us-east-1:123456789012:stack/ami/6f1ed002-ab5d-42e8-9b07-0c1f4d1a8e2e",

		// Names and paths.
		"password_file: /run/secrets/db",
		"password_length: 16",
		"password-policy=strict",
		"PWD=/home/ec2-user",
		"OLDPWD=/root",
		"pwd",

		// Prose.
		"password rotation enabled",
		"no password",
		"Password authentication disabled",
		"password: stored in vault",
		"password: disabled",
		"SSH password login is disabled for this image",
		"Rotate the password every 90 days",
		"passwordless sudo for ec2-user",
		"secret scanning: enabled",
		"Token-based auth via IMDSv2",

		// Tokens and keys in contexts that do not hold credentials.
		`"NextToken": "` + gen(b64chars, 120) + `"`,
		`"ClientToken": "6f1ed002-ab5d-42e8-9b07-0c1f4d1a8e2e"`,
		"Authorization: Bearer $TOKEN",
		"Authorization: Bearer <token>",
		"Authorization: Basic " + b64("user:"),
		`"auth": ""`,
		`"auth": "` + b64("justauser") + `"`,
		"api_key: YOUR_API_KEY_HERE",
		"api_key=my-api-key-for-prod",
		"api_key: 6f1ed002-ab5d-42e8-9b07-0c1f4d1a8e2e",
		"secret: ami-0abcdef1234567890",
		"client_secret: ${CLIENT_SECRET}",
		"access_token: <ACCESS_TOKEN>",
		"https://github.com/amiaudit/amiaudit",
		"ssh://git@github.com/amiaudit/amiaudit.git",
		"s3://bucket/key",
		"eyJhbGciOiJub25lIn0.eyJzdWIiOiJjaSJ9.c2lnbmF0dXJlc2lnbmF0dXJl", // alg none
	}
	for _, text := range cases {
		if got := Detect(text); len(got) != 0 {
			t.Errorf("Detect(%q) = %+v, want nothing", text, got)
		}
	}
}

func TestLinesAndOffsets(t *testing.T) {
	key, sec, pw, ghp := fakeKeyID(), fakeSecretKey(), fakePassword(), "gh"+"o_"+gen(alnum, 36)
	lines := []string{
		"#!/bin/bash",
		"set -euo pipefail",
		"export AWS_ACCESS_KEY_ID=" + key,
		"export AWS_SECRET_ACCESS_KEY=" + sec,
		"",
		"mysql -u root --password=" + pw + " -e 'select 1'",
		"git clone https://x-access-token:" + ghp + "@github.com/acme/app.git",
		"-----BEGIN DSA " + pk + "-----",
	}
	text := strings.Join(lines, "\n")
	want := []struct {
		detector string
		secret   string
		line     int
	}{
		{idAWSKeyID, key, 3},
		{idAWSSecret, sec, 4},
		{"password-assignment", pw, 6},
		{"github-token", ghp, 7},
		{"private-key", "-----BEGIN DSA " + pk + "-----", 8},
	}
	for _, in := range []struct {
		name string
		hits []Hit
	}{{"Detect", Detect(text)}, {"DetectBytes", DetectBytes([]byte(text))}} {
		if len(in.hits) != len(want) {
			t.Fatalf("%s: got %+v, want %d hits", in.name, in.hits, len(want))
		}
		for i, w := range want {
			h := in.hits[i]
			if h.Detector != w.detector || h.Line != w.line || h.Offset != strings.Index(text, w.secret) {
				t.Errorf("%s hit %d = %+v, want %s on line %d at %d", in.name, i, h, w.detector, w.line, strings.Index(text, w.secret))
			}
		}
	}
	// CRLF files count lines the same way.
	crlf := strings.ReplaceAll(text, "\n", "\r\n")
	for i, h := range Detect(crlf) {
		if h.Line != want[i].line {
			t.Errorf("CRLF hit %d on line %d, want %d", i, h.Line, want[i].line)
		}
	}
}

func TestDetectKeyValue(t *testing.T) {
	pw, sec, ghp := fakePassword(), fakeSecretKey(), "gh"+"p_"+gen(alnum, 36)
	cases := []struct {
		key, value string
		want       string // detector, "" for none
	}{
		{"DB_PASSWORD", pw, "password-assignment"},
		{"db password", pw, "password-assignment"},
		{"aws_secret_access_key", sec, idAWSSecret},
		{"Name", ghp, "github-token"},
		{"Name", "web-server-prod", ""},
		{"Description", pw, ""},
		{"password", "rotated monthly", ""},
		{"password", "none", ""},
		{"password" + ghp, "x", ""}, // a hit in the key is the key's business
	}
	for _, c := range cases {
		got := DetectKeyValue(c.key, c.value)
		if c.want == "" {
			if len(got) != 0 {
				t.Errorf("DetectKeyValue(%q, …) = %+v, want nothing", c.key, got)
			}
			continue
		}
		if len(got) != 1 || got[0].Detector != c.want || got[0].Offset != 0 || got[0].Line != 1 {
			t.Errorf("DetectKeyValue(%q, …) = %+v, want one %s hit at offset 0", c.key, got, c.want)
		}
	}
}

var reRedacted = regexp.MustCompile(`^(?:(.{1,4})…)?sha256:[0-9a-f]{12}$`)

func TestRedact(t *testing.T) {
	for _, s := range []string{fakeKeyID(), fakeSecretKey(), fakePassword(), gen(alnum, 8), "héllo wörld", strings.Repeat("z", 200)} {
		r := Redact(s)
		m := reRedacted.FindStringSubmatch(r)
		if m == nil {
			t.Fatalf("Redact(%d chars) = %q, bad format", len(s), r)
		}
		if strings.Contains(r, s) {
			t.Errorf("Redact leaks %q", s)
		}
		if want := string([]rune(s)[:4]); m[1] != want {
			t.Errorf("Redact prefix %q, want %q", m[1], want)
		}
		if Redact(s) != r {
			t.Errorf("Redact is not stable")
		}
	}
	for _, s := range []string{"", "a", "hunter2", "pässwö"} {
		if r := Redact(s); !strings.HasPrefix(r, "sha256:") || len(r) != len("sha256:")+12 {
			t.Errorf("Redact(%q) = %q, want the hash alone", s, r)
		}
	}
	if r := Redact("\x00\x01secret-value"); strings.Contains(r, "…") || strings.Contains(r, "\x00") {
		t.Errorf("unprintable prefixes must not be shown: %q", r)
	}
	if a, b := fakePassword(), fakePassword(); a != b && Redact(a) == Redact(b) {
		t.Errorf("different secrets redact alike")
	}
}

func TestShadowUnlocked(t *testing.T) {
	sha512 := "$6$" + gen(alnum, 16) + "$" + gen(alnum+"./", 86)
	yes := "$y$j9T$" + gen(alnum, 22) + "$" + gen(alnum+"./", 43)
	des := gen(alnum+"./", 13)
	bcrypt := "$2b$12$" + gen(alnum+"./", 53)
	lines := []string{
		"root:" + sha512 + ":19750:0:99999:7:::",
		"daemon:*:19750:0:99999:7:::",
		"bin:!:19750:0:99999:7:::",
		"ec2-user:!!:19750:0:99999:7:::",
		"locked:!" + sha512 + ":19750:0:99999:7:::",
		"nopass::19750:0:99999:7:::",
		"star:!*:19750::::::",
		"legacy:" + des + ":19750:0:99999:7:::",
		"",
		"app:" + yes + ":19750:0:99999:7:::",
		"svc:" + bcrypt + ":19750:0:99999:7:::",
		"garbage line without fields",
	}
	content := strings.Join(lines, "\r\n")
	got := ShadowUnlocked([]byte(content))
	want := []struct {
		user, hash, scheme string
		line               int
	}{
		{"root", sha512, "SHA-512-crypt", 1},
		{"legacy", des, "DES-crypt", 8},
		{"app", yes, "yescrypt", 10},
		{"svc", bcrypt, "bcrypt", 11},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %d hits", got, len(want))
	}
	for i, w := range want {
		h := got[i]
		if h.Detector != "unlocked-password-hash" || h.Line != w.line || h.Offset != strings.Index(content, w.hash) ||
			h.Redacted != w.user+":"+Redact(w.hash) || !strings.Contains(h.Description, w.scheme) {
			t.Errorf("hit %d = %+v, want %s on line %d", i, h, w.user, w.line)
		}
		if strings.Contains(h.Redacted, w.hash) {
			t.Errorf("hit %d leaks the hash", i)
		}
	}
	if ShadowUnlocked(nil) != nil {
		t.Errorf("empty content must give no hits")
	}
}

func TestDetectors(t *testing.T) {
	ds := Detectors()
	if len(ds) != len(detectors)+1 {
		t.Fatalf("Detectors() has %d entries, want %d", len(ds), len(detectors)+1)
	}
	if !sort.SliceIsSorted(ds, func(i, j int) bool { return ds[i].ID < ds[j].ID }) {
		t.Errorf("Detectors() is not sorted")
	}
	seen := map[string]bool{}
	for _, d := range ds {
		if seen[d.ID] || d.ID == "" || d.Description == "" {
			t.Errorf("bad or duplicate detector %+v", d)
		}
		seen[d.ID] = true
	}
	for _, id := range []string{idAWSKeyID, idAWSSecret, idShadow, "private-key", "password-assignment", "github-token", "gitlab-token", "slack-token", "stripe-key", "google-api-key", "jwt"} {
		if !seen[id] {
			t.Errorf("missing detector %s", id)
		}
	}
}

// TestPrefilterComplete checks that every hit of the test corpus survives
// the prefilter: a detector whose anchors miss its own matches would go
// silently blind.
func TestPrefilterComplete(t *testing.T) {
	var all []string
	for _, tc := range truePositives() {
		checkPrefilter(t, tc.text)
		all = append(all, tc.text)
	}
	// The same secrets inside one long file, as the deep scan sees them.
	checkPrefilter(t, strings.Join(all, "\n"))
}

func checkPrefilter(t *testing.T, text string) {
	t.Helper()
	// Go's (?i) also folds the Kelvin sign and the long s onto k and s; the
	// prefilter folds ASCII only, which is the behaviour we want.
	if strings.ContainsAny(text, "\u212a\u017f") {
		return
	}
	want := detectWith(text, allDetectors, nil)
	mask, _ := scan(text, false)
	if got := detectWith(text, mask, nil); !reflect.DeepEqual(got, want) {
		t.Fatalf("prefilter changed the result for %q:\n got %+v\nwant %+v", text, got, want)
	}
	mask, occ := scan(text, true)
	if got := detectWith(text, mask, occ); !reflect.DeepEqual(got, want) {
		t.Fatalf("line windows changed the result for %q:\n got %+v\nwant %+v", text, got, want)
	}
}

func FuzzDetect(f *testing.F) {
	for _, tc := range truePositives() {
		f.Add(tc.text)
	}
	f.Add("amzn2-ami-kernel-5.10-hvm-2.0.20240131.0-x86_64-gp2")
	f.Add("password: stored in vault")
	f.Add("root:$6$abc$" + gen(alnum, 40) + ":1::::::\nbin:*:1::::::")
	f.Add("")
	f.Add("password: \u0130\u0130pass") // İ grows when lower-cased by strings.ToLower
	f.Fuzz(func(t *testing.T, text string) {
		checkPrefilter(t, text)
		spans := detect(text)
		hits := Detect(text)
		if len(hits) != len(spans) {
			t.Fatalf("Detect gave %d hits for %d spans", len(hits), len(spans))
		}
		ids := map[string]bool{}
		for _, d := range Detectors() {
			ids[d.ID] = true
		}
		for i, h := range hits {
			s := spans[i]
			if h.Offset != s.start || s.start < 0 || s.end > len(text) || s.start >= s.end {
				t.Fatalf("hit %d span [%d,%d) outside the text (len %d)", i, s.start, s.end, len(text))
			}
			if i > 0 && h.Offset <= hits[i-1].Offset {
				t.Fatalf("hits not sorted by offset: %d then %d", hits[i-1].Offset, h.Offset)
			}
			if i > 0 && spans[i-1].end > s.start {
				t.Fatalf("hits %d and %d overlap", i-1, i)
			}
			if !ids[h.Detector] {
				t.Fatalf("unknown detector %q", h.Detector)
			}
			if want := 1 + strings.Count(text[:h.Offset], "\n"); h.Line != want {
				t.Fatalf("hit %d on line %d, want %d", i, h.Line, want)
			}
			secret := text[s.start:s.end]
			if h.Redacted != Redact(secret) {
				t.Fatalf("hit %d redaction is not Redact(secret)", i)
			}
			if len(secret) >= 12 && strings.Contains(h.Redacted, secret) {
				t.Fatalf("hit %d leaks its secret", i)
			}
			m := reRedacted.FindStringSubmatch(h.Redacted)
			if m == nil || !strings.HasPrefix(secret, m[1]) || utf8.RuneCountInString(m[1]) > 4 {
				t.Fatalf("hit %d redaction %q is malformed", i, h.Redacted)
			}
		}
		if b := DetectBytes([]byte(text)); !reflect.DeepEqual(b, hits) {
			t.Fatalf("DetectBytes differs from Detect")
		}
		for _, h := range ShadowUnlocked([]byte(text)) {
			if h.Offset < 0 || h.Offset >= len(text) || !strings.Contains(h.Redacted, "sha256:") {
				t.Fatalf("bad shadow hit %+v", h)
			}
		}
	})
}

var sink []Hit

func BenchmarkDetectCleanName(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sink = Detect("amzn2-ami-kernel-5.10-hvm-2.0.20240131.0-x86_64-gp2")
	}
}

func BenchmarkDetectCleanDescription(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sink = Detect("Copied for DestinationAmi ami-0abcdef1234567890 from SourceAmi ami-0fedcba9876543210 from SourceSnapshot snap-0123456789abcdef0. Task created on 1,706,659,200,000.")
	}
}

func BenchmarkDetectHit(b *testing.B) {
	text := "golden image build " + fakeKeyID() + " password=" + fakePassword()
	b.ReportAllocs()
	for b.Loop() {
		sink = Detect(text)
	}
}

// BenchmarkDetectBytesHistory is the deep scan's worst ordinary case: a
// megabyte of shell history with a few secrets in it.
func BenchmarkDetectBytesHistory(b *testing.B) {
	cmds := []string{
		"ls -la /var/log", "sudo systemctl restart nginx", "cd /opt/app && git pull",
		"aws s3 ls s3://backups/2024/", "docker ps -a", "kubectl get pods -n prod",
		"grep -r token_refresh src/", "vim /etc/ssh/sshd_config", "echo $PATH",
		"curl -s https://api.example.com/health", "tail -f /var/log/secure",
	}
	var sb strings.Builder
	for i := 0; sb.Len() < 1<<20; i++ {
		sb.WriteString(cmds[i%len(cmds)])
		sb.WriteByte('\n')
		if i%5000 == 0 {
			sb.WriteString("export DB_PASSWORD=" + fakePassword() + "\n")
		}
	}
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		sink = DetectBytes(data)
	}
}
