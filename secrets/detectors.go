package secrets

import (
	"regexp"
	"strings"
)

// emitFunc records a secret at text[start:end]; desc overrides the
// detector's description when not empty.
type emitFunc func(start, end int, desc string)

type detector struct {
	id   string
	desc string
	// prio decides overlaps: the more specific detector has the higher
	// priority, so a ghp_ token in a URL is a github-token, not url-credentials.
	prio int
	// anchors are literals any match contains; "~" marks an ASCII
	// case-insensitive one.
	anchors []string
	find    func(text string, emit emitFunc)
}

const (
	idAWSKeyID  = "aws-access-key-id"
	idAWSSecret = "aws-secret-access-key"
)

// Priorities, highest first.
const (
	prioKey     = 100 // private key blocks swallow everything inside them
	prioVendor  = 90  // fixed vendor prefixes
	prioJWT     = 80
	prioDecoded = 70 // values checked by decoding them
	prioBearer  = 60
	prioGeneric = 50
	prioPass    = 40
)

// Quote and separator fragments shared by the assignment patterns. Only
// horizontal blanks may surround a separator: "DB_PASSWORD=\nDB_USER=x" is an
// empty password, not the password "DB_USER=x".
const (
	reQuote = "(?:\\\\?[\"'`])?"
	reSep   = "[ \\t]*(?::=|=>|[:=])[ \\t]*"
)

