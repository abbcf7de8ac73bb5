package rules

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/amiaudit/amiaudit/finding"
)

func TestParseConfig(t *testing.T) {
	cfg, err := ParseConfig("c.yaml", []byte(`
trusted_accounts: ["444455556666"]
trusted_organizations: [o-abcdefghij]
trusted_ous:
  - arn:aws:organizations::123456789012:ou/o-abcdefghij/ou-ab12-cdefgh34
  - ou-ab12-zzzzzzzz
max_shared_image_age_days: 90
waivers:
  - rule: AMI-009
    resource: "arn:aws:ec2:*::image/ami-0*"
    reason: legacy images, replaced in Q1
    expires: 2027-01-31
    approved_by: alice@example.com
`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxSharedImageAgeDays != 90 || len(cfg.TrustedOUs) != 2 || len(cfg.Waivers) != 1 {
		t.Fatalf("config = %+v", cfg)
	}
	w := cfg.Waivers[0]
	if w.Expires != "2027-01-31" || w.line != 9 {
		t.Errorf("waiver expires %q at line %d", w.Expires, w.line)
	}
	if want := time.Date(2027, 1, 31, 23, 59, 59, 999999999, time.UTC); !w.expires.Equal(want) {
		t.Errorf("expiry = %v, want the end of the day %v", w.expires, want)
	}
}

func TestEmptyConfigIsDefault(t *testing.T) {
	cfg, err := ParseConfig("c.yaml", []byte("# nothing yet\n"))
	if err != nil || cfg.MaxSharedImageAgeDays != DefaultMaxSharedImageAgeDays {
		t.Fatalf("got %+v, %v", cfg, err)
	}
}

// TestUnknownKeyListsTheKeysOfItsPlace: the keys an unknown key is told
// about come from the yaml tags of the type it is in, so they cannot drift.
func TestUnknownKeyListsTheKeysOfItsPlace(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"top level", "trusted_acounts: []\n", "c.yaml:1: trusted_acounts: unknown key in the configuration (expected trusted_accounts, trusted_organizations, trusted_ous, max_shared_image_age_days, max_unused_shared_image_days, waivers, policy_data)"},
		{"in a waiver", "waivers:\n  - rule: AMI-009\n    ticket: SEC-1\n", "c.yaml:3: waivers[0].ticket: unknown key in a waiver (expected rule, resource, reason, expires, approved_by)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseConfig("c.yaml", []byte(c.yaml))
			if err == nil || err.Error() != c.want {
				t.Errorf("err = %v\nwant %s", err, c.want)
			}
		})
	}
}

