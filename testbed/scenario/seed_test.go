package scenario_test

import (
	"context"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/amiaudit/amiaudit/testbed/awslocal"
	"github.com/amiaudit/amiaudit/testbed/proxy"
	"github.com/amiaudit/amiaudit/testbed/scenario"
)

const exampleOrg = "../../scenarios/example-org.yaml"

// TestSeedEveryScenario seeds each scenario file into the shared moto, in
// accounts of its own, and checks that every name resolved.
func TestSeedEveryScenario(t *testing.T) {
	files, err := filepath.Glob("../../scenarios/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			env := scenario.Run(t, f)
			s, sd := env.Scenario, env.Seeded
			for _, img := range s.Images {
				if !strings.HasPrefix(sd.Images[img.Name], "ami-") {
					t.Errorf("image %s: ID %q", img.Name, sd.Images[img.Name])
				}
			}
			for name, id := range sd.Snapshots {
				if !strings.HasPrefix(id, "snap-") {
					t.Errorf("snapshot %s: ID %q", name, id)
				}
			}
			for _, k := range s.Keys {
				if !strings.HasPrefix(sd.Keys[k.Name], "arn:aws:kms:"+k.Region+":"+sd.Accounts[k.Account]+":key/") {
					t.Errorf("key %s: ARN %q", k.Name, sd.Keys[k.Name])
				}
			}
			findings, clean := sd.ResolveExpect()
			for _, f := range findings {
				if f.ID == "" || (f.Type != scenario.ResourceScope && f.Account == "") {
					t.Errorf("expected finding %s on %s resolved to %+v", f.Rule, f.Ref, f.ExpectedResource)
				}
			}
			for _, c := range clean {
				if c.ID == "" || c.Account == "" || c.Region == "" {
					t.Errorf("clean %s resolved to %+v", c.Ref, c.ExpectedResource)
				}
			}
			creds := env.Credentials(t)
			if creds.AccessKeyID == "" || creds.SessionToken == "" {
				t.Errorf("scan credentials %+v", creds)
			}
		})
	}
}

// TestSeedTwiceIntoOneServer shows why the shared server needs fresh
// account IDs: the scenario's fixed IDs can be seeded once only.
func TestSeedTwiceIntoOneServer(t *testing.T) {
	t.Parallel()
	s, err := scenario.Load(exampleOrg)
	if err != nil {
		t.Fatal(err)
	}
	env := scenario.Run(t, exampleOrg, scenario.OwnServer())
	_, err = s.Seed(t.Context(), env.Moto.URL())
	if err == nil || !strings.Contains(err.Error(), "FreshAccountIDs") {
		t.Errorf("second seed with the same fixed IDs: %v, want advice to use FreshAccountIDs", err)
	}
	if _, err := s.Seed(t.Context(), env.Moto.URL(), scenario.FreshAccountIDs()); err != nil {
		t.Errorf("second seed with FreshAccountIDs: %v", err)
	}
}

func TestSeedRefusesNonLoopbackEndpoints(t *testing.T) {
	s, err := scenario.Load("../../scenarios/clean.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, endpoint := range []string{
		"https://ec2.us-east-1.amazonaws.com",
		"http://10.0.0.1:5000",
		"http://192.168.1.20:4566",
		"http://moto.internal:5000",
		"http://127.0.0.1.nip.io:5000", // resolves to loopback, but is a name
		"ftp://127.0.0.1:5000",
		"127.0.0.1:5000",
		"",
	} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := s.Seed(ctx, endpoint)
		cancel()
		if err == nil || !(strings.Contains(err.Error(), "loopback") || strings.Contains(err.Error(), "emulator on this machine")) {
			t.Errorf("Seed(%q): %v, want a refusal", endpoint, err)
		}
	}
}

