package rules

import (
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/gobwas/glob"
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/amiaudit/amiaudit/finding"
	"github.com/amiaudit/amiaudit/internal/awsid"
	"github.com/amiaudit/amiaudit/internal/strictyaml"
)

// Config is the user's configuration file (--config): who is trusted, the
// thresholds of the rules, and waivers.
type Config struct {
	// TrustedAccounts are 12-digit account IDs trusted besides the scanned organization's members.
	TrustedAccounts []string `yaml:"trusted_accounts" json:"trusted_accounts"`
	// TrustedOrganizations are organization IDs (o-…) whose accounts and OUs are trusted.
	TrustedOrganizations []string `yaml:"trusted_organizations" json:"trusted_organizations"`
	// TrustedOUs are OU ARNs (or OU IDs, ou-…) that are trusted.
	TrustedOUs []string `yaml:"trusted_ous" json:"trusted_ous"`
	// MaxSharedImageAgeDays is AMI-009's limit in days
	// (DefaultMaxSharedImageAgeDays when zero).
	MaxSharedImageAgeDays int `yaml:"max_shared_image_age_days" json:"max_shared_image_age_days"`
	// MaxUnusedSharedImageDays is AMI-011's limit in days
	// (DefaultMaxUnusedSharedImageDays when zero): a shared AMI not launched
	// for this long is reported.
	MaxUnusedSharedImageDays int `yaml:"max_unused_shared_image_days" json:"max_unused_shared_image_days"`
	// Waivers accept known findings.
	Waivers []Waiver `yaml:"waivers" json:"waivers"`
	// PolicyData is free-form data for user rules, given to them as
	// input.config.policy_data: the sandbox refuses builtins that fetch
	// values from outside (http.send, …), so what a rule needs comes through
	// the configuration, which is recorded with the evaluation.
	// It must be a mapping.
	PolicyData any `yaml:"policy_data" json:"policy_data,omitempty"`

	policyData ast.Value // PolicyData as Rego sees it

	// source is the file's bytes as ParseConfig read them; nil for the
	// default configuration.
	source []byte
}

// Source returns the configuration file's bytes exactly as they were read and
// validated, nil for the default configuration (no --config): what an
// evidence bundle holds, whatever the file holds by the time it is written.
func (c *Config) Source() []byte {
	if c == nil {
		return nil
	}
	return c.source
}

// Waiver accepts the findings of one rule on the resources that Resource matches.
type Waiver struct {
	// Rule is a rule ID (AMI-009) or * for every rule.
	Rule string `yaml:"rule" json:"rule"`
	// Resource is a resource ARN, or a glob over ARNs (* matches any run of
	// characters, ? one character).
	Resource string `yaml:"resource" json:"resource"`
	// Reason says why the risk is accepted.
	Reason string `yaml:"reason" json:"reason"`
	// Expires is the last day (YYYY-MM-DD, UTC) or the RFC 3339 time the waiver
	// applies; a waiver without it never expires.
	Expires string `yaml:"expires,omitempty" json:"expires,omitempty"`
	// ApprovedBy names who accepted the risk.
	ApprovedBy string `yaml:"approved_by" json:"approved_by"`

	expires time.Time     // parsed Expires; zero when none
	match   *glob.Pattern // compiled Resource
	line    int           // where the waiver starts in the file
}

// DefaultMaxSharedImageAgeDays is AMI-009's default.
const DefaultMaxSharedImageAgeDays = 365

// DefaultMaxUnusedSharedImageDays is AMI-011's default.
const DefaultMaxUnusedSharedImageDays = 180

// ConfigError names the configuration key that is wrong, with the file and
// line: file:line: key: message.
type ConfigError = strictyaml.Error

// DefaultConfig is the configuration used without --config.
func DefaultConfig() *Config {
	return (&Config{}).withDefaults()
}

