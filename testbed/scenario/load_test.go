package scenario

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// minimal is a valid scenario that the error cases below break one way each.
const minimal = `
regions: [us-east-1]
organization:
  management: mgmt
  ous: [{name: Apps}]
accounts:
  - name: mgmt
  - name: app
    ou: Apps
external_accounts:
  - {name: vendor, id: "999988887777"}
keys:
  - {name: k, account: app, region: us-east-1}
images:
  - name: img
    account: app
    region: us-east-1
    volumes: [{key: k}]
`

func TestLoadScenarioFiles(t *testing.T) {
	files, err := filepath.Glob("../../scenarios/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios found: %v", err)
	}
	for _, f := range files {
		if _, err := Load(f); err != nil {
			t.Errorf("%v", err)
		}
	}
	if _, err := Parse("minimal.yaml", []byte(minimal)); err != nil {
		t.Fatalf("the base of the error cases is wrong: %v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string // substring of the error, which starts with file:line
	}{
		{"unknown key", minimal + "    colour: blue\n", "bad.yaml:19: images[0].colour: unknown key in an image (expected name, ami_name, account, region,"},
		{"unknown top-level key", "regions: [us-east-1]\nacounts: []\n", "bad.yaml:2: acounts: unknown key in the scenario"},
		{"wrong type", "regions: us-east-1\n", `bad.yaml:1: regions: expected a list, found "us-east-1"`},
		{"no regions", "accounts: [{name: a}]\n", "regions: required"},
		{"bad region", strings.Replace(minimal, "[us-east-1]", "[us-east]", 1), `bad.yaml:2: regions[0]: "us-east" is not a region name`},
		{"region outside the scenario", strings.Replace(minimal, "    region: us-east-1\n    volumes", "    region: eu-west-1\n    volumes", 1), "bad.yaml:17: images[0].region: eu-west-1 is not one of the scenario's regions"},
		{"unknown management account", strings.Replace(minimal, "management: mgmt", "management: boss", 1), `bad.yaml:4: organization.management: no account named "boss"`},
		{"unknown OU", strings.Replace(minimal, "ou: Apps", "ou: Aps", 1), `bad.yaml:9: accounts[1].ou: no OU named "Aps"`},
		{"OU cycle", strings.Replace(minimal, "ous: [{name: Apps}]", "ous: [{name: A, parent: B}, {name: B, parent: A}, {name: Apps}]", 1), "the OUs' parents form a cycle"},
		{"duplicate image", minimal + "  - {name: img, account: app, region: us-east-1, volumes: [{}]}\n", "bad.yaml:19: images[1].name: image img is defined twice"},
		{"bad account ID", strings.Replace(minimal, `"999988887777"`, `"99998888777"`, 1), `external_accounts[0].id: required: a 12-digit account ID, found "99998888777"`},
		{"unknown volume key", strings.Replace(minimal, "volumes: [{key: k}]", "volumes: [{key: kk}]", 1), `bad.yaml:18: images[0].volumes[0].key: no key named "kk"`},
		{"key of another account", minimal + "  - {name: img2, account: mgmt, region: us-east-1, volumes: [{key: k}]}\n", "key k is in app/us-east-1, the resource in mgmt/us-east-1"},
		{"resource in an external account", strings.Replace(minimal, "name: k, account: app", "name: k, account: vendor", 1), "keys[0].account: vendor is an external account"},
		{"alias/aws", strings.Replace(minimal, "{name: k, account: app, region: us-east-1}", "{name: k, account: app, region: us-east-1, aliases: [alias/aws/ebs]}", 1), "alias/aws/ names are AWS's"},
		{"AWS managed key with a policy", strings.Replace(minimal, "{name: k, account: app, region: us-east-1}", "{name: k, account: app, region: us-east-1, aws_managed: true, policy: '{}'}", 1), "an AWS managed key takes no description"},
		{"policy not JSON", strings.Replace(minimal, "{name: k, account: app, region: us-east-1}", "{name: k, account: app, region: us-east-1, policy: '{\"Version\": '}", 1), "keys[0].policy: not valid JSON"},
		{"unknown placeholder", strings.Replace(minimal, "{name: k, account: app, region: us-east-1}", "{name: k, account: app, region: us-east-1, policy: '{\"a\": \"{{orgid}}\"}'}", 1), "{{orgid}}: unknown placeholder"},
		{"placeholder naming nothing", strings.Replace(minimal, "{name: k, account: app, region: us-east-1}", "{name: k, account: app, region: us-east-1, policy: '{\"a\": \"{{account:nobody}}\"}'}", 1), "{{account:nobody}}: no account or external account of that name"},
		{"grant operation", strings.Replace(minimal, "{name: k, account: app, region: us-east-1}", "{name: k, account: app, region: us-east-1, grants: [{grantee: vendor, operations: [Decrypt, Launch]}]}", 1), `keys[0].grants[0].operations[1]: "Launch" is not one of`},
		{"key state", strings.Replace(minimal, "{name: k, account: app, region: us-east-1}", "{name: k, account: app, region: us-east-1, state: Deleted}", 1), `keys[0].state: "Deleted" is not one of Enabled, Disabled, PendingDeletion`},
		{"two principals in a permission", minimal + "    launch_permissions: [{account: vendor, group: all}]\n", "images[0].launch_permissions[0]: give exactly one of account, group, organization, ou"},
		{"unknown permission account", minimal + "    launch_permissions: [{account: nobody}]\n", `launch_permissions[0].account: "nobody" is neither an account`},
		{"organization share on a snapshot", minimal + "    create_volume_permissions: [{organization: self}]\n", "createVolumePermission takes an account or group all only"},
		{"bad organization ARN", minimal + "    launch_permissions: [{organization: o-abc}]\n", `"o-abc" is neither self nor an organization ARN`},
		{"copy across accounts", minimal + "  - {name: cp, account: mgmt, region: us-east-1, copy_of: img}\n", "images[1].copy_of: img is in account app: the seeder copies within an account"},
		{"copy with volumes", minimal + "  - {name: cp, account: app, region: us-east-1, copy_of: img, volumes: [{}]}\n", "a copy has its source's volumes"},
		{"description on a CreateImage volume", strings.Replace(minimal, "volumes: [{key: k}]", "volumes: [{key: k, description: mine}]", 1), "CreateImage writes AWS's own snapshot description"},
		{"bad deprecation time", minimal + "    deprecation_time: next year\n", `bad.yaml:19: "next year" is neither an RFC 3339 time`},
		{"setting value", minimal + "settings: [{allowed_images: on}]\n", `settings[0].allowed_images: "on" is not one of enabled, audit-mode, disabled`},
		{"fault code", minimal + "faults: [{action: DescribeImages, code: Throttled}]\n", `faults[0].code: "Throttled" is not one of`},
		{"fault on every call", minimal + "faults: [{code: AccessDenied}]\n", "faults[0].action: a fault needs an action, an account or a region"},
		{"throttle", minimal + "throttle: {rate_per_second: 0, burst: 1}\n", "throttle.rate_per_second: rate_per_second must be positive"},
		{"expect unknown image", minimal + "expect: {findings: [{rule: AMI-001, resource: 'image:nope'}]}\n", `expect.findings[0].resource: no image named "nope"`},
		{"expect volume out of range", minimal + "expect: {clean: ['snapshot:img/1']}\n", "image img has 1 volume(s): img/1 names none"},
		{"expect bad rule", minimal + "expect: {findings: [{rule: ami-1, resource: 'image:img'}]}\n", `"ami-1" is not a rule ID`},
		{"disabled with a share", minimal + "    disabled: true\n    launch_permissions: [{account: vendor}]\n", "images[0].launch_permissions: AWS removes every launch permission of a disabled AMI"},
		{"binned but registered", minimal + "    recycle_bin: {exit_time: now+7d}\n", "images[0].recycle_bin: only a deregistered AMI is in the Recycle Bin"},
		{"binned without exit", minimal + "    deregistered: true\n    recycle_bin: {}\n", "images[0].recycle_bin: required: exit_time"},
		{"protected yet deregistered", minimal + "    deregistered: true\n    deregistration_protection: enabled\n", "AWS refuses to deregister a protected AMI"},
		{"lock state", strings.Replace(minimal, "volumes: [{key: k}]", "volumes: [{key: k, lock: {state: forever}}]", 1), `images[0].volumes[0].lock.state: "forever" is not one of compliance`},
		{"managed by", minimal + "settings: [{managed_by: org}]\n", `settings[0].managed_by: "org" is not one of account, declarative-policy`},
		{"image provider", minimal + "settings: [{allowed_images_criteria: [{image_providers: [amazn]}]}]\n", `settings[0].allowed_images_criteria[0].image_providers[0]: "amazn" is not one of amazon`},
		{"expect scope as clean", minimal + "expect: {clean: ['scope:app/us-east-1/DescribeImages']}\n", "a scope is not a resource that can be clean"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("Parse succeeded, want an error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error:\n%v\nwant it to contain:\n%s", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "bad.yaml:") {
				t.Errorf("error %q does not start with the file name", err)
			}
		})
	}
}