// TestExampleOrgReadBack seeds example-org with its fixed IDs and reads
// everything back through the SDK, as the collector will.
func TestExampleOrgReadBack(t *testing.T) {
	t.Parallel()
	env := scenario.Run(t, exampleOrg, scenario.OwnServer())
	sd := env.Seeded
	ctx := t.Context()
	r := newReader(t, env.Moto.URL(), sd)

	t.Run("organization", func(t *testing.T) {
		want := map[string]string{"acme-management": "123456789012", "acme-image-factory": "234567890123", "acme-prod-workloads": "345678901234"}
		for name, id := range want {
			if sd.Accounts[name] != id {
				t.Errorf("account %s = %s, want %s", name, sd.Accounts[name], id)
			}
		}
		if sd.ManagementAccount != "123456789012" || !regexp.MustCompile(`^o-[a-z0-9]{10}$`).MatchString(sd.OrgID) ||
			sd.OrgARN != "arn:aws:organizations::123456789012:organization/"+sd.OrgID {
			t.Errorf("organization %s %s, management %s", sd.OrgID, sd.OrgARN, sd.ManagementAccount)
		}
		org := organizations.NewFromConfig(r.cfg("acme-management", "us-east-1"))
		accounts, err := org.ListAccounts(ctx, &organizations.ListAccountsInput{})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, a := range accounts.Accounts {
			ids = append(ids, aws.ToString(a.Id))
		}
		slices.Sort(ids)
		if strings.Join(ids, " ") != "123456789012 234567890123 345678901234" {
			t.Errorf("ListAccounts = %v", ids)
		}
		parents, err := org.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String("345678901234")})
		if err != nil || len(parents.Parents) != 1 || !strings.HasSuffix(sd.OUs["Production"], "/"+aws.ToString(parents.Parents[0].Id)) {
			t.Errorf("parent of acme-prod-workloads: %+v, %v; want OU Production %s", parents, err, sd.OUs["Production"])
		}
		// Production is nested in Workloads; {{org_path:…}} spells the path.
		workloads := sd.OUs["Workloads"][strings.LastIndex(sd.OUs["Workloads"], "/")+1:]
		production := sd.OUs["Production"][strings.LastIndex(sd.OUs["Production"], "/")+1:]
		if p := sd.OUPaths["Production"]; !strings.HasPrefix(p, sd.OrgID+"/r-") || !strings.HasSuffix(p, "/"+workloads+"/"+production+"/") {
			t.Errorf("org path of Production = %q (Workloads %s, Production %s)", p, workloads, production)
		}
	})

	t.Run("encrypted images", func(t *testing.T) {
		golden := r.image("acme-image-factory", "us-east-1", "golden")
		if aws.ToString(golden.Name) != "acme-golden-al2023-2026.11.1" || !hasTag(golden.Tags, "Name", "acme-golden-al2023") {
			t.Errorf("golden: name %q, tags %v", aws.ToString(golden.Name), golden.Tags)
		}
		r.checkVolume("acme-image-factory", "us-east-1", golden, 0, "golden/0", sd.Keys["golden"], `^Created by CreateImage\(i-[0-9a-f]+\) for `+sd.Images["golden"]+` from vol-[0-9a-f]+$`)
		batch := r.image("acme-image-factory", "us-east-1", "batch-worker")
		r.checkVolume("acme-image-factory", "us-east-1", batch, 0, "batch-worker/0", sd.Keys["factory-aws-ebs"], "")
		if m := r.key("acme-image-factory", "us-east-1", "factory-aws-ebs"); m.KeyManager != "AWS" {
			t.Errorf("factory-aws-ebs KeyManager = %s, want AWS", m.KeyManager)
		}
		if m := r.key("acme-image-factory", "us-east-1", "golden"); m.KeyManager != "CUSTOMER" {
			t.Errorf("golden KeyManager = %s, want CUSTOMER", m.KeyManager)
		}
		copied := r.image("acme-image-factory", "eu-west-1", "golden-eu")
		if aws.ToString(copied.SourceImageId) != sd.Images["golden"] || aws.ToString(copied.SourceImageRegion) != "us-east-1" {
			t.Errorf("golden-eu source %s in %s", aws.ToString(copied.SourceImageId), aws.ToString(copied.SourceImageRegion))
		}
		r.checkVolume("acme-image-factory", "eu-west-1", copied, 0, "golden-eu/0", sd.Keys["golden-eu"], `^Copied for DestinationAmi `+sd.Images["golden-eu"]+` from SourceAmi `+sd.Images["golden"]+` for SourceSnapshot `+sd.Snapshots["golden/0"]+`\. Task created on [0-9,]+\.$`)
	})

	t.Run("launch permissions", func(t *testing.T) {
		tests := map[string]ec2types.LaunchPermission{
			"golden":           {OrganizationArn: aws.String(sd.OrgARN)},
			"partner-edition":  {OrganizationArn: aws.String("arn:aws:organizations::555566667777:organization/o-partner9xyz12")},
			"vendor-appliance": {UserId: aws.String("999988887777")},
			"payments-api":     {UserId: aws.String("345678901234")},
			"legacy-demo":      {Group: ec2types.PermissionGroupAll},
		}
		for name, want := range tests {
			got := r.launchPermissions("acme-image-factory", "us-east-1", name)
			if len(got) != 1 || aws.ToString(got[0].OrganizationArn) != aws.ToString(want.OrganizationArn) ||
				aws.ToString(got[0].UserId) != aws.ToString(want.UserId) || got[0].Group != want.Group {
				t.Errorf("%s launch permissions %+v, want %+v", name, got, want)
			}
		}
		got := r.launchPermissions("acme-image-factory", "eu-west-1", "golden-eu")
		if len(got) != 1 || aws.ToString(got[0].OrganizationalUnitArn) != sd.OUs["Workloads"] {
			t.Errorf("golden-eu launch permissions %+v, want OU %s", got, sd.OUs["Workloads"])
		}
		if !aws.ToBool(r.image("acme-image-factory", "us-east-1", "legacy-demo").Public) {
			t.Error("legacy-demo is not Public")
		}
	})

	t.Run("deprecation", func(t *testing.T) {
		now := time.Now()
		past := r.image("acme-image-factory", "us-east-1", "partner-tools").DeprecationTime
		future := r.image("acme-image-factory", "us-east-1", "golden").DeprecationTime
		pt, err1 := time.Parse(time.RFC3339, aws.ToString(past))
		ft, err2 := time.Parse(time.RFC3339, aws.ToString(future))
		if err1 != nil || err2 != nil || !pt.Before(now) || !ft.After(now) {
			t.Errorf("deprecation times: partner-tools %s (want past), golden %s (want future)", aws.ToString(past), aws.ToString(future))
		}
	})

	t.Run("snapshots and orphans", func(t *testing.T) {
		c := ec2.NewFromConfig(r.cfg("acme-image-factory", "us-east-1"))
		imgs, err := c.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"self"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, img := range imgs.Images {
			if aws.ToString(img.ImageId) == sd.Images["retired-build"] {
				t.Error("retired-build is still registered")
			}
		}
		orphan := r.snapshot("acme-image-factory", "us-east-1", "retired-build/0")
		if !regexp.MustCompile(`^Created by CreateImage\(i-[0-9a-f]+\) for ` + sd.Images["retired-build"] + ` from vol-`).MatchString(aws.ToString(orphan.Description)) {
			t.Errorf("retired-build/0 description %q", aws.ToString(orphan.Description))
		}
		copyOrphan := r.snapshot("acme-image-factory", "eu-west-1", "tools-2024-eu/0")
		if !strings.HasPrefix(aws.ToString(copyOrphan.Description), "Copied for DestinationAmi "+sd.Images["tools-2024-eu"]+" from SourceAmi "+sd.Images["tools-2024"]) {
			t.Errorf("tools-2024-eu/0 description %q", aws.ToString(copyOrphan.Description))
		}
		cvp := map[string][]string{
			"acme-image-factory/us-east-1/vendor-appliance/0": {"999988887777"},
			"acme-image-factory/us-east-1/analytics-base/0":   {"345678901234"},
			"acme-image-factory/us-east-1/retired-build/0":    {"444455556666"},
			"acme-image-factory/eu-west-1/price-list":         {"all"},
			"acme-management/us-east-1/dataset-mirror":        {"all"},
			"acme-image-factory/us-east-1/golden/0":           nil,
		}
		for ref, want := range cvp {
			parts := strings.SplitN(ref, "/", 3)
			if got := r.createVolumePermissions(parts[0], parts[1], parts[2]); !slices.Equal(got, want) {
				t.Errorf("%s createVolumePermission %v, want %v", parts[2], got, want)
			}
		}
		dump := r.snapshot("acme-prod-workloads", "us-east-1", "orders-dump")
		if !strings.Contains(aws.ToString(dump.Description), "password=Orders2024!Prod") || aws.ToString(dump.KmsKeyId) != sd.Keys["orders-backup"] {
			t.Errorf("orders-dump: %q, key %s", aws.ToString(dump.Description), aws.ToString(dump.KmsKeyId))
		}
	})

	t.Run("keys", func(t *testing.T) {
		k := kms.NewFromConfig(r.cfg("acme-image-factory", "us-east-1"))
		policy, err := k.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(sd.Keys["golden"]), PolicyName: aws.String("default")})
		if err != nil || !strings.Contains(aws.ToString(policy.Policy), `"aws:PrincipalOrgID": "`+sd.OrgID+`"`) ||
			!strings.Contains(aws.ToString(policy.Policy), "arn:aws:iam::234567890123:root") {
			t.Errorf("golden policy (%v):\n%s", err, aws.ToString(policy.Policy))
		}
		aliases, err := k.ListAliases(ctx, &kms.ListAliasesInput{KeyId: aws.String(sd.Keys["golden"])})
		if err != nil || len(aliases.Aliases) != 1 || aws.ToString(aliases.Aliases[0].AliasName) != "alias/golden-images" {
			t.Errorf("golden aliases %+v, %v", aliases, err)
		}
		p := kms.NewFromConfig(r.cfg("acme-prod-workloads", "us-east-1"))
		grants, err := p.ListGrants(ctx, &kms.ListGrantsInput{KeyId: aws.String(sd.Keys["orders-backup"])})
		if err != nil || len(grants.Grants) != 1 || aws.ToString(grants.Grants[0].GranteePrincipal) != "arn:aws:iam::999988887777:role/restore-tester" ||
			aws.ToString(grants.Grants[0].Name) != "vendor-restore-test" || len(grants.Grants[0].Operations) != 3 {
			t.Errorf("orders-backup grants %+v, %v", grants, err)
		}
		orders, err := p.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(sd.Keys["orders"]), PolicyName: aws.String("default")})
		if err != nil || !strings.Contains(aws.ToString(orders.Policy), `"kms:ViaService": "ec2.us-east-1.amazonaws.com"`) {
			t.Errorf("orders policy (%v):\n%s", err, aws.ToString(orders.Policy))
		}
		if st := r.key("acme-prod-workloads", "us-east-1", "ledger-2024").KeyState; st != "PendingDeletion" {
			t.Errorf("ledger-2024 state %s", st)
		}
	})

	t.Run("settings moto serves", func(t *testing.T) {
		for _, acct := range []string{"acme-management", "acme-image-factory", "acme-prod-workloads"} {
			for _, region := range env.Scenario.Regions {
				out, err := ec2.NewFromConfig(r.cfg(acct, region)).GetEbsEncryptionByDefault(ctx, &ec2.GetEbsEncryptionByDefaultInput{})
				if err != nil || !aws.ToBool(out.EbsEncryptionByDefault) {
					t.Errorf("%s/%s: EBS encryption by default %v, %v", acct, region, out, err)
				}
			}
		}
	})

	t.Run("proxy configuration", func(t *testing.T) {
		pc := sd.ProxyConfig("")
		if len(pc.Settings) != 6 {
			t.Fatalf("%d settings, want one per account-region (6)", len(pc.Settings))
		}
		for _, st := range pc.Settings {
			want := map[string][3]string{
				"234567890123/us-east-1": {"unblocked", "block-new-sharing", "enabled"},
				"234567890123/eu-west-1": {"block-new-sharing", "unblocked", "audit-mode"},
				"345678901234/us-east-1": {"block-new-sharing", "block-all-sharing", "disabled"},
			}[st.Account+"/"+st.Region]
			if want == [3]string{} {
				want = [3]string{"block-new-sharing", "block-all-sharing", "enabled"}
			}
			got := [3]string{aws.ToString(st.ImageBlockPublicAccess), aws.ToString(st.SnapshotBlockPublicAccess), aws.ToString(st.AllowedImages)}
			if got != want {
				t.Errorf("%s/%s settings %v, want %v", st.Account, st.Region, got, want)
			}
		}
		want := proxy.Fault{Account: "345678901234", Region: "eu-west-1", Action: "GetSnapshotBlockPublicAccessState", Code: "UnauthorizedOperation"}
		if len(pc.Faults) != 1 || pc.Faults[0] != want || pc.Throttle != nil {
			t.Errorf("faults %+v, throttle %+v", pc.Faults, pc.Throttle)
		}
	})

	t.Run("expectations", func(t *testing.T) {
		findings, _ := sd.ResolveExpect()
		byRef := map[string]scenario.ExpectedFinding{}
		for _, f := range findings {
			byRef[f.Rule+" "+f.Ref] = f
		}
		key := byRef["KMS-001 key:orders"]
		if key.Type != "kms-key" || !strings.HasSuffix(sd.Keys["orders"], "/"+key.ID) || key.Account != "345678901234" {
			t.Errorf("KMS-001 resolved to %+v", key)
		}
		if ar := byRef["ACCT-001 account-region:acme-image-factory/us-east-1"]; ar.ID != "234567890123/us-east-1" {
			t.Errorf("ACCT-001 resolved to %+v", ar)
		}
		if sc := byRef["SCAN-001 scope:acme-prod-workloads/eu-west-1/ec2:GetSnapshotBlockPublicAccessState"]; sc.Account != "345678901234" ||
			!sc.Matches("scope", "ec2:GetSnapshotBlockPublicAccessState", "345678901234", "eu-west-1") {
			t.Errorf("SCAN-001 resolved to %+v", sc)
		}
	})
}

