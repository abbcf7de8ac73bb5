package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/amiaudit/amiaudit/internal/cli"
	"github.com/amiaudit/amiaudit/testbed/proxy"
	"github.com/amiaudit/amiaudit/testbed/scenario"
)

type gateReport struct {
	Findings []struct {
		RuleID   string         `json:"rule_id"`
		Message  string         `json:"message"`
		Evidence map[string]any `json:"evidence"`
		Location *struct {
			File, Address string
		} `json:"location"`
		Resource struct{ Type, ID string } `json:"resource"`
	} `json:"findings"`
}

// gateRun runs 'amiaudit gate' in-process as the scenario's pipeline
// (management) account against endpoint, and returns the exit code, report
// and the API calls it made.
func gateRun(t *testing.T, env *scenario.Env, p *proxy.Proxy, args ...string) (int, gateReport, []proxy.Call, string) {
	t.Helper()
	creds, err := env.Seeded.Credentials(context.Background(), p.URL())
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range scenario.Environ(creds, p.URL(), "us-east-1") {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	before := len(p.Calls())
	var out, errOut bytes.Buffer
	code := cli.Run(append([]string{"gate", "--region", "us-east-1", "--format", "json"}, args...), strings.NewReader(""), &out, &errOut)
	var r gateReport
	if out.Len() > 0 {
		if err := json.Unmarshal(out.Bytes(), &r); err != nil {
			t.Fatalf("report: %v\n%s", err, out.String())
		}
	}
	return code, r, p.Calls()[before:], errOut.String()
}

func (r gateReport) rules() []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.RuleID)
	}
	return out
}

func (r gateReport) has(rule, image string) bool {
	for _, f := range r.Findings {
		if f.RuleID == rule && f.Resource.ID == image {
			return true
		}
	}
	return false
}

type gateCase struct {
	name  string
	image string   // scenario image name
	flags []string // the proposed change as flags
	plan  func(ami string, s *scenario.Seeded) string
	code  int
	rules []string // rules that must fire on the image
	// absent are rules that must not fire; says are words a finding of the
	// first rule must hold.
	absent []string
	says   []string
}