func TestLoadReportsEveryError(t *testing.T) {
	bad := strings.Replace(strings.Replace(minimal, "ou: Apps", "ou: Aps", 1), "volumes: [{key: k}]", "volumes: [{key: kk}]", 1)
	_, err := Parse("bad.yaml", []byte(bad))
	if err == nil || strings.Count(err.Error(), "bad.yaml:") != 2 {
		t.Errorf("want both errors, got:\n%v", err)
	}
}

func TestPlaceholders(t *testing.T) {
	r := &resolver{
		accounts: map[string]string{"prod": "345678901234"},
		orgID:    "o-acme4example7",
		orgARN:   "arn:aws:organizations::123456789012:organization/o-acme4example7",
		ous:      map[string]string{"Workloads": "arn:aws:organizations::123456789012:ou/o-acme4example7/ou-a1b2-workload1"},
		ouPaths:  map[string]string{"Workloads": "o-acme4example7/r-a1b2/ou-a1b2-workload1/"},
		account:  "234567890123",
		region:   "eu-west-1",
	}
	tests := map[string]string{
		"arn:aws:iam::{{account:prod}}:root":       "arn:aws:iam::345678901234:root",
		"{{ account }} in {{region}}":              "234567890123 in eu-west-1",
		"{{org_id}} {{org_arn}}":                   "o-acme4example7 arn:aws:organizations::123456789012:organization/o-acme4example7",
		"{{ou_arn:Workloads}}":                     "arn:aws:organizations::123456789012:ou/o-acme4example7/ou-a1b2-workload1",
		"{{org_path:Workloads}}*":                  "o-acme4example7/r-a1b2/ou-a1b2-workload1/*",
		"no placeholder, {braces} are fine":        "no placeholder, {braces} are fine",
		`{"Condition": {"a": "{{account:prod}}"}}`: `{"Condition": {"a": "345678901234"}}`,
	}
	for in, want := range tests {
		got, err := r.expand(in)
		if err != nil || got != want {
			t.Errorf("expand(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"{{account:nobody}}", "{{ou_arn:Nope}}", "{{org_path:Nope}}", "{{unknown}}", "{{org_id"} {
		if _, err := r.expand(in); err == nil {
			t.Errorf("expand(%q) succeeded", in)
		}
	}
	if _, err := (&resolver{}).expand("{{org_id}}"); err == nil {
		t.Error("{{org_id}} without an organization succeeded")
	}
}

func TestTime(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tests := map[string]time.Time{
		"now":                  now,
		"now+180d":             now.Add(180 * 24 * time.Hour),
		"now-90d":              now.Add(-90 * 24 * time.Hour),
		"now+2h":               now.Add(2 * time.Hour),
		"2027-05-01T00:00:00Z": time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC),
	}
	for in, want := range tests {
		tm, err := ParseTime(in)
		if err != nil {
			t.Errorf("ParseTime(%q): %v", in, err)
			continue
		}
		if got := tm.At(now); !got.Equal(want) {
			t.Errorf("ParseTime(%q).At(now) = %s, want %s", in, got, want)
		}
	}
	for _, in := range []string{"tomorrow", "now+1y", "2027-05-01"} {
		if _, err := ParseTime(in); err == nil {
			t.Errorf("ParseTime(%q) succeeded", in)
		}
	}
}

func TestExpectedResourceMatches(t *testing.T) {
	scope := ExpectedResource{Type: ResourceScope, ID: "ec2:GetSnapshotBlockPublicAccessState", Account: "345678901234", Region: "eu-west-1"}
	bare := ExpectedResource{Type: ResourceScope, ID: "GetKeyPolicy", Account: "345678901234", Region: "us-east-1"}
	ami := ExpectedResource{Type: ResourceAMI, ID: "ami-1", Account: "234567890123", Region: "us-east-1"}
	tests := []struct {
		r                        ExpectedResource
		typ, id, account, region string
		want                     bool
	}{
		{scope, "scope", "ec2:GetSnapshotBlockPublicAccessState", "345678901234", "eu-west-1", true},
		{scope, "scope", "ec2:GetSnapshotBlockPublicAccessState", "345678901234", "us-east-1", false},
		{scope, "scope", "ec2:GetImageBlockPublicAccessState", "345678901234", "eu-west-1", false},
		{bare, "scope", "kms:GetKeyPolicy 1a2b3c4d-0008-4000-8000-000000000008", "345678901234", "us-east-1", true},
		{bare, "scope", "kms:GetKeyPolicyX", "345678901234", "us-east-1", false},
		{ami, "ami", "ami-1", "234567890123", "us-east-1", true},
		{ami, "snapshot", "ami-1", "234567890123", "us-east-1", false},
		{ami, "ami", "ami-2", "234567890123", "us-east-1", false},
	}
	for _, tt := range tests {
		if got := tt.r.Matches(tt.typ, tt.id, tt.account, tt.region); got != tt.want {
			t.Errorf("%+v.Matches(%s, %s, %s, %s) = %v", tt.r, tt.typ, tt.id, tt.account, tt.region, got)
		}
	}
}