// TestCleanReadBack checks what example-org does not use: an image
// registered from several snapshots, nested OUs, a grant to a member.
func TestCleanReadBack(t *testing.T) {
	t.Parallel()
	env := scenario.Run(t, "../../scenarios/clean.yaml")
	sd := env.Seeded
	ctx := t.Context()
	r := newReader(t, env.Moto.URL(), sd)

	img := r.image("images", "us-east-1", "appliance")
	if len(img.BlockDeviceMappings) != 2 || aws.ToString(img.RootDeviceName) != "/dev/xvda" {
		t.Fatalf("appliance devices %+v, root %s", img.BlockDeviceMappings, aws.ToString(img.RootDeviceName))
	}
	r.checkVolume("images", "us-east-1", img, 0, "appliance/0", sd.Keys["images-key"], "^appliance root$")
	r.checkVolume("images", "us-east-1", img, 1, "appliance/1", sd.Keys["images-key"], "^appliance data$")
	data := img.BlockDeviceMappings[1].Ebs
	if aws.ToInt32(data.VolumeSize) != 50 || data.VolumeType != ec2types.VolumeTypeGp2 {
		t.Errorf("appliance data volume: %d GiB %s", aws.ToInt32(data.VolumeSize), data.VolumeType)
	}
	if snap := r.snapshot("images", "us-east-1", "appliance/1"); !hasTag(snap.Tags, "role", "data") {
		t.Errorf("appliance/1 tags %v", snap.Tags)
	}

	grants, err := kms.NewFromConfig(r.cfg("images", "us-east-1")).ListGrants(ctx, &kms.ListGrantsInput{KeyId: aws.String(sd.Keys["images-key"])})
	if err != nil || len(grants.Grants) != 1 || aws.ToString(grants.Grants[0].GranteePrincipal) != "arn:aws:iam::"+sd.Accounts["prod"]+":root" {
		t.Errorf("images-key grants %+v, %v", grants, err)
	}

	org := organizations.NewFromConfig(r.cfg("management", "us-east-1"))
	parent := func(child string) string {
		out, err := org.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String(child)})
		if err != nil || len(out.Parents) != 1 {
			t.Fatalf("parents of %s: %+v, %v", child, out, err)
		}
		return aws.ToString(out.Parents[0].Id)
	}
	prodOU := parent(sd.Accounts["prod"])
	if !strings.HasSuffix(sd.OUs["Production"], "/"+prodOU) || !strings.HasSuffix(sd.OUs["Workloads"], "/"+parent(prodOU)) {
		t.Errorf("prod is in %s (under %s), want Production under Workloads: %v", prodOU, parent(prodOU), sd.OUs)
	}
	got := r.launchPermissions("images", "us-east-1", "appliance")
	if len(got) != 1 || aws.ToString(got[0].OrganizationalUnitArn) != sd.OUs["Production"] {
		t.Errorf("appliance launch permissions %+v", got)
	}
}