func TestConfigErrorsNameTheKey(t *testing.T) {
	waiver := "waivers:\n  - rule: AMI-009\n    resource: x\n    reason: r\n    approved_by: me\n"
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown key", "trusted_acounts: []\n", []string{"c.yaml:1", "trusted_acounts", "unknown key"}},
		{"unknown waiver key", strings.Replace(waiver, "reason: r", "reason: r\n    ticket: SEC-1", 1), []string{"c.yaml:5", "ticket"}},
		{"bad account", "trusted_accounts: [\"12345\"]\n", []string{"trusted_accounts[0]", "12-digit", `"12345"`}},
		{"bad org", "trusted_organizations: [acme]\n", []string{"trusted_organizations[0]", "o-a1b2c3d4e5"}},
		{"bad ou", "trusted_ous: [engineering]\n", []string{"trusted_ous[0]", "OU ARN"}},
		{"bad age", "max_shared_image_age_days: -3\n", []string{"max_shared_image_age_days", "positive"}},
		{"wrong type", "max_shared_image_age_days: a year\n", []string{`c.yaml:1: max_shared_image_age_days: expected a whole number, found "a year"`}},
		{"wrong type in a waiver", strings.Replace(waiver, "reason: r", "reason: [r]", 1), []string{`c.yaml:4: waivers[0].reason: expected a string, found a list`}},
		{"syntax", "trusted_accounts: [\n", []string{"c.yaml"}},
		{"waiver without reason", strings.Replace(waiver, "    reason: r\n", "", 1), []string{"c.yaml:2", "waivers[0].reason", "required"}},
		{"waiver without approver", strings.Replace(waiver, "    approved_by: me\n", "", 1), []string{"waivers[0].approved_by"}},
		{"waiver bad rule", strings.Replace(waiver, "AMI-009", "public-amis", 1), []string{"waivers[0].rule", "AMI-009"}},
		{"waiver bad expiry", strings.Replace(waiver, "approved_by: me", "approved_by: me\n    expires: next year", 1), []string{"waivers[0].expires", "2027-01-31"}},
		{"waiver bad glob", strings.Replace(waiver, "resource: x", "resource: \"arn:[\"", 1), []string{"waivers[0].resource", "glob"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseConfig("c.yaml", []byte(c.yaml))
			if err == nil {
				t.Fatal("no error")
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("%T is not a *ConfigError: %v", err, err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestCheckRules(t *testing.T) {
	cfg, err := ParseConfig("c.yaml", []byte("waivers:\n  - {rule: AMI-099, resource: '*', reason: r, approved_by: me}\n"))
	if err != nil {
		t.Fatal(err)
	}
	err = cfg.CheckRules("c.yaml", []finding.Rule{{ID: "AMI-001"}, {ID: "AMI-009"}})
	if err == nil || !strings.Contains(err.Error(), "c.yaml:2: waivers[0].rule") || !strings.Contains(err.Error(), "AMI-099") {
		t.Fatalf("got %v", err)
	}
	if err := cfg.CheckRules("c.yaml", []finding.Rule{{ID: "AMI-001"}, {ID: "AMI-099"}}); err != nil {
		t.Errorf("a waiver of a loaded rule: %v", err)
	}
}

func TestApplyWaivers(t *testing.T) {
	cfg, err := ParseConfig("c.yaml", []byte(`
waivers:
  - {rule: AMI-009, resource: "arn:aws:ec2:*::image/ami-0old*", reason: old, approved_by: a, expires: 2026-01-01}
  - {rule: AMI-009, resource: "arn:aws:ec2:us-east-1::image/ami-0old1", reason: renewed, approved_by: b, expires: 2027-01-01}
  - {rule: "*", resource: "arn:aws:ec2:eu-west-1::snapshot/*", reason: lab region, approved_by: c}
  - {rule: AMI-001, resource: "arn:aws:ec2:us-east-1::image/ami-0none", reason: unused, approved_by: d}
`))
	if err != nil {
		t.Fatal(err)
	}
	mk := func(rule, arn string) finding.Finding {
		return finding.Finding{RuleID: rule, Severity: finding.High, Resource: finding.Resource{ARN: arn}}
	}
	fs := []finding.Finding{
		mk("AMI-009", "arn:aws:ec2:us-east-1::image/ami-0old1"), // expired waiver and a renewed one: renewed wins
		mk("AMI-009", "arn:aws:ec2:us-east-1::image/ami-0old2"), // only the expired one
		mk("SNAP-003", "arn:aws:ec2:eu-west-1::snapshot/snap-0a"),
		mk("SNAP-003", "arn:aws:ec2:us-east-1::snapshot/snap-0a"),
	}
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	uses := ApplyWaivers(fs, cfg.Waivers, now)
	if w := fs[0].Waiver; w == nil || w.Status != finding.WaiverActive || w.Reason != "renewed" {
		t.Errorf("finding 0 waiver = %+v, want the active renewed one", w)
	}
	if w := fs[1].Waiver; w == nil || w.Status != finding.WaiverExpired || fs[1].Waived() {
		t.Errorf("finding 1 waiver = %+v, want expired and not waived", w)
	}
	if !fs[2].Waived() || fs[3].Waiver != nil {
		t.Errorf("wildcard rule waiver: %+v / %+v", fs[2].Waiver, fs[3].Waiver)
	}
	if !uses[0].Expired || uses[0].Matched != 1 || uses[1].Matched != 1 || uses[3].Matched != 0 {
		t.Errorf("uses = %+v", uses)
	}
	if s := finding.Summarize(fs); s.Waived != 2 || s.High != 2 {
		t.Errorf("summary = %+v", s)
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("trusted_accounts: [\"444455556666\"]\nwaivers:\n  - {rule: AMI-009, resource: '*', reason: r, approved_by: me, expires: 2027-01-31}\n"))
	f.Add([]byte("max_shared_image_age_days: 3\n"))
	f.Add([]byte("waivers: [{rule: '*', resource: 'arn:[a-', reason: x, approved_by: y}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig("fuzz.yaml", data)
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %T is not a *ConfigError: %v", err, err)
			}
			return
		}
		if cfg.MaxSharedImageAgeDays <= 0 {
			t.Fatalf("accepted max_shared_image_age_days %d", cfg.MaxSharedImageAgeDays)
		}
		for _, w := range cfg.Waivers {
			if w.Reason == "" || w.ApprovedBy == "" || w.match == nil {
				t.Fatalf("accepted incomplete waiver %+v", w)
			}
		}
	})
}

// policy_data reaches rules as input.config.policy_data, JSON-shaped: it is
// where a user rule gets the values the sandbox will not let it fetch.
func TestConfigPolicyData(t *testing.T) {
	cfg, err := ParseConfig("c.yaml", []byte(`
policy_data:
  owners: {"123456789012": platform}
  approved_bases: [ami-0a1b2c3d4e5f60001]
  cutoff: 2026-01-31T00:00:00Z
  limits: {1: one}
`))
	if err != nil {
		t.Fatal(err)
	}
	got := cfg.policyDataTerm().String()
	for _, want := range []string{`"approved_bases": ["ami-0a1b2c3d4e5f60001"]`, `"cutoff": "2026-01-31T00:00:00Z"`, `"limits": {"1": "one"}`, `"owners": {"123456789012": "platform"}`} {
		if !strings.Contains(got, want) {
			t.Errorf("policy_data = %s, lacks %s", got, want)
		}
	}
	if def := DefaultConfig().policyDataTerm().String(); def != "{}" {
		t.Errorf("default policy_data = %s, want {}", def)
	}
	if _, err := ParseConfig("c.yaml", []byte("policy_data: {limits: [1, .nan]}\n")); err == nil || !strings.Contains(err.Error(), "c.yaml: policy_data.limits[1]: NaN is not a JSON number") {
		t.Errorf("NaN in policy_data: %v", err)
	}
	if _, err := ParseConfig("c.yaml", []byte("policy_data: [1, 2]\n")); err == nil || !strings.Contains(err.Error(), "c.yaml: policy_data: expected a mapping") || !strings.Contains(err.Error(), "found a list") {
		t.Errorf("a list as policy_data: %v", err)
	}
}