var detectors = []detector{
	{
		id:      idAWSKeyID,
		desc:    "AWS access key ID",
		prio:    prioVendor,
		anchors: []string{"AKIA", "ASIA"},
		find:    findAWSKeyIDs,
	},
	{
		id:      idAWSSecret,
		desc:    "AWS secret access key",
		prio:    prioVendor,
		anchors: []string{"~secret", "AKIA", "ASIA"},
		find:    findAWSSecrets,
	},
	{
		id:      "private-key",
		desc:    "Private key block (PEM, OpenSSH, PGP or PuTTY)",
		prio:    prioKey,
		anchors: []string{"-----BEGIN ", "PuTTY-User-Key-File-"},
		find:    findPrivateKeys,
	},
	{
		id:      "password-assignment",
		desc:    "Password assigned in configuration, code or a command line",
		prio:    prioPass,
		anchors: []string{"~pass", "~pwd", "~pswd"},
		find:    findPasswords,
	},
	{
		id:      "url-credentials",
		desc:    "Password embedded in a URL (scheme://user:password@host)",
		prio:    prioDecoded,
		anchors: []string{"://"},
		find:    findURLCredentials,
	},
	{
		id:      "github-token",
		desc:    "GitHub token",
		prio:    prioVendor,
		anchors: []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"},
		find: tokenFinder(`(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})`,
			isWord),
	},
	{
		id:      "gitlab-token",
		desc:    "GitLab access, deploy or runner token",
		prio:    prioVendor,
		anchors: []string{"glpat-", "gldt-", "glrt-", "glptt-"},
		find:    tokenFinder(`gl(?:pat|dt|rt|ptt)-[A-Za-z0-9_\-]{20,}(?:\.[0-9a-z]{2}\.[0-9a-z]{9})?`, isTokenChar),
	},
	{
		id:      "slack-token",
		desc:    "Slack API token",
		prio:    prioVendor,
		anchors: []string{"xox", "xapp-"},
		find:    tokenFinder(`(?:xox[abposr]|xoxe\.xox[bp]|xoxe|xapp)-[0-9]{1,16}-[A-Za-z0-9\-]{10,}`, isTokenChar),
	},
	{
		id:      "slack-webhook",
		desc:    "Slack incoming webhook URL",
		prio:    prioVendor,
		anchors: []string{"hooks.slack.com/"},
		find:    tokenFinder(`https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_\-]{8,}/[A-Za-z0-9_\-]{8,}/[A-Za-z0-9_\-/]{16,}`, isTokenChar),
	},
	{
		id:      "stripe-key",
		desc:    "Stripe live secret or restricted key",
		prio:    prioVendor,
		anchors: []string{"sk_live_", "rk_live_"},
		find:    tokenFinder(`[sr]k_live_[A-Za-z0-9]{24,247}`, isWord),
	},
	{
		id:      "google-api-key",
		desc:    "Google API key",
		prio:    prioVendor,
		anchors: []string{"AIza"},
		find:    tokenFinder(`AIza[A-Za-z0-9_\-]{35}`, isTokenChar),
	},
	{
		id:      "npm-token",
		desc:    "npm access token",
		prio:    prioVendor,
		anchors: []string{"npm_"},
		find:    tokenFinder(`npm_[A-Za-z0-9]{36}`, isWord),
	},
	{
		id:      "pypi-token",
		desc:    "PyPI API token",
		prio:    prioVendor,
		anchors: []string{"pypi-AgEIcHlwaS5vcmc"},
		find:    tokenFinder(`pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,}`, isTokenChar),
	},
	{
		id:      "dockerhub-token",
		desc:    "Docker Hub personal access token",
		prio:    prioVendor,
		anchors: []string{"dckr_pat_"},
		find:    tokenFinder(`dckr_pat_[A-Za-z0-9_\-]{27}`, isTokenChar),
	},
	{
		id:      "digitalocean-token",
		desc:    "DigitalOcean API token",
		prio:    prioVendor,
		anchors: []string{"dop_v1_", "doo_v1_", "dor_v1_"},
		find:    tokenFinder(`do[por]_v1_[a-f0-9]{64}`, isWord),
	},
	{
		id:      "shopify-token",
		desc:    "Shopify access token or shared secret",
		prio:    prioVendor,
		anchors: []string{"shpat_", "shpca_", "shppa_", "shpss_"},
		find:    tokenFinder(`shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}`, isWord),
	},
	{
		id:      "huggingface-token",
		desc:    "Hugging Face access token",
		prio:    prioVendor,
		anchors: []string{"hf_"},
		find:    tokenFinder(`hf_[A-Za-z]{34}`, isWord),
	},
	{
		id:      "sendgrid-key",
		desc:    "SendGrid API key",
		prio:    prioVendor,
		anchors: []string{"SG."},
		find:    tokenFinder(`SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}`, isTokenChar),
	},
	{
		id:      "openai-key",
		desc:    "OpenAI API key",
		prio:    prioVendor,
		anchors: []string{"T3BlbkFJ"},
		find:    tokenFinder(`sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{16,}T3BlbkFJ[A-Za-z0-9_\-]{16,}`, isTokenChar),
	},
	{
		id:      "anthropic-key",
		desc:    "Anthropic API key",
		prio:    prioVendor,
		anchors: []string{"sk-ant-"},
		find:    tokenFinder(`sk-ant-(?:api|admin)[0-9]{2}-[A-Za-z0-9_\-]{80,}`, isTokenChar),
	},
	{
		id:      "vault-token",
		desc:    "HashiCorp Vault service or batch token",
		prio:    prioVendor,
		anchors: []string{"hvs.", "hvb."},
		find:    tokenFinder(`hv[sb]\.[A-Za-z0-9_\-]{90,}`, isTokenChar),
	},
	{
		id:      "terraform-cloud-token",
		desc:    "Terraform Cloud / Enterprise API token",
		prio:    prioVendor,
		anchors: []string{".atlasv1."},
		find:    tokenFinder(`[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=\-]{60,}`, isTokenChar),
	},
	{
		id:      "age-secret-key",
		desc:    "age encryption secret key",
		prio:    prioKey,
		anchors: []string{"AGE-SECRET-KEY-1"},
		find:    tokenFinder(`AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}`, isWord),
	},
	{
		id:      "azure-storage-key",
		desc:    "Azure storage account key in a connection string",
		prio:    prioVendor,
		anchors: []string{"~accountkey="},
		find:    findAzureStorageKeys,
	},
	{
		id:      "jwt",
		desc:    "Signed JSON Web Token",
		prio:    prioJWT,
		anchors: []string{"eyJ"},
		find:    findJWTs,
	},
	{
		id:      "docker-registry-auth",
		desc:    "Container registry credentials (Docker config auth or identity token)",
		prio:    prioDecoded,
		anchors: []string{"~\"auth\"", "~\"identitytoken\""},
		find:    findDockerAuth,
	},
	{
		id:      "basic-auth",
		desc:    "HTTP Basic credentials in an Authorization header",
		prio:    prioDecoded,
		anchors: []string{"~authorization"},
		find:    findBasicAuth,
	},
	{
		id:      "bearer-token",
		desc:    "Bearer token in an Authorization header",
		prio:    prioBearer,
		anchors: []string{"~authorization"},
		find:    findBearer,
	},
	{
		id:      "generic-api-key",
		desc:    "API key, client secret or access token assigned in configuration or code",
		prio:    prioGeneric,
		anchors: []string{"~api", "~secret", "~token"},
		find:    findGeneric,
	},
}

// Character classes for boundary checks: a token glued to more token
// characters is a fragment of something else (a longer ID, a base64 blob).

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isWord(c byte) bool { return isAlnum(c) || c == '_' }