// reader reads seeded resources back through the SDK, as their owner.
type reader struct {
	t        *testing.T
	endpoint string
	sd       *scenario.Seeded
}

func newReader(t *testing.T, endpoint string, sd *scenario.Seeded) *reader {
	return &reader{t: t, endpoint: endpoint, sd: sd}
}

func (r *reader) cfg(account, region string) aws.Config {
	r.t.Helper()
	base, err := awslocal.Config(r.endpoint, region)
	if err != nil {
		r.t.Fatal(err)
	}
	cfg, err := awslocal.AssumeAccount(r.t.Context(), base, r.sd.Accounts[account])
	if err != nil {
		r.t.Fatal(err)
	}
	return cfg
}

func (r *reader) image(account, region, name string) ec2types.Image {
	r.t.Helper()
	out, err := ec2.NewFromConfig(r.cfg(account, region)).DescribeImages(r.t.Context(), &ec2.DescribeImagesInput{ImageIds: []string{r.sd.Images[name]}})
	if err != nil || len(out.Images) != 1 {
		r.t.Fatalf("describe image %s: %+v, %v", name, out, err)
	}
	return out.Images[0]
}

func (r *reader) snapshot(account, region, name string) ec2types.Snapshot {
	r.t.Helper()
	out, err := ec2.NewFromConfig(r.cfg(account, region)).DescribeSnapshots(r.t.Context(), &ec2.DescribeSnapshotsInput{SnapshotIds: []string{r.sd.Snapshots[name]}})
	if err != nil || len(out.Snapshots) != 1 {
		r.t.Fatalf("describe snapshot %s: %+v, %v", name, out, err)
	}
	return out.Snapshots[0]
}