// withDefaults returns a copy of c in which each threshold left at zero is
// its default: what ParseConfig does for a key the file leaves out, done for a
// Config built in code (&Config{} evaluates like DefaultConfig). ParseConfig
// refuses 0 and negative numbers in a file, so a parsed Config never relies on
// this; a negative value built in code is not a limit either and gets the
// default too. Input applies it: the Rego rules read input.config and keep no
// defaults of their own.
func (c *Config) withDefaults() *Config {
	d := *c
	if d.MaxSharedImageAgeDays <= 0 {
		d.MaxSharedImageAgeDays = DefaultMaxSharedImageAgeDays
	}
	if d.MaxUnusedSharedImageDays <= 0 {
		d.MaxUnusedSharedImageDays = DefaultMaxUnusedSharedImageDays
	}
	return &d
}

// LoadConfig reads and validates a configuration file.
func LoadConfig(file string) (*Config, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read configuration: %w", err)
	}
	return ParseConfig(file, data)
}

// ParseConfig decodes a configuration strictly (unknown keys are errors) and
// validates every value. name is used in error messages.
func ParseConfig(name string, data []byte) (*Config, error) {
	cfg := DefaultConfig()
	root, err := strictyaml.Decode(name, data, cfg, func(typ string, keys []string) string {
		where := "a " + strings.ToLower(typ)
		if typ == "Config" {
			where = "the configuration"
		}
		return "unknown key in " + where + " (expected " + strings.Join(keys, ", ") + ")"
	})
	if errors.Is(err, strictyaml.ErrEmpty) {
		cfg.source = []byte{}
		return cfg, nil // an empty file is the default configuration
	}
	if err != nil {
		return nil, err
	}
	for i := range cfg.Waivers {
		cfg.Waivers[i].line = strictyaml.Line(root, "waivers", i)
	}
	if err := cfg.validate(name); err != nil {
		return nil, err
	}
	cfg.source = append([]byte{}, data...)
	return cfg, nil
}

func (c *Config) validate(file string) error {
	bad := func(line int, key, format string, args ...any) error {
		return &ConfigError{File: file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)}
	}
	for i, a := range c.TrustedAccounts {
		if !awsid.IsAccountID(a) {
			return bad(0, fmt.Sprintf("trusted_accounts[%d]", i), "expected a 12-digit account ID, found %q", a)
		}
	}
	for i, o := range c.TrustedOrganizations {
		if !awsid.IsOrgID(o) {
			return bad(0, fmt.Sprintf("trusted_organizations[%d]", i), "expected an organization ID such as o-a1b2c3d4e5, found %q", o)
		}
	}
	for i, o := range c.TrustedOUs {
		if !awsid.IsOUARN(o) && !awsid.IsOUID(o) {
			return bad(0, fmt.Sprintf("trusted_ous[%d]", i), "expected an OU ARN (arn:aws:organizations::ACCOUNT:ou/o-…/ou-…) or OU ID (ou-…), found %q", o)
		}
	}
	if c.MaxSharedImageAgeDays <= 0 {
		return bad(0, "max_shared_image_age_days", "expected a positive number of days, found %d", c.MaxSharedImageAgeDays)
	}
	if c.MaxUnusedSharedImageDays <= 0 {
		return bad(0, "max_unused_shared_image_days", "expected a positive number of days, found %d", c.MaxUnusedSharedImageDays)
	}
	if err := c.convertPolicyData(); err != nil {
		key := "policy_data"
		var ve *valueError
		if errors.As(err, &ve) {
			key = ve.path
		}
		return bad(0, key, "%v", err)
	}
	for i := range c.Waivers {
		w := &c.Waivers[i]
		key := fmt.Sprintf("waivers[%d]", i)
		switch {
		case w.Rule == "":
			return bad(w.line, key+".rule", "required: the rule ID to waive, such as AMI-009, or *")
		case w.Rule != "*" && !finding.IsRuleID(w.Rule):
			return bad(w.line, key+".rule", "expected a rule ID such as AMI-009, or *, found %q", w.Rule)
		case w.Resource == "":
			return bad(w.line, key+".resource", "required: a resource ARN or a glob over ARNs")
		case strings.TrimSpace(w.Reason) == "":
			return bad(w.line, key+".reason", "required: why the risk is accepted")
		case strings.TrimSpace(w.ApprovedBy) == "":
			return bad(w.line, key+".approved_by", "required: who accepted the risk")
		}
		g, err := glob.Compile(w.Resource)
		if err != nil {
			return bad(w.line, key+".resource", "invalid glob %q: %v", w.Resource, err)
		}
		w.match = g
		if w.Expires != "" {
			t, err := parseExpiry(w.Expires)
			if err != nil {
				return bad(w.line, key+".expires", "expected a date (2027-01-31) or an RFC 3339 time, found %q", w.Expires)
			}
			w.expires = t
		}
	}
	return nil
}