func isTokenChar(c byte) bool { return isAlnum(c) || c == '_' || c == '-' }

func isBase64(c byte) bool { return isAlnum(c) || c == '+' || c == '/' }

// glued reports whether text[start:end] touches a character of class on either side.
func glued(text string, start, end int, class func(byte) bool) bool {
	return start > 0 && class(text[start-1]) || end < len(text) && class(text[end])
}

// tokenFinder builds the finder of a fixed-prefix vendor token.
func tokenFinder(pattern string, class func(byte) bool) func(string, emitFunc) {
	re := regexp.MustCompile(pattern)
	return func(text string, emit emitFunc) {
		for _, m := range re.FindAllStringIndex(text, -1) {
			if glued(text, m[0], m[1], class) || !plausibleToken(text[m[0]:m[1]]) {
				continue
			}
			emit(m[0], m[1], "")
		}
	}
}

var reAWSKeyID = regexp.MustCompile(`(?:AKIA|ASIA)[A-Z0-9]{16}`)

func findAWSKeyIDs(text string, emit emitFunc) {
	for _, m := range reAWSKeyID.FindAllStringIndex(text, -1) {
		id := text[m[0]:m[1]]
		if glued(text, m[0], m[1], isAlnum) || strings.Contains(id, "EXAMPLE") {
			continue
		}
		desc := "AWS access key ID"
		if strings.HasPrefix(id, "ASIA") {
			desc = "AWS temporary (STS) access key ID"
		}
		emit(m[0], m[1], desc)
	}
}

// reAWSSecretCtx finds a 40-character value after a secret-key name, in any
// of the spellings of the CLI, SDKs, CloudFormation and env files.
var reAWSSecretCtx = regexp.MustCompile(`(?i)(?:secret[_.\- ]?(?:access[_.\- ]?)?key|aws[_.\-]?secret)` +
	reQuote + `[ \t]*(?::=|=>|[:=])?[ \t]*` + reQuote + `([a-z0-9/+]{40})`)

func findAWSSecrets(text string, emit emitFunc) {
	for _, m := range reAWSSecretCtx.FindAllStringSubmatchIndex(text, -1) {
		if awsSecretAt(text, m[2], m[3]) {
			emit(m[2], m[3], "")
		}
	}
	// A secret right after its key ID (CSV exports, "ID:SECRET" pairs,
	// credentials pasted on one line) needs no name to be recognised.
	for _, m := range reAWSKeyID.FindAllStringIndex(text, -1) {
		if glued(text, m[0], m[1], isAlnum) {
			continue
		}
		i, n := m[1], 0
		for i < len(text) && n < 8 && strings.IndexByte(" \t\r\n,:;|\"'=", text[i]) >= 0 {
			i++
			n++
		}
		if n == 0 || i+40 > len(text) {
			continue
		}
		if awsSecretAt(text, i, i+40) {
			emit(i, i+40, "")
		}
	}
}

// awsSecretAt checks that text[start:end] is a whole 40-character base64
// word that mixes character classes the way random keys do; hex digests
// (SHA-1 is 40 hex digits) and words fail.
func awsSecretAt(text string, start, end int) bool {
	if start > 0 && isBase64(text[start-1]) || end < len(text) && (isBase64(text[end]) || text[end] == '=') {
		return false
	}
	s := text[start:end]
	var upper, lower, other bool
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= '0' && c <= '9' || c == '/' || c == '+':
			other = true
		default:
			return false
		}
	}
	return upper && lower && other && !strings.Contains(s, "EXAMPLE") && entropy(s) >= 4.0
}

var rePrivateKey = regexp.MustCompile(`-----BEGIN (?:(?:RSA|EC|DSA|OPENSSH|ENCRYPTED|PGP|SSH2 ENCRYPTED|ANY) )?PRIVATE KEY(?: BLOCK)?-----|PuTTY-User-Key-File-[23]: `)

func findPrivateKeys(text string, emit emitFunc) {
	for _, m := range rePrivateKey.FindAllStringIndex(text, -1) {
		emit(m[0], privateKeyEnd(text, m[0], m[1]), "")
	}
}