func (r *reader) key(account, region, name string) *kmsMetadata {
	r.t.Helper()
	out, err := kms.NewFromConfig(r.cfg(account, region)).DescribeKey(r.t.Context(), &kms.DescribeKeyInput{KeyId: aws.String(r.sd.Keys[name])})
	if err != nil {
		r.t.Fatalf("describe key %s: %v", name, err)
	}
	return &kmsMetadata{KeyManager: string(out.KeyMetadata.KeyManager), KeyState: string(out.KeyMetadata.KeyState)}
}

type kmsMetadata struct{ KeyManager, KeyState string }

func (r *reader) launchPermissions(account, region, name string) []ec2types.LaunchPermission {
	r.t.Helper()
	out, err := ec2.NewFromConfig(r.cfg(account, region)).DescribeImageAttribute(r.t.Context(), &ec2.DescribeImageAttributeInput{
		ImageId: aws.String(r.sd.Images[name]), Attribute: ec2types.ImageAttributeNameLaunchPermission,
	})
	if err != nil {
		r.t.Fatalf("launch permissions of %s: %v", name, err)
	}
	return out.LaunchPermissions
}

// createVolumePermissions lists a snapshot's grantees: account IDs, or "all".
func (r *reader) createVolumePermissions(account, region, name string) []string {
	r.t.Helper()
	out, err := ec2.NewFromConfig(r.cfg(account, region)).DescribeSnapshotAttribute(r.t.Context(), &ec2.DescribeSnapshotAttributeInput{
		SnapshotId: aws.String(r.sd.Snapshots[name]), Attribute: ec2types.SnapshotAttributeNameCreateVolumePermission,
	})
	if err != nil {
		r.t.Fatalf("createVolumePermission of %s: %v", name, err)
	}
	var got []string
	for _, p := range out.CreateVolumePermissions {
		got = append(got, aws.ToString(p.UserId)+string(p.Group))
	}
	slices.Sort(got)
	return got
}