// convertPolicyData turns PolicyData into a Rego value once, so that every
// evaluation shares it; YAML values that JSON cannot hold are refused here.
func (c *Config) convertPolicyData() error {
	if c.PolicyData == nil {
		c.policyData = ast.NewObject()
		return nil
	}
	if _, ok := c.PolicyData.(map[string]any); !ok {
		return fmt.Errorf("expected a mapping (policy_data: {key: value, …}), found %s", yamlKind(c.PolicyData))
	}
	data, err := jsonShaped(c.PolicyData, "policy_data")
	if err != nil {
		return err
	}
	v, err := ast.InterfaceToValue(data)
	if err != nil {
		return fmt.Errorf("expected a mapping of JSON values: %w", err)
	}
	c.policyData = v
	return nil
}

// jsonShaped makes what yaml.v3 decodes into any JSON-shaped: mapping keys
// become strings, timestamps RFC 3339 strings; NaN and infinities, which JSON
// cannot hold, are refused with the path where they are.
func jsonShaped(v any, path string) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			n, err := jsonShaped(e, path+"."+k)
			if err != nil {
				return nil, err
			}
			out[k] = n
		}
		return out, nil
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			key := fmt.Sprint(k)
			n, err := jsonShaped(e, path+"."+key)
			if err != nil {
				return nil, err
			}
			out[key] = n
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			n, err := jsonShaped(e, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, &valueError{path: path, msg: fmt.Sprintf("%v is not a JSON number", x)}
		}
		return x, nil
	default:
		return v, nil
	}
}

// valueError is a value of policy_data that JSON cannot hold, and where it is.
type valueError struct{ path, msg string }

func (e *valueError) Error() string { return e.msg }

func yamlKind(v any) string {
	switch v.(type) {
	case []any:
		return "a list"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int, int64, uint64, float64:
		return "a number"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// policyDataTerm is input.config.policy_data: a copy for each input, as
// regions are evaluated in parallel. A Config built in Go rather than parsed
// is converted here.
func (c *Config) policyDataTerm() *ast.Term {
	if c.policyData != nil {
		return ast.NewTerm(c.policyData).Copy()
	}
	if c.PolicyData != nil {
		if data, err := jsonShaped(c.PolicyData, "policy_data"); err == nil {
			if v, err := ast.InterfaceToValue(data); err == nil {
				return ast.NewTerm(v)
			}
		}
	}
	return ast.ObjectTerm()
}

// parseExpiry reads a waiver expiry. A date means the end of that day, UTC.
func parseExpiry(s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.Add(24*time.Hour - time.Nanosecond), nil
	}
	return time.Parse(time.RFC3339, s)
}

// CheckRules rejects waivers that name rules which are not among the
// loaded ones (Engine.Rules).
func (c *Config) CheckRules(file string, loaded []finding.Rule) error {
	for i, w := range c.Waivers {
		if w.Rule != "*" && !slices.ContainsFunc(loaded, func(r finding.Rule) bool { return r.ID == w.Rule }) {
			return &ConfigError{File: file, Line: w.line, Key: fmt.Sprintf("waivers[%d].rule", i), Msg: fmt.Sprintf("no loaded rule has ID %q (amiaudit rules lists them)", w.Rule)}
		}
	}
	return nil
}