// privateKeyEnd finds the end of the key that starts at start, so that the
// redaction hash identifies the key rather than its (shared) header.
func privateKeyEnd(text string, start, headerEnd int) int {
	const maxKey = 64 << 10
	limit := min(len(text), start+maxKey)
	rest := text[headerEnd:limit]
	if text[start] == 'P' { // PuTTY: the key ends with its MAC line
		if i := strings.Index(rest, "Private-MAC: "); i >= 0 {
			j := i + len("Private-MAC: ")
			for j < len(rest) && isAlnum(rest[j]) {
				j++
			}
			return headerEnd + j
		}
		return headerEnd + lineEnd(rest)
	}
	if i := strings.Index(rest, "-----END "); i >= 0 {
		if j := strings.Index(rest[i+len("-----END "):], "-----"); j >= 0 && j < 40 {
			return headerEnd + i + len("-----END ") + j + len("-----")
		}
	}
	// No footer (the text was cut short): take the base64 body that follows.
	j := 0
	for j < len(rest) && (isBase64(rest[j]) || strings.IndexByte("=\r\n\t \\", rest[j]) >= 0) {
		j++
	}
	return headerEnd + j
}

func lineEnd(s string) int {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return i
	}
	return len(s)
}

var reAzureKey = regexp.MustCompile(`(?i)accountkey=([a-z0-9+/]{86}==)`)

func findAzureStorageKeys(text string, emit emitFunc) {
	for _, m := range reAzureKey.FindAllStringSubmatchIndex(text, -1) {
		if glued(text, m[2], m[3], isBase64) || !plausibleToken(text[m[2]:m[3]]) {
			continue
		}
		emit(m[2], m[3], "")
	}
}

var reJWT = regexp.MustCompile(`eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{16,}`)

// findJWTs reports signed JWTs only: the header must decode to JSON naming
// an algorithm other than "none", so that base64 of arbitrary JSON does not count.
func findJWTs(text string, emit emitFunc) {
	for _, m := range reJWT.FindAllStringIndex(text, -1) {
		if glued(text, m[0], m[1], func(c byte) bool { return isTokenChar(c) || c == '.' }) {
			continue
		}
		tok := text[m[0]:m[1]]
		header, ok := decodeBase64(tok[:strings.IndexByte(tok, '.')])
		if !ok || !strings.Contains(header, `"alg"`) || strings.Contains(strings.ToLower(header), `"none"`) {
			continue
		}
		emit(m[0], m[1], "")
	}
}

var (
	reDockerAuth     = regexp.MustCompile(`(?i)"auth"[ \t]*:[ \t]*"([a-z0-9+/]{6,}={0,2})"`)
	reDockerIdentity = regexp.MustCompile(`(?i)"identitytoken"[ \t]*:[ \t]*"([a-z0-9+/=._\-]{16,})"`)
)

func findDockerAuth(text string, emit emitFunc) {
	for _, m := range reDockerAuth.FindAllStringSubmatchIndex(text, -1) {
		if userPassword(text[m[2]:m[3]]) {
			emit(m[2], m[3], "")
		}
	}
	for _, m := range reDockerIdentity.FindAllStringSubmatchIndex(text, -1) {
		if v := text[m[2]:m[3]]; plausibleToken(v) && !placeholder(v) {
			emit(m[2], m[3], "")
		}
	}
}

var reBasicAuth = regexp.MustCompile(`(?i)authorization` + reQuote + reSep + reQuote + `basic[ \t]+([a-z0-9+/]{6,}={0,2})`)

func findBasicAuth(text string, emit emitFunc) {
	for _, m := range reBasicAuth.FindAllStringSubmatchIndex(text, -1) {
		if !glued(text, m[2], m[3], isBase64) && userPassword(text[m[2]:m[3]]) {
			emit(m[2], m[3], "")
		}
	}
}

// userPassword reports whether b64 decodes to printable "user:password" with
// a real password, the payload of Basic auth and of Docker's "auth" field.
func userPassword(b64 string) bool {
	s, ok := decodeBase64(b64)
	if !ok {
		return false
	}
	i := strings.IndexByte(s, ':')
	if i <= 0 || i == len(s)-1 {
		return false
	}
	for j := 0; j < len(s); j++ {
		if s[j] < 0x20 || s[j] > 0x7e {
			return false
		}
	}
	return !placeholderPassword(s[i+1:])
}

var reBearer = regexp.MustCompile(`(?i)authorization` + reQuote + reSep + reQuote + `(?:bearer|token)[ \t]+([a-z0-9._~+/\-]{20,}=*)`)

func findBearer(text string, emit emitFunc) {
	for _, m := range reBearer.FindAllStringSubmatchIndex(text, -1) {
		if v := text[m[2]:m[3]]; randomValue(v) {
			emit(m[2], m[3], "")
		}
	}
}