// checkVolume checks device i of img, owned by account in region: its
// snapshot is the seeded one, encrypted with keyARN ("" for none), with a
// description matching desc.
func (r *reader) checkVolume(account, region string, img ec2types.Image, i int, snapName, keyARN, desc string) {
	r.t.Helper()
	m := img.BlockDeviceMappings[i]
	if got := aws.ToString(m.Ebs.SnapshotId); got != r.sd.Snapshots[snapName] {
		r.t.Errorf("%s: device %s snapshot %s, want %s", aws.ToString(img.Name), aws.ToString(m.DeviceName), got, r.sd.Snapshots[snapName])
	}
	if aws.ToBool(m.Ebs.Encrypted) != (keyARN != "") {
		r.t.Errorf("%s: DescribeImages says encrypted=%v", snapName, aws.ToBool(m.Ebs.Encrypted))
	}
	s := r.snapshot(account, region, snapName)
	if aws.ToString(s.KmsKeyId) != keyARN || aws.ToBool(s.Encrypted) != (keyARN != "") {
		r.t.Errorf("%s: key %q (encrypted %v), want %q", snapName, aws.ToString(s.KmsKeyId), aws.ToBool(s.Encrypted), keyARN)
	}
	if desc != "" && !regexp.MustCompile(desc).MatchString(aws.ToString(s.Description)) {
		r.t.Errorf("%s: description %q, want %s", snapName, aws.ToString(s.Description), desc)
	}
}

func hasTag(tags []ec2types.Tag, key, value string) bool {
	for _, t := range tags {
		if aws.ToString(t.Key) == key && aws.ToString(t.Value) == value {
			return true
		}
	}
	return false
}