func gateCases() []gateCase {
	share := func(grantee func(*scenario.Seeded) string) func(string, *scenario.Seeded) string {
		return func(ami string, s *scenario.Seeded) string {
			return planJSON(resource("aws_ami_launch_permission", "share", map[string]any{"image_id": ami, "account_id": grantee(s)}))
		}
	}
	member := func(s *scenario.Seeded) string { return s.Accounts["member"] }
	outsider := func(*scenario.Seeded) string { return "999988887777" }
	const foreignOrg = "arn:aws:organizations::555566667777:organization/o-partner9xyz12"
	return []gateCase{
		{name: "trusted account with a shared CMK passes", image: "shared-cmk", flags: []string{"--share-with", "MEMBER"}, plan: share(member), code: 0},
		{name: "CMK not shared", image: "private-cmk", flags: []string{"--share-with", "MEMBER"}, plan: share(member), code: 1, rules: []string{"AMI-004"}},
		{name: "AWS managed key", image: "aws-ebs", flags: []string{"--share-with", "MEMBER"}, plan: share(member), code: 1, rules: []string{"AMI-005"}},
		{name: "outside account", image: "plain", flags: []string{"--share-with", "999988887777"}, plan: share(outsider), code: 1, rules: []string{"AMI-002", "AMI-006"}},
		{name: "foreign organization", image: "plain", flags: []string{"--share-with", foreignOrg},
			plan: func(ami string, _ *scenario.Seeded) string {
				return planJSON(resource("aws_ami_launch_permission", "partner", map[string]any{"image_id": ami, "organization_arn": foreignOrg}))
			}, code: 1, rules: []string{"AMI-003"}},
		{name: "public", image: "plain", flags: []string{"--public"},
			plan: func(ami string, _ *scenario.Seeded) string {
				return planJSON(resource("aws_ami_launch_permission", "public", map[string]any{"image_id": ami, "group": "all"}))
			}, code: 1, rules: []string{"AMI-001"}},
		{name: "credential in metadata", image: "leaky", flags: []string{"--share-with", "MEMBER"}, plan: share(member), code: 1, rules: []string{"AMI-007"}},
		// The copy's key is the pipeline account's default EBS key in
		// eu-west-1, read there (the proxy answers alias/aws/ebs).
		{name: "unencrypted copy of an encrypted image", image: "shared-cmk", flags: []string{"--copy-to-region", "eu-west-1", "--encrypted=false"},
			plan: func(ami string, _ *scenario.Seeded) string {
				return planJSON(configured(resource("aws_ami_copy", "eu", map[string]any{"source_ami_id": ami, "source_ami_region": "us-east-1", "region": "eu-west-1", "encrypted": false, "name": "copy"}),
					map[string]any{"encrypted": map[string]any{"constant_value": false}}))
			}, code: 1, rules: []string{"GATE-001"}, says: []string{"AWS keeps the copy of an encrypted snapshot encrypted", "alias/aws/ebs"}},
		// Terraform plans encrypted = false for every aws_ami_copy that leaves
		// it out: the provider default is not a request.
		{name: "copy at the provider's encrypted default", image: "shared-cmk", flags: []string{"--copy-to-region", "eu-west-1"},
			plan: func(ami string, _ *scenario.Seeded) string {
				return planJSON(configured(resource("aws_ami_copy", "eu", map[string]any{"source_ami_id": ami, "source_ami_region": "us-east-1", "region": "eu-west-1", "encrypted": false, "name": "copy"}),
					map[string]any{"name": map[string]any{"constant_value": "copy"}}))
			}, code: 0},
		{name: "public share of an encrypted image is refused", image: "shared-cmk", flags: []string{"--public"},
			plan: func(ami string, _ *scenario.Seeded) string {
				return planJSON(resource("aws_ami_launch_permission", "public", map[string]any{"image_id": ami, "group": "all"}))
			}, code: 1, rules: []string{"GATE-004"}, absent: []string{"AMI-001"}, says: []string{"AWS will refuse", "encrypted snapshots"}},
		{name: "share of a disabled image is refused", image: "retired", flags: []string{"--share-with", "MEMBER"}, plan: share(member),
			code: 1, rules: []string{"GATE-004"}, says: []string{"AWS will refuse the proposed share", "a disabled AMI can't be shared"}},
		{name: "public share under block-new-sharing is refused", image: "plain-eu", flags: []string{"--public", "--region", "eu-west-1"},
			plan: func(ami string, _ *scenario.Seeded) string {
				return planJSON(resource("aws_ami_launch_permission", "public", map[string]any{"image_id": ami, "group": "all", "region": "eu-west-1"}))
			}, code: 1, rules: []string{"GATE-004"}, absent: []string{"AMI-001"}, says: []string{"AWS will refuse", "block-new-sharing"}},
	}
}

// TestGate drives each case from flags and from a Terraform plan.
func TestGate(t *testing.T) {
	env := scenario.Run(t, "../scenarios/gate.yaml")
	for _, c := range gateCases() {
		ami := env.Seeded.Images[c.image]
		for _, via := range []string{"flags", "plan"} {
			t.Run(c.name+"/"+via, func(t *testing.T) {
				var args []string
				if via == "flags" {
					args = append([]string{"--image", ami}, c.flags...)
					for i, a := range args {
						if a == "MEMBER" {
							args[i] = env.Seeded.Accounts["member"]
						}
					}
				} else {
					path := filepath.Join(t.TempDir(), "plan.json")
					if err := os.WriteFile(path, []byte(c.plan(ami, env.Seeded)), 0o644); err != nil {
						t.Fatal(err)
					}
					args = []string{"--plan", path}
				}
				code, r, calls, stderr := gateRun(t, env, env.Proxy, args...)
				if code != c.code {
					t.Fatalf("exit %d, want %d; findings %v; stderr %s", code, c.code, r.rules(), stderr)
				}
				for _, rule := range c.rules {
					if !r.has(rule, ami) {
						t.Errorf("no %s on %s; findings %v", rule, ami, r.rules())
					}
				}
				for _, rule := range c.absent {
					if r.has(rule, ami) {
						t.Errorf("%s on %s; findings %v", rule, ami, r.rules())
					}
				}
				for _, f := range r.Findings {
					if len(c.rules) == 0 || f.RuleID != c.rules[0] {
						continue
					}
					for _, w := range c.says {
						if !strings.Contains(f.Message, w) {
							t.Errorf("%s does not say %q: %s", f.RuleID, w, f.Message)
						}
					}
				}
				if c.code == 0 && len(r.Findings) != 0 {
					t.Errorf("findings on a good change: %v", r.rules())
				}
				for _, f := range r.Findings {
					if f.RuleID == "AMI-007" {
						continue // the credential was there before the change
					}
					if _, ok := f.Evidence["proposed_change"]; !ok {
						t.Errorf("%s does not say which change causes it: %v", f.RuleID, f.Evidence)
					}
					if via == "plan" && (f.Location == nil || !strings.HasPrefix(f.Location.Address, "aws_")) {
						t.Errorf("%s has no plan location: %+v", f.RuleID, f.Location)
					}
				}
				for _, call := range calls {
					if !readOnly(call.Service + ":" + call.Action) {
						t.Errorf("the gate called %s:%s", call.Service, call.Action)
					}
				}
			})
		}
	}
}