// reURLCreds matches scheme://user:password@host. The password may not hold
// '@', '/' or blanks, so a match cannot run on into the path or the next word.
var reURLCreds = regexp.MustCompile(`(?i)\b[a-z][a-z0-9+.\-]{1,30}://([^\s:/?#@"'<>\\]+):([^\s/?#@"'<>\\]+)@[a-z0-9\[\]_\-]`)

func findURLCredentials(text string, emit emitFunc) {
	for _, m := range reURLCreds.FindAllStringSubmatchIndex(text, -1) {
		user, pass := text[m[2]:m[3]], text[m[4]:m[5]]
		if strings.EqualFold(user, "anonymous") || strings.EqualFold(pass, "x-oauth-basic") || placeholderPassword(pass) {
			continue
		}
		emit(m[4], m[5], "")
	}
}

// Password assignments come in several syntaxes; each pattern captures the
// value in one of groups 1..n (quoted or not).
var (
	// key=value, key: value, "key": "value", 'key' => 'value', key := "value".
	// The key must end with the password word, so password_length: 12 and
	// password_file: /run/x do not count.
	rePassAssign = regexp.MustCompile(`(?i)(?:[a-z0-9_.\-]*(?:password|passwd|passphrase|pwd|pswd)|[a-z0-9]+[_.\-]pass)` +
		reQuote + reSep + reValue)
	// --password value (the blank-separated form is only trusted after "--":
	// elsewhere "password rotation" would read as a password).
	rePassFlag = regexp.MustCompile(`(?i)--[a-z0-9\-]*(?:password|passwd|passphrase)[ \t]+` + reValue)
	// <password>value</password> (Maven settings, FileZilla, .NET configs).
	rePassXML = regexp.MustCompile(`(?i)<[a-z0-9_.:\-]*(?:password|passwd|passphrase)>([^<\r\n]+)</`)
	// .netrc: machine host login user password secret, on one line or several.
	rePassNetrc = regexp.MustCompile(`(?i)\b(?:machine[ \t\r\n]+\S+|default)[ \t\r\n]+login[ \t\r\n]+\S+[ \t\r\n]+password[ \t\r\n]+(\S+)`)
)

// reValue captures a double-quoted, single-quoted, JSON-escaped,
// backquoted or bare value.
const reValue = `(?:"([^"\r\n]*)"|'([^'\r\n]*)'|\\"([^"\\\r\n]*)\\"|` + "`([^`\\r\\n]*)`" + `|([^\s"'` + "`" + `,;&<>|\\]+))`

// bareGroup is the submatch index pair of reValue's unquoted alternative
// when reValue is the pattern's only capture.
const bareGroup = 5

func findPasswords(text string, emit emitFunc) {
	for _, re := range []*regexp.Regexp{rePassAssign, rePassFlag} {
		for _, m := range re.FindAllStringSubmatchIndex(text, -1) {
			for g := 1; g <= bareGroup; g++ {
				s, e := m[2*g], m[2*g+1]
				if s < 0 {
					continue
				}
				v := text[s:e]
				if placeholderPassword(v) || g == bareGroup && (codeLike(v) || prose(text, e, v)) {
					break
				}
				emit(s, e, "")
				break
			}
		}
	}
	for _, re := range []*regexp.Regexp{rePassXML, rePassNetrc} {
		for _, m := range re.FindAllStringSubmatchIndex(text, -1) {
			if v := text[m[2]:m[3]]; !placeholderPassword(v) && !codeLike(v) {
				emit(m[2], m[3], "")
			}
		}
	}
}

// reGeneric finds a value assigned to a name that says it is an API key,
// client secret or token. Only token names that mean a credential are
// listed: next_token, client_token (AWS idempotency) and csrf_token are
// everywhere in AWS CLI output and HTML and mean nothing.
var reGeneric = regexp.MustCompile(`(?i)[a-z0-9_.\-]*(?:api[_.\-]?key|apikey|api[_.\-]?secret|secret[_.\-]?key|secret|` +
	`(?:access|auth|api|bot|private|secret|refresh|session|bearer|oauth|github|gh|gitlab|npm|slack|vault|hf|discord|telegram|sentry|datadog|dd)[_.\-]?token)` +
	reQuote + reSep + reQuote + `([a-z0-9_\-+/=.~]{16,})`)

func findGeneric(text string, emit emitFunc) {
	for _, m := range reGeneric.FindAllStringSubmatchIndex(text, -1) {
		if v := text[m[2]:m[3]]; randomValue(v) {
			emit(m[2], m[3], "")
		}
	}
}
