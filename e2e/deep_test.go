package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ebs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/amiaudit/amiaudit/internal/cli"
	"github.com/amiaudit/amiaudit/testbed/awslocal"
	"github.com/amiaudit/amiaudit/testbed/diskimage"
	"github.com/amiaudit/amiaudit/testbed/moto"
	"github.com/amiaudit/amiaudit/testbed/proxy"
)

// TestDeepScan uploads disk images into moto through the EBS direct APIs,
// registers them as AMIs, shares them, and runs 'amiaudit scan --deep': one
// AMI-008 per planted secret, at its path, on ext4 and XFS, MBR and GPT, with
// 1, 2 and 4 KiB blocks (issue 10: ext4 with 1 KiB blocks, mkfs's default
// below 512 MiB, failed with SCAN-001), and none on a clean image or on an
// unshared one.
func TestDeepScan(t *testing.T) {
	env := newDeepEnv(t)
	planted := diskimage.Planted()
	images := map[string]diskimage.Spec{
		"ext4-gpt":   {FS: diskimage.Ext4, Table: diskimage.GPT, Files: planted},
		"ext4-mbr":   {FS: diskimage.Ext4, Table: diskimage.MBR, Files: planted},
		"xfs-gpt":    {FS: diskimage.XFS, Table: diskimage.GPT, SizeMiB: 320, Files: planted},
		"ext4-1k":    {FS: diskimage.Ext4, Table: diskimage.GPT, BlockSize: 1024, Files: planted},
		"ext4-2k":    {FS: diskimage.Ext4, Table: diskimage.MBR, BlockSize: 2048, Files: planted},
		"xfs-1k":     {FS: diskimage.XFS, Table: diskimage.GPT, SizeMiB: 320, BlockSize: 1024, Files: planted},
		"clean":      {FS: diskimage.Ext4, Table: diskimage.GPT, Files: diskimage.Clean()},
		"not-shared": {FS: diskimage.Ext4, Table: diskimage.GPT, Files: planted},
	}
	ids := map[string]string{}
	for name, spec := range images {
		ids[uploadImage(t, env.cfg, name, spec, name != "not-shared")] = name
	}

	out, stderr, _ := env.scan(t)
	var r struct {
		Findings []struct {
			RuleID   string `json:"rule_id"`
			Resource struct{ ID string }
			Evidence map[string]any `json:"evidence"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, f := range r.Findings {
		if f.RuleID == "AMI-008" {
			got[ids[f.Resource.ID]] = append(got[ids[f.Resource.ID]], fmt.Sprint(f.Evidence["path"]))
		} else if f.RuleID == "SCAN-001" && strings.Contains(fmt.Sprint(f.Evidence), "ebs") {
			t.Errorf("deep scan error: %v", f.Evidence)
		}
	}
	// Each planted file holds one secret, the AWS credentials file two (the
	// key ID and its secret key).
	var want []string
	for p := range planted {
		if diskimage.IsTarget(p) {
			want = append(want, p)
		}
	}
	want = append(want, "/root/.aws/credentials")
	sort.Strings(want)
	for _, name := range []string{"ext4-gpt", "ext4-mbr", "xfs-gpt", "ext4-1k", "ext4-2k", "xfs-1k"} {
		sort.Strings(got[name])
		if strings.Join(got[name], "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: AMI-008 at\n%s\nwant\n%s", name, strings.Join(got[name], "\n"), strings.Join(want, "\n"))
		}
	}
	for _, name := range []string{"clean", "not-shared"} {
		if len(got[name]) > 0 {
			t.Errorf("%s: AMI-008 at %v", name, got[name])
		}
	}
	t.Logf("stderr: %s", stderr)
}

// uploadImage builds the disk image spec, writes it into a new snapshot
// through the EBS direct APIs as cfg's account, registers an AMI of it and,
// if shared, shares the AMI with an account outside the scan (which --deep
// scans by default). It returns the AMI's ID.
func uploadImage(t *testing.T, cfg aws.Config, name string, spec diskimage.Spec, shared bool) string {
	t.Helper()
	ctx := context.Background()
	ec2c, ebsc := ec2.NewFromConfig(cfg), ebs.NewFromConfig(cfg)
	path, err := diskimage.Build(t.TempDir(), spec)
	if err != nil {
		t.Fatal(err)
	}
	snap, _, err := diskimage.Upload(ctx, ebsc, path, name)
	if err != nil {
		t.Fatal(err)
	}
	ami, err := diskimage.Register(ctx, ec2c, name, snap)
	if err != nil {
		t.Fatal(err)
	}
	if !shared {
		return ami
	}
	if _, err := ec2c.ModifyImageAttribute(ctx, &ec2.ModifyImageAttributeInput{
		ImageId: aws.String(ami),
		LaunchPermission: &ec2types.LaunchPermissionModifications{
			Add: []ec2types.LaunchPermission{{UserId: aws.String("999988887777")}},
		},
	}); err != nil {
		t.Fatal(err)
	}
	return ami
}

// deepEnv is an account of its own in the shared moto, behind a fault proxy
// that records calls. The scenarios' AMIs are no use to a deep scan: moto
// holds no blocks for their snapshots, answers ListSnapshotBlocks on them
// with HTTP 500, and the SDK retries each for half a minute.
type deepEnv struct {
	proxy *proxy.Proxy
	cfg   aws.Config
}

func newDeepEnv(t *testing.T) *deepEnv {
	t.Helper()
	srv := moto.Shared(t)
	p, err := proxy.Start(proxy.Config{Upstream: srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	base, err := awslocal.Config(p.URL(), "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	account := fmt.Sprintf("%012d", rand.Int64N(9e11)+1e11)
	cfg, err := awslocal.AssumeAccount(context.Background(), base, account)
	if err != nil {
		t.Fatal(err)
	}
	return &deepEnv{proxy: p, cfg: cfg}
}

// scan runs 'amiaudit scan --deep' in us-east-1 as the env's account and
// returns the JSON report, the log and the calls it made.
func (e *deepEnv) scan(t *testing.T) (out []byte, stderr string, calls []proxy.Call) {
	t.Helper()
	creds, err := e.cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": e.proxy.URL(), "AWS_ACCESS_KEY_ID": creds.AccessKeyID, "AWS_SECRET_ACCESS_KEY": creds.SecretAccessKey,
		"AWS_SESSION_TOKEN": creds.SessionToken, "AWS_REGION": "us-east-1", "AWS_CONFIG_FILE": "/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_EC2_METADATA_DISABLED": "true", "CI": "true",
	} {
		t.Setenv(k, v)
	}
	before := len(e.proxy.Calls())
	var stdout, errOut bytes.Buffer
	code := cli.Run([]string{"scan", "--format", "json", "--fail-on", "none", "--regions", "us-east-1", "--deep"}, strings.NewReader(""), &stdout, &errOut)
	if code != 0 {
		t.Fatalf("scan --deep exit %d: %s", code, errOut.String())
	}
	return stdout.Bytes(), errOut.String(), e.proxy.Calls()[before:]
}