// TestGateFailsClosed: when the key policy cannot be read, the gate exits 3
// with SCAN-001 on the call and on the AMI the key encrypts, never 0.
func TestGateFailsClosed(t *testing.T) {
	env := scenario.Run(t, "../scenarios/gate.yaml")
	p, err := proxy.Start(proxy.Config{Upstream: env.Moto.URL(), Faults: []proxy.Fault{{Action: "kms:GetKeyPolicy", Code: "AccessDeniedException"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ami := env.Seeded.Images["unreadable"]
	for _, args := range [][]string{
		{"--image", ami, "--share-with", env.Seeded.Accounts["member"]},
		{"--plan", writePlan(t, planJSON(resource("aws_ami_launch_permission", "share", map[string]any{"image_id": ami, "account_id": env.Seeded.Accounts["member"]})))},
	} {
		code, r, _, stderr := gateRun(t, env, p, args...)
		if code != 3 {
			t.Fatalf("exit %d, want 3; findings %v; %s", code, r.rules(), stderr)
		}
		found, onImage := false, false
		for _, f := range r.Findings {
			found = found || (f.RuleID == "SCAN-001" && strings.Contains(f.Resource.ID, "GetKeyPolicy"))
			// The AMI itself, naming its key (issue 9: keys whose policy
			// could not be read are never passed silently).
			onImage = onImage || (f.RuleID == "SCAN-001" && f.Resource.ID == ami && strings.Contains(f.Message, env.Seeded.Keys["unreadable-key"]))
		}
		if !found {
			t.Errorf("no SCAN-001 on GetKeyPolicy: %v", r.rules())
		}
		if !onImage {
			t.Errorf("no SCAN-001 on %s naming its key: %+v", ami, r.Findings)
		}
	}
}

// TestGateCallBudget: gating one AMI with two snapshots takes at most 15 API calls.
func TestGateCallBudget(t *testing.T) {
	env := scenario.Run(t, "../scenarios/gate.yaml")
	_, _, calls, _ := gateRun(t, env, env.Proxy, "--image", env.Seeded.Images["shared-cmk"], "--share-with", env.Seeded.Accounts["member"])
	var names []string
	for _, c := range calls {
		names = append(names, c.Service+":"+c.Action)
	}
	if len(calls) > 15 {
		t.Errorf("%d API calls, want at most 15: %v", len(calls), names)
	}
	t.Logf("%d calls: %s", len(calls), strings.Join(names, " "))
}

// TestGateCopyOfAnotherAccountsImage judges copies of AMIs that another
// account owns, from a snapshot document (--snapshot): moto cannot give an
// AMI a product code, and its CopyImage and snapshots do not cross accounts.
// The document is what the owner's scan sees (its snapshots' permissions and
// keys), the caller (scope) is the copying account.
func TestGateCopyOfAnotherAccountsImage(t *testing.T) {
	const owner, copier = "777788889999", "123456789012"
	keyARN := "arn:aws:kms:us-east-1:" + owner + ":key/1a2b3c4d-0000-4000-8000-00000000000a"
	image := func(id, extra string) string {
		return `{"id": "` + id + `", "account": "` + owner + `", "region": "us-east-1", "launch_permissions": [{"user_id": "` + copier + `"}],
		  "block_device_mappings": [{"device_name": "/dev/xvda", "snapshot_id": "snap-` + id[4:] + `"}]` + extra + `}`
	}
	snap := func(id, extra string) string {
		return `{"id": "` + id + `", "account": "` + owner + `", "region": "us-east-1"` + extra + `}`
	}
	doc := `{"schema_version": "1", "collected_at": "2026-11-20T00:00:00Z",
	  "scope": {"accounts": ["` + copier + `"], "regions": ["us-east-1"]},
	  "organization": null, "account_regions": [{"account": "` + copier + `", "region": "eu-west-1", "image_block_public_access": null, "snapshot_block_public_access": null, "allowed_images": null, "ebs_encryption_by_default": true, "ebs_default_kms_key_id": "alias/aws/ebs"}],
	  "images": [` + strings.Join([]string{
		image("ami-0a1b2c3d4e5f60abc", `, "product_codes": [{"id": "abcdef1234567890prodcode", "type": "marketplace"}]`),
		image("ami-0a1b2c3d4e5f60bcd", `, "platform_details": "Windows", "usage_operation": "RunInstances:0002"`),
		image("ami-0a1b2c3d4e5f60cde", ""),
		image("ami-0a1b2c3d4e5f60def", ""),
		image("ami-0a1b2c3d4e5f60efa", ""),
	}, ",") + `],
	  "snapshots": [` + strings.Join([]string{
		snap("snap-0a1b2c3d4e5f60abc", `, "create_volume_permissions": [{"user_id": "`+copier+`"}]`),
		snap("snap-0a1b2c3d4e5f60bcd", `, "create_volume_permissions": [{"user_id": "`+copier+`"}]`),
		snap("snap-0a1b2c3d4e5f60cde", `, "create_volume_permissions": []`),
		snap("snap-0a1b2c3d4e5f60def", `, "create_volume_permissions": [{"user_id": "`+copier+`"}], "encrypted": true, "kms_key_id": "`+keyARN+`"`),
		snap("snap-0a1b2c3d4e5f60efa", `, "create_volume_permissions": [{"user_id": "`+copier+`"}]`),
	}, ",") + `],
	  "keys": [{"arn": "` + keyARN + `", "id": "1a2b3c4d-0000-4000-8000-00000000000a", "account": "` + owner + `", "region": "us-east-1", "key_manager": "CUSTOMER", "key_state": "Enabled", "grants": [],
	    "policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::` + owner + `:root\"},\"Action\":\"kms:*\",\"Resource\":\"*\"}]}"}],
	  "errors": []}`
	state := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(state, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	// The share to the copier exists already and is trusted: only the copy is judged.
	config := filepath.Join(t.TempDir(), "amiaudit.yaml")
	if err := os.WriteFile(config, []byte("trusted_accounts: [\""+copier+"\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, ami, rule, says string
		code                  int
	}{
		// GATE-002 is medium: below the default --fail-on high.
		{"marketplace product code", "ami-0a1b2c3d4e5f60abc", "GATE-002", "AWS refuses", 0},
		{"Windows", "ami-0a1b2c3d4e5f60bcd", "GATE-002", "platform Windows", 0},
		{"no createVolumePermission", "ami-0a1b2c3d4e5f60cde", "GATE-003", "lacks createVolumePermission on snapshot snap-0a1b2c3d4e5f60cde", 1},
		{"key the copier cannot use", "ami-0a1b2c3d4e5f60def", "GATE-003", "it cannot use key " + keyARN, 1},
		{"readable snapshot, plain image", "ami-0a1b2c3d4e5f60efa", "", "", 0},
	} {
		for _, via := range []string{"flags", "plan"} {
			t.Run(tc.name+"/"+via, func(t *testing.T) {
				args := []string{"--image", tc.ami, "--copy-to-region", "eu-west-1"}
				if via == "plan" {
					args = []string{"--plan", writePlan(t, planJSON(resource("aws_ami_copy", "mine", map[string]any{"source_ami_id": tc.ami, "source_ami_region": "us-east-1", "region": "eu-west-1", "name": "mine"})))}
				}
				var out, errOut bytes.Buffer
				code := cli.Run(append([]string{"gate", "--snapshot", state, "--config", config, "--region", "us-east-1", "--format", "json"}, args...), strings.NewReader(""), &out, &errOut)
				var r gateReport
				_ = json.Unmarshal(out.Bytes(), &r)
				if code != tc.code {
					t.Fatalf("exit %d, want %d: %v %s", code, tc.code, r.rules(), errOut.String())
				}
				if tc.rule == "" {
					if len(r.Findings) != 0 {
						t.Errorf("findings on a copy that works: %v", r.rules())
					}
					return
				}
				ok := false
				for _, f := range r.Findings {
					ok = ok || (f.RuleID == tc.rule && f.Resource.ID == tc.ami && strings.Contains(f.Message, tc.says))
				}
				if !ok {
					t.Errorf("no %s saying %q: %+v", tc.rule, tc.says, r.Findings)
				}
			})
		}
	}
}

func writePlan(t *testing.T, plan string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "plan.json")
	if err := os.WriteFile(path, []byte(plan), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func resource(typ, name string, after map[string]any) map[string]any {
	return map[string]any{
		"address": typ + "." + name, "mode": "managed", "type": typ, "name": name,
		"provider_name": "registry.terraform.io/hashicorp/aws",
		"change":        map[string]any{"actions": []string{"create"}, "before": nil, "after": after, "after_unknown": map[string]any{"id": true}},
	}
}

// configured adds the resource's configuration (what its Terraform code
// writes) to the plan that planJSON builds.
func configured(res map[string]any, expressions map[string]any) map[string]any {
	res["_configuration"] = map[string]any{"address": res["address"], "mode": "managed", "type": res["type"], "name": res["name"], "expressions": expressions}
	return res
}

func planJSON(resources ...map[string]any) string {
	var config []any
	for _, r := range resources {
		if c, ok := r["_configuration"]; ok {
			config = append(config, c)
			delete(r, "_configuration")
		}
	}
	plan := map[string]any{"format_version": "1.2", "terraform_version": "1.9.8", "resource_changes": resources}
	if config != nil {
		plan["configuration"] = map[string]any{"root_module": map[string]any{"resources": config}}
	}
	b, err := json.MarshalIndent(plan, "", "  ")
	if err != nil {
		panic(fmt.Sprint(err))
	}
	return string(b)
}

// BenchmarkGate gates one AMI with two snapshots against moto behind the
// proxy and reports the wall time and API calls per gate.
func BenchmarkGate(b *testing.B) {
	env := scenario.Run(b, "../scenarios/gate.yaml")
	ctx := context.Background()
	creds, err := env.Seeded.Credentials(ctx, env.Proxy.URL())
	if err != nil {
		b.Fatal(err)
	}
	for _, kv := range scenario.Environ(creds, env.Proxy.URL(), "us-east-1") {
		k, v, _ := strings.Cut(kv, "=")
		b.Setenv(k, v)
	}
	args := []string{"gate", "--region", "us-east-1", "--format", "json", "--image", env.Seeded.Images["shared-cmk"], "--share-with", env.Seeded.Accounts["member"]}
	before := len(env.Proxy.Calls())
	b.ResetTimer()
	for b.Loop() {
		var out, errOut bytes.Buffer
		if code := cli.Run(args, strings.NewReader(""), &out, &errOut); code != 0 {
			b.Fatalf("exit %d: %s", code, errOut.String())
		}
	}
	b.ReportMetric(float64(len(env.Proxy.Calls())-before)/float64(b.N), "calls/gate")
}

// TestGateRefusedPublicSnapshot: snapshot block public access is
// block-all-sharing in gate.yaml, so AWS refuses to make the AMI's snapshot
// public (GATE-004) while the AMI itself may be made public (AMI-001).
// Terraform has no public createVolumePermission: flags only.
func TestGateRefusedPublicSnapshot(t *testing.T) {
	env := scenario.Run(t, "../scenarios/gate.yaml")
	ami := env.Seeded.Images["plain"]
	code, r, _, stderr := gateRun(t, env, env.Proxy, "--image", ami, "--public", "--create-volume-permission")
	if code != 1 {
		t.Fatalf("exit %d, want 1: %v %s", code, r.rules(), stderr)
	}
	if !r.has("AMI-001", ami) || !r.has("GATE-004", ami) {
		t.Errorf("want AMI-001 and GATE-004 on %s: %v", ami, r.rules())
	}
	for _, f := range r.Findings {
		if f.RuleID == "SNAP-001" {
			t.Errorf("SNAP-001 on a share AWS refuses: %s", f.Message)
		}
		if f.RuleID == "GATE-004" && !strings.Contains(f.Message, "snapshot block public access is block-all-sharing") {
			t.Errorf("GATE-004 does not say why: %s", f.Message)
		}
	}
}

// TestGateShareCopy copies shared-cmk to eu-west-1 and shares the copy with
// a member of the organization, from flags (--share-copy) and from a plan
// whose launch permission's image_id is the copy's (known only after apply).
// The copy is encrypted with the key AWS picks — the one named, else the
// pipeline account's default EBS key in eu-west-1, alias/aws/ebs there — and
// the share is judged on it, on the copy, through the real SDK.
func TestGateShareCopy(t *testing.T) {
	env := scenario.Run(t, "../scenarios/gate.yaml")
	ami, member := env.Seeded.Images["shared-cmk"], env.Seeded.Accounts["member"]
	for _, tc := range []struct {
		name, key, rule string
		code            int
	}{
		{"key the organization may use", env.Seeded.Keys["org-key-eu"], "", 0},
		{"key only the owner may use", env.Seeded.Keys["private-key-eu"], "AMI-004", 1},
		{"default key aws/ebs", "", "AMI-005", 1},
	} {
		for _, via := range []string{"flags", "plan"} {
			t.Run(tc.name+"/"+via, func(t *testing.T) {
				args := []string{"--image", ami, "--copy-to-region", "eu-west-1", "--share-copy", "--share-with", member}
				if tc.key != "" {
					args = append(args, "--kms-key", tc.key)
				}
				if via == "plan" {
					after := map[string]any{"source_ami_id": ami, "source_ami_region": "us-east-1", "region": "eu-west-1", "name": "copy", "encrypted": tc.key != ""}
					if tc.key != "" {
						after["kms_key_id"] = tc.key
					}
					copyRes := configured(resource("aws_ami_copy", "eu", after), map[string]any{"name": map[string]any{"constant_value": "copy"}})
					share := configured(resource("aws_ami_launch_permission", "copy", map[string]any{"account_id": member}),
						map[string]any{"image_id": map[string]any{"references": []string{"aws_ami_copy.eu.id", "aws_ami_copy.eu"}}})
					share["change"].(map[string]any)["after_unknown"] = map[string]any{"id": true, "image_id": true}
					args = []string{"--plan", writePlan(t, planJSON(copyRes, share))}
				}
				code, r, calls, stderr := gateRun(t, env, env.Proxy, args...)
				if code != tc.code {
					t.Fatalf("exit %d, want %d; findings %v; stderr %s", code, tc.code, r.rules(), stderr)
				}
				if tc.rule == "" && len(r.Findings) != 0 {
					t.Errorf("findings on a share that works: %+v", r.Findings)
				}
				found := false
				for _, f := range r.Findings {
					if f.RuleID != tc.rule {
						continue
					}
					found = true
					if f.Resource.ID == ami || f.Evidence["proposed_copy"] == nil {
						t.Errorf("%s is not on the proposed copy: %s %v", f.RuleID, f.Resource.ID, f.Evidence)
					}
					if via == "plan" && (f.Location == nil || f.Location.Address != "aws_ami_launch_permission.copy") {
						t.Errorf("%s location %+v", f.RuleID, f.Location)
					}
				}
				if tc.rule != "" && !found {
					t.Errorf("no %s: %+v", tc.rule, r.Findings)
				}
				described := false
				for _, call := range calls {
					if !readOnly(call.Service + ":" + call.Action) {
						t.Errorf("the gate called %s:%s", call.Service, call.Action)
					}
					described = described || (call.Service == "kms" && call.Action == "DescribeKey")
				}
				if !described {
					t.Error("the copy's key was not read")
				}
			})
		}
	}
}

// TestGateShareCopyFailsClosed: when the key the shared copy would use in
// eu-west-1 cannot be described, the gate exits 3 with SCAN-001 on the call.
func TestGateShareCopyFailsClosed(t *testing.T) {
	env := scenario.Run(t, "../scenarios/gate.yaml")
	p, err := proxy.Start(proxy.Config{Upstream: env.Moto.URL(), Faults: []proxy.Fault{{Region: "eu-west-1", Action: "kms:DescribeKey", Code: "AccessDeniedException"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	code, r, _, stderr := gateRun(t, env, p, "--image", env.Seeded.Images["shared-cmk"], "--copy-to-region", "eu-west-1", "--share-copy", "--share-with", env.Seeded.Accounts["member"])
	if code != 3 {
		t.Fatalf("exit %d, want 3; findings %v; %s", code, r.rules(), stderr)
	}
	found := false
	for _, f := range r.Findings {
		found = found || (f.RuleID == "SCAN-001" && strings.Contains(f.Resource.ID, "DescribeKey") && strings.Contains(f.Resource.ID, "alias/aws/ebs"))
	}
	if !found {
		t.Errorf("no SCAN-001 on DescribeKey alias/aws/ebs: %+v", r.Findings)
	}
}
