package secrets

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
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
	// find reports the secrets whose match starts in text[lo:hi], a run of
	// whole lines; it may look outside the window for boundaries and for the
	// end of a multi-line key.
	find func(text string, lo, hi int, emit emitFunc)
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
func tokenFinder(pattern string, class func(byte) bool) func(string, int, int, emitFunc) {
	re := regexp.MustCompile(pattern)
	return func(text string, lo, hi int, emit emitFunc) {
		for _, m := range matches(re, text, lo, hi) {
			if glued(text, m[0], m[1], class) || !plausibleToken(text[m[0]:m[1]]) {
				continue
			}
			emit(m[0], m[1], "")
		}
	}
}

var reAWSKeyID = regexp.MustCompile(`(?:AKIA|ASIA)[A-Z0-9]{16}`)

func findAWSKeyIDs(text string, lo, hi int, emit emitFunc) {
	for _, m := range matches(reAWSKeyID, text, lo, hi) {
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

// reAWSSecretAt reads a 40-character value after a secret-key name, in any
// of the spellings of the CLI, SDKs, CloudFormation and env files; it runs
// at each "secret" in the text. Group 1 is the key part: "secret" alone only
// counts as "aws_secret".
var reAWSSecretAt = regexp.MustCompile(`^(?i)secret([_.\- ]?(?:access[_.\- ]?)?key)?` +
	reQuote + `[ \t]*(?::=|=>|[:=])?[ \t]*` + reQuote + `([a-z0-9/+]{40})`)

func findAWSSecrets(text string, lo, hi int, emit emitFunc) {
	atEach(text, lo, hi, "secret", func(i int) int {
		m := matchAt(reAWSSecretAt, text, i)
		if m == nil || m[2] < 0 && !hasSuffixWord(text[:i], "aws") {
			return 0
		}
		if awsSecretAt(text, m[4], m[5]) {
			emit(m[4], m[5], "")
		}
		return m[1]
	})
	// A secret right after its key ID (CSV exports, "ID:SECRET" pairs,
	// credentials pasted on one line) needs no name to be recognised.
	for _, m := range matches(reAWSKeyID, text, lo, hi) {
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

func findPrivateKeys(text string, lo, hi int, emit emitFunc) {
	// footer caches the position of the next "-----END " (-1: none, -2: not
	// searched yet), so that many headers without footers cost one search.
	prev, footer := 0, -2
	for _, m := range matches(rePrivateKey, text, lo, hi) {
		if m[0] < prev {
			continue // a header inside the key before it
		}
		if headerIsCode(text, m[0], m[1]) {
			continue
		}
		if footer != -1 && footer < m[1] {
			if footer = strings.Index(text[m[1]:], "-----END "); footer >= 0 {
				footer += m[1]
			}
		}
		prev = privateKeyEnd(text, m[0], m[1], footer)
		emit(m[0], prev, "")
	}
}

// headerIsCode reports whether a private key header is a constant in a
// program rather than the start of a key: a quoted string holding the header
// alone ("-----BEGIN RSA PRIVATE KEY-----" in a parser), or a header glued to
// binary bytes (the same constant in compiled code).
func headerIsCode(text string, start, end int) bool {
	binary := func(c byte) bool { return c >= 0x80 || c < 0x20 && c != '\t' && c != '\r' && c != '\n' || c == 0x7f }
	if start > 0 && binary(text[start-1]) || end < len(text) && binary(text[end]) {
		return true
	}
	if start > 0 && end < len(text) {
		if q := text[start-1]; (q == '"' || q == '\'' || q == '`') && text[end] == q {
			return true
		}
	}
	return false
}

// privateKeyEnd finds the end of the key whose header is text[start:headerEnd],
// so that the redaction hash identifies the key rather than its (shared)
// header. footer is the position of the next "-----END ", or -1.
func privateKeyEnd(text string, start, headerEnd, footer int) int {
	const maxKey = 64 << 10
	if text[start] == 'P' { // PuTTY: the key ends with its MAC line
		rest := text[headerEnd:min(len(text), headerEnd+maxKey/4)]
		if i := strings.Index(rest, "Private-MAC: "); i >= 0 {
			j := i + len("Private-MAC: ")
			for j < len(rest) && isAlnum(rest[j]) {
				j++
			}
			return headerEnd + j
		}
		return headerEnd + lineEnd(rest)
	}
	if footer >= 0 && footer-start < maxKey {
		rest := text[footer+len("-----END "):]
		if j := strings.Index(rest[:min(len(rest), 40)], "-----"); j >= 0 {
			return footer + len("-----END ") + j + len("-----")
		}
	}
	// No footer (the text was cut short): take the base64 body that follows.
	j := headerEnd
	for j < len(text) && j-start < maxKey && (isBase64(text[j]) || strings.IndexByte("=\r\n\t \\", text[j]) >= 0) {
		j++
	}
	return j
}

func lineEnd(s string) int {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return i
	}
	return len(s)
}

var reAzureKey = regexp.MustCompile(`^(?i)accountkey=([a-z0-9+/]{86}==)`)

func findAzureStorageKeys(text string, lo, hi int, emit emitFunc) {
	atEach(text, lo, hi, "accountkey=", func(i int) int {
		m := matchAt(reAzureKey, text, i)
		if m != nil && !glued(text, m[2], m[3], isBase64) && plausibleToken(text[m[2]:m[3]]) {
			emit(m[2], m[3], "")
		}
		return matchEnd(m)
	})
}

var reJWT = regexp.MustCompile(`eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{16,}`)

// findJWTs reports signed JWTs only: the header must decode to JSON naming
// an algorithm other than "none", so that base64 of arbitrary JSON does not count.
func findJWTs(text string, lo, hi int, emit emitFunc) {
	for _, m := range matches(reJWT, text, lo, hi) {
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
	reDockerAuth     = regexp.MustCompile(`^(?i)"auth"[ \t]*:[ \t]*"([a-z0-9+/]{6,}={0,2})"`)
	reDockerIdentity = regexp.MustCompile(`^(?i)"identitytoken"[ \t]*:[ \t]*"([a-z0-9+/=._\-]{16,})"`)
)

func findDockerAuth(text string, lo, hi int, emit emitFunc) {
	atEach(text, lo, hi, `"auth"`, func(i int) int {
		m := matchAt(reDockerAuth, text, i)
		if m != nil && userPassword(text[m[2]:m[3]]) {
			emit(m[2], m[3], "")
		}
		return matchEnd(m)
	})
	atEach(text, lo, hi, `"identitytoken"`, func(i int) int {
		m := matchAt(reDockerIdentity, text, i)
		if m != nil && plausibleToken(text[m[2]:m[3]]) && !placeholder(text[m[2]:m[3]]) {
			emit(m[2], m[3], "")
		}
		return matchEnd(m)
	})
}

var reBasicAuth = regexp.MustCompile(`^(?i)authorization` + reQuote + reSep + reQuote + `basic[ \t]+([a-z0-9+/]{6,}={0,2})`)

func findBasicAuth(text string, lo, hi int, emit emitFunc) {
	atEach(text, lo, hi, "authorization", func(i int) int {
		m := matchAt(reBasicAuth, text, i)
		if m != nil && !glued(text, m[2], m[3], isBase64) && userPassword(text[m[2]:m[3]]) {
			emit(m[2], m[3], "")
		}
		return matchEnd(m)
	})
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

var reBearer = regexp.MustCompile(`^(?i)authorization` + reQuote + reSep + reQuote + `(?:bearer|token)[ \t]+([a-z0-9._~+/\-]{20,}=*)`)

func findBearer(text string, lo, hi int, emit emitFunc) {
	atEach(text, lo, hi, "authorization", func(i int) int {
		m := matchAt(reBearer, text, i)
		if m != nil && randomValue(text[m[2]:m[3]]) {
			emit(m[2], m[3], "")
		}
		return matchEnd(m)
	})
}

// reURLCreds reads "://user:password@host" at each "://". The password may
// not hold '@', '/' or blanks, so a match cannot run on into the path or the
// next word.
var reURLCreds = regexp.MustCompile(`^://([^\s:/?#@"'<>\\]+):([^\s/?#@"'<>\\]+)@[a-zA-Z0-9\[\]_\-]`)

func findURLCredentials(text string, lo, hi int, emit emitFunc) {
	atEach(text, lo, hi, "://", func(i int) int {
		// The scheme: a letter, then letters, digits, '+', '.' or '-'.
		j := i
		for j > 0 && i-j <= 32 && (isAlnum(text[j-1]) || strings.IndexByte("+.-", text[j-1]) >= 0) {
			j--
		}
		if i-j < 2 || i-j > 32 || !isLetter(text[j]) {
			return 0
		}
		m := matchAt(reURLCreds, text, i)
		if m == nil {
			return 0
		}
		user, pass := text[m[2]:m[3]], text[m[4]:m[5]]
		if !strings.EqualFold(user, "anonymous") && !strings.EqualFold(pass, "x-oauth-basic") && !placeholderPassword(pass) {
			emit(m[4], m[5], "")
		}
		return m[1]
	})
}

// Password assignments come in several syntaxes, each read at every
// occurrence of a password word.
var (
	// key=value, key: value, "key": "value", 'key' => 'value', key := "value".
	// The word must end the key, so password_length: 12 and
	// password_file: /run/x do not count. Group 1 is the word.
	rePassAssign = regexp.MustCompile(`^(?i)(password|passwd|passphrase|pass|pwd|pswd)` + reQuote + reSep + reValue)
	// --password value. A blank separator is only trusted after "--":
	// elsewhere "password rotation" would read as a password.
	rePassFlag = regexp.MustCompile(`^(?i)(?:password|passwd|passphrase)[ \t]+` + reValue)
	// <password>value</password> (Maven settings, FileZilla, .NET configs).
	rePassXML = regexp.MustCompile(`^(?i)(?:password|passwd|passphrase)>([^<\r\n]+)</`)
)

// reValue captures a double-quoted, single-quoted, JSON-escaped,
// backquoted or bare value, in five groups, the bare one last.
const reValue = `(?:"([^"\r\n]*)"|'([^'\r\n]*)'|\\"([^"\\\r\n]*)\\"|` + "`([^`\\r\\n]*)`" + `|([^\s"'` + "`" + `,;&<>|\\]+))`

func findPasswords(text string, lo, hi int, emit emitFunc) {
	for _, word := range []string{"pass", "pwd", "pswd"} {
		atEach(text, lo, hi, word, func(i int) int {
			if m := matchAt(rePassAssign, text, i); m != nil {
				// "pass" alone is too common a word; it counts as the end of a
				// compound key: db_pass, smtp.pass, --pass.
				if m[3]-m[2] == len("pass") && (i == 0 || strings.IndexByte("_.-", text[i-1]) < 0) {
					return 0
				}
				emitValue(text, i, m[3], m, 2, false, emit)
				return m[1]
			}
			if m := matchAt(rePassFlag, text, i); m != nil && keyStart(text, i, "--") {
				emitValue(text, i, i, m, 1, true, emit)
				return m[1]
			}
			m := matchAt(rePassXML, text, i)
			if m == nil || !keyStart(text, i, "<") {
				return 0
			}
			// Values with blanks are comments and descriptions in the
			// templates that ship with packages (Maven's settings.xml).
			if v := text[m[2]:m[3]]; !placeholderPassword(v) && !codeLike(v) && !strings.ContainsAny(v, " \t") {
				emit(m[2], m[3], "")
			}
			return m[1]
		})
	}
	findNetrc(text, lo, hi, emit)
}

// emitValue reports the reValue capture that starts at group first, unless
// it is a placeholder or, when bare, code or prose. The password word spans
// text[key:kwEnd]; flag marks the "--password value" form.
func emitValue(text string, key, kwEnd int, m []int, first int, flag bool, emit emitFunc) {
	for g := first; g < first+5; g++ {
		s, e := m[2*g], m[2*g+1]
		if s < 0 {
			continue
		}
		v := text[s:e]
		if placeholderPassword(v) || g == first+4 && bareNotPassword(text, key, kwEnd, s, e, flag) {
			return
		}
		emit(s, e, "")
		return
	}
}

// bareNotPassword applies to unquoted values the doubts that quotes would
// have settled: source code (self.password = password_ptr, a = passwd = b,
// MAX_PASS = 0x4f), prose and help texts ("password: stored in vault",
// "--password options", "passwd: elevated-privileges 2755"), and words too
// short to be worth a finding (passwd:gecos).
func bareNotPassword(text string, key, kwEnd, s, e int, flag bool) bool {
	v := text[s:e]
	if codeLike(v) || v[0] == ':' || v[0] == '=' || v[len(v)-1] == ':' {
		return true
	}
	if flag && v[0] == '-' {
		return true // the next option, not a value
	}
	if hasSuffixFold(text[:key], "self.") || hasSuffixFold(text[:key], "this.") {
		return true
	}
	if namesSecret(v) && reName.MatchString(v) {
		return true // a variable: ExpectedPassword, dbPass
	}
	for i := 0; i < len(v); i++ {
		if v[i] >= 0x80 {
			// Help texts and messages in other scripts ("passwd: パスワードは…");
			// unquoted non-ASCII passwords are too rare to pay for them.
			return true
		}
	}
	j := e
	for j < len(text) && (text[j] == ' ' || text[j] == '\t') {
		j++
	}
	blank := j > e
	var next byte
	if j < len(text) && text[j] != '\n' && text[j] != '\r' {
		next = text[j]
	}
	if next == '=' && (j+1 == len(text) || text[j+1] != '=') {
		return true // chained assignment
	}
	if blank && next != 0 && strings.IndexByte("?+*%:!", next) >= 0 {
		return true // an operator follows: an expression
	}
	words := wordy(v)
	if words && blank && next != 0 && next != '#' {
		// A word followed by more words on its line is prose ("password:
		// stored in vault"); after ':' any text but a comment counts
		// ("passwd: elevated-privileges 2755"). "PASSWORD=word cmd" is lost
		// with it: the price of precision.
		if colon(text[kwEnd:s]) || flag || isLetterAt(text, j) {
			return true
		}
	}
	if words && colon(text[kwEnd:s]) && strings.Contains(v, "-") {
		return true // "base-passwd: no-debconf-config": a phrase, not a password
	}
	if flag && wordy(strings.TrimRight(v, ".,;:!?")) {
		return true
	}
	return lettersOnly(v) && utf8.RuneCountInString(v) < 6
}

// colon reports whether a separator is YAML's or prose's ':' rather than '='.
func colon(sep string) bool { return strings.Contains(sep, ":") && !strings.Contains(sep, "=") }

// reName matches a bare identifier, which after a password word is a variable.
var reName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// wordy reports whether v is made of letters, hyphens and apostrophes only:
// a word or a hyphenated phrase, in any script.
func wordy(v string) bool {
	letter := false
	for _, r := range v {
		switch {
		case unicode.IsLetter(r):
			letter = true
		case r == '-' || r == '\'':
		default:
			return false
		}
	}
	return letter
}

func lettersOnly(v string) bool {
	for _, r := range v {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return v != ""
}

func isLetterAt(text string, i int) bool {
	r, _ := utf8.DecodeRuneInString(text[i:])
	return unicode.IsLetter(r)
}

// keyStart reports whether the key that ends with the word at i begins with
// prefix: "--db-password" for a flag, "<password" for an XML element.
func keyStart(text string, i int, prefix string) bool {
	j := i
	for j > 0 && i-j < 256 && (isAlnum(text[j-1]) || strings.IndexByte("_.:-", text[j-1]) >= 0) {
		j--
	}
	if prefix == "--" {
		return strings.HasPrefix(text[j:i], "--")
	}
	return j > 0 && strings.HasPrefix(text[j-1:], prefix)
}

func findNetrc(text string, lo, hi int, emit emitFunc) {
	for i := lo; i+len("password") <= hi; i++ {
		if !hasPrefixFold(text[i:], "password") {
			continue
		}
		end := i + len("password")
		if i > 0 && !isSpace(text[i-1]) || end >= len(text) || !isSpace(text[end]) {
			continue
		}
		vs, ve := nextToken(text, end)
		if vs < 0 {
			continue
		}
		// Walk back over user, "login", and host + "machine" or "default".
		var toks [4]string
		n, p := 0, i
		for n < len(toks) {
			s, e := prevToken(text, p)
			if s < 0 {
				break
			}
			toks[n], n, p = text[s:e], n+1, s
		}
		if n < 3 || !strings.EqualFold(toks[1], "login") || strings.EqualFold(toks[0], "anonymous") ||
			!strings.EqualFold(toks[2], "default") && (n < 4 || !strings.EqualFold(toks[3], "machine")) {
			continue
		}
		if v := text[vs:ve]; !placeholderPassword(v) && !codeLike(v) {
			emit(vs, ve, "")
		}
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// nextToken returns the blank-delimited token at or after i, or -1s.
func nextToken(text string, i int) (int, int) {
	for i < len(text) && isSpace(text[i]) {
		i++
	}
	if i == len(text) {
		return -1, -1
	}
	s := i
	for i < len(text) && !isSpace(text[i]) {
		i++
	}
	return s, i
}

// prevToken returns the blank-delimited token that ends before i, or -1s.
func prevToken(text string, i int) (int, int) {
	for i > 0 && isSpace(text[i-1]) {
		i--
	}
	if i == 0 {
		return -1, -1
	}
	e := i
	for i > 0 && !isSpace(text[i-1]) {
		i--
	}
	return i, e
}

// reGeneric reads a value assigned to a name that says it is an API key,
// client secret or token, at each "api", "secret" and "token".
var reGeneric = regexp.MustCompile(`^(?i)(?:api[_.\-]?(?:key|secret|token)|apikey|secret(?:[_.\-]?(?:key|token))?|token)` +
	reQuote + reSep + reQuote + `([a-z0-9_\-+/=.~]{16,})`)

// tokenKinds are the words that make "…_token" a credential. Only those:
// next_token, client_token (AWS idempotency) and csrf_token are everywhere in
// AWS CLI output and HTML and mean nothing.
var tokenKinds = []string{
	"access", "auth", "api", "bot", "private", "secret", "refresh", "session", "bearer", "oauth",
	"github", "gh", "gitlab", "npm", "slack", "vault", "hf", "discord", "telegram", "sentry", "datadog",
}

func findGeneric(text string, lo, hi int, emit emitFunc) {
	try := func(i int) int {
		if i > 0 && text[i-1] == ':' {
			return 0 // a resource type in an ARN (…:secret:name)
		}
		m := matchAt(reGeneric, text, i)
		if m != nil && randomValue(text[m[2]:m[3]]) && (m[3] == len(text) || text[m[3]] != '(') {
			emit(m[2], m[3], "")
		}
		return matchEnd(m)
	}
	atEach(text, lo, hi, "api", try)
	atEach(text, lo, hi, "secret", try)
	atEach(text, lo, hi, "token", func(i int) int {
		j := i
		if j > 0 && strings.IndexByte("_.-", text[j-1]) >= 0 {
			j--
		}
		for _, k := range tokenKinds {
			if hasSuffixFold(text[:j], k) {
				return try(i)
			}
		}
		return 0
	})
}

// matches returns the submatch indexes, relative to text, of the matches of
// re in text[lo:hi]. No pattern here matches across a line break, so running
// on the lines that hold an anchor finds what a run on the whole text would.
// It serves the patterns with a literal prefix, which regexp finds with a
// fast substring search; the keyword patterns use atEach and matchAt.
func matches(re *regexp.Regexp, text string, lo, hi int) [][]int {
	ms := re.FindAllStringSubmatchIndex(text[lo:hi], -1)
	if lo != 0 {
		for _, m := range ms {
			for i := range m {
				if m[i] >= 0 {
					m[i] += lo
				}
			}
		}
	}
	return ms
}

// atEach calls fn with each i in [lo, hi) where text[i:] starts with lower,
// ignoring ASCII case. Running an anchored pattern there is far cheaper than
// an unanchored, case-insensitive search, for which Go's regexp has no
// literal prefix to skip ahead with. fn returns where its match ended, or 0;
// like regexp's FindAll, the search resumes after a match, so that
// "pwd=pwd=pwd=…" costs linear time rather than quadratic.
func atEach(text string, lo, hi int, lower string, fn func(i int) int) {
	c0 := lower[0]
	for i := lo; i+len(lower) <= hi; i++ {
		if c := text[i]; (c == c0 || c|0x20 == c0) && hasPrefixFold(text[i:], lower) {
			if next := fn(i); next > i {
				i = next - 1
			}
		}
	}
}

// maxMatch bounds what an anchored pattern may read after its keyword, so
// that a megabyte-long line with many keywords stays cheap; no credential
// value worth reporting is longer.
const maxMatch = 16 << 10

// matchAt matches re, which starts with ^, at text[i:], up to the end of the
// line, and returns the submatch indexes relative to text, or nil.
func matchAt(re *regexp.Regexp, text string, i int) []int {
	limit := min(len(text), i+maxMatch)
	end := strings.IndexByte(text[i:limit], '\n')
	if end < 0 {
		end = limit
	} else {
		end += i
	}
	m := re.FindStringSubmatchIndex(text[i:end])
	for k := range m {
		if m[k] >= 0 {
			m[k] += i
		}
	}
	return m
}

// matchEnd is the end of match m, or 0 when there is none, for atEach.
func matchEnd(m []int) int {
	if m == nil {
		return 0
	}
	return m[1]
}

// hasSuffixFold reports whether s ends with lower, ignoring ASCII case.
func hasSuffixFold(s, lower string) bool {
	return len(s) >= len(lower) && hasPrefixFold(s[len(s)-len(lower):], lower)
}

// hasSuffixWord reports whether s ends with word, optionally followed by one
// of _ . -: "aws_" before "secret".
func hasSuffixWord(s, word string) bool {
	if n := len(s); n > 0 && strings.IndexByte("_.-", s[n-1]) >= 0 {
		s = s[:n-1]
	}
	return hasSuffixFold(s, word)
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
