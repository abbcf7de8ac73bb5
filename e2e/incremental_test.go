package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/amiaudit/amiaudit/collector"
	"github.com/amiaudit/amiaudit/internal/cli"
	"github.com/amiaudit/amiaudit/snapshot"
	"github.com/amiaudit/amiaudit/testbed/awslocal"
	"github.com/amiaudit/amiaudit/testbed/proxy"
	"github.com/amiaudit/amiaudit/testbed/scenario"
)

// amiRun runs amiaudit in-process with env's credentials and endpoint and
// returns the exit code, stdout, stderr and the proxy calls it made.
func amiRun(t *testing.T, env *scenario.Env, args ...string) (int, string, string, []proxy.Call) {
	t.Helper()
	for _, kv := range env.Environ(t) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("CI", "true")
	before := len(env.Proxy.Calls())
	var out, errOut bytes.Buffer
	code := cli.Run(args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String(), env.Proxy.Calls()[before:]
}

// collectBaseline collects env in full into base.json in a fresh directory:
// the baseline of an incremental scan.
func collectBaseline(t *testing.T, env *scenario.Env) (dir, base string) {
	t.Helper()
	dir = t.TempDir()
	base = filepath.Join(dir, "base.json")
	if code, _, stderr, _ := amiRun(t, env, collectArgs(env, base)...); code != 0 {
		t.Fatalf("baseline collect: exit %d\n%s", code, stderr)
	}
	return dir, base
}

func collectArgs(env *scenario.Env, out string, extra ...string) []string {
	return append([]string{"collect", "--org", "--role", accessRole, regionsFlag(env), "--output", out}, extra...)
}

// accountConfig is an SDK configuration acting as account through the proxy,
// so that what it changes is recorded as CloudTrail events.
func accountConfig(t *testing.T, env *scenario.Env, account, region string) aws.Config {
	t.Helper()
	cfg, err := awslocal.Config(env.Endpoint, region)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := awslocal.AssumeRole(context.Background(), cfg, awslocal.RoleARN(account, awslocal.AccessRole), "change")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Credentials = aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil }))
	return cfg
}

// findingsOf evaluates a snapshot and returns the findings array of the
// JSON report, as bytes.
func findingsOf(t *testing.T, env *scenario.Env, path string) string {
	t.Helper()
	code, out, stderr, _ := amiRun(t, env, "evaluate", path, "--format", "json", "--fail-on", "none")
	if code != 0 {
		t.Fatalf("evaluate %s: exit %d\n%s", path, code, stderr)
	}
	var r struct {
		Findings json.RawMessage `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	return string(r.Findings)
}

func countCalls(calls []proxy.Call, action string) int {
	n := 0
	for _, c := range calls {
		if c.Action == action && c.Status == 200 {
			n++
		}
	}
	return n
}

// TestIncremental: a full scan of the example organization, changes of
// every kind the nightly job must notice, then an incremental scan. Its
// findings are byte-identical to a fresh full scan of the changed state, and
// it reads attributes only for what changed.
func TestIncremental(t *testing.T) {
	env := scenario.Run(t, "../scenarios/example-org.yaml")
	dir, base := collectBaseline(t, env)

	s := env.Seeded
	factory, prod := s.Accounts["acme-image-factory"], s.Accounts["acme-prod-workloads"]
	ctx := context.Background()
	fEC2 := ec2.NewFromConfig(accountConfig(t, env, factory, "us-east-1"))
	pKMS := kms.NewFromConfig(accountConfig(t, env, prod, "us-east-1"))
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	// A new share, and a share removed.
	_, err := fEC2.ModifyImageAttribute(ctx, &ec2.ModifyImageAttributeInput{ImageId: aws.String(s.Images["ci-runner"]),
		LaunchPermission: &ec2types.LaunchPermissionModifications{Add: []ec2types.LaunchPermission{{UserId: aws.String(s.Accounts["vendor"])}}}})
	must("share ci-runner", err)
	_, err = fEC2.ModifyImageAttribute(ctx, &ec2.ModifyImageAttributeInput{ImageId: aws.String(s.Images["payments-api"]),
		LaunchPermission: &ec2types.LaunchPermissionModifications{Remove: []ec2types.LaunchPermission{{UserId: aws.String(prod)}}}})
	must("unshare payments-api", err)
	// A snapshot made public (moto honours the OperationType form).
	_, err = fEC2.ModifySnapshotAttribute(ctx, &ec2.ModifySnapshotAttributeInput{SnapshotId: aws.String(s.Snapshots["tools-2024/0"]),
		Attribute: ec2types.SnapshotAttributeNameCreateVolumePermission, OperationType: ec2types.OperationTypeAdd, GroupNames: []string{"all"}})
	must("make a snapshot public", err)
	// A new AMI (a copy: new image, new snapshot) and a deregistered one.
	cp, err := fEC2.CopyImage(ctx, &ec2.CopyImageInput{SourceImageId: aws.String(s.Images["batch-worker"]), SourceRegion: aws.String("us-east-1"), Name: aws.String("batch-worker-copy")})
	must("copy batch-worker", err)
	_, err = fEC2.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: aws.String(s.Images["partner-tools"])})
	must("deregister partner-tools", err)
	// A key policy change and a disabled key.
	_, err = pKMS.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: aws.String(s.Keys["backups"]), PolicyName: aws.String("default"), Policy: aws.String(`{
		"Version": "2012-10-17",
		"Statement": [
			{"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::` + prod + `:root"}, "Action": "kms:*", "Resource": "*"},
			{"Sid": "Vendor", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::` + s.Accounts["vendor"] + `:root"}, "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"}
		]}`)})
	must("put key policy", err)
	ordersKey := s.Keys["orders"]
	_, err = pKMS.DisableKey(ctx, &kms.DisableKeyInput{KeyId: aws.String(ordersKey[strings.LastIndex(ordersKey, "/")+1:])})
	must("disable key", err)
	// Image block public access lifted in one account-region.
	_, err = fEC2.DisableImageBlockPublicAccess(ctx, &ec2.DisableImageBlockPublicAccessInput{})
	must("disable image block public access", err)

	inc := filepath.Join(dir, "inc.json")
	code, _, stderr, calls := amiRun(t, env, collectArgs(env, inc, "--baseline", base)...)
	if code != 0 {
		t.Fatalf("incremental collect: exit %d\n%s", code, stderr)
	}
	full := filepath.Join(dir, "full.json")
	code, _, stderr, fullCalls := amiRun(t, env, collectArgs(env, full)...)
	if code != 0 {
		t.Fatalf("full collect: exit %d\n%s", code, stderr)
	}

	if a, b := findingsOf(t, env, inc), findingsOf(t, env, full); a != b {
		t.Errorf("incremental findings differ from the full scan's:\nincremental: %s\nfull:        %s", a, b)
	}

	// How it was made, per account-region.
	doc := readDoc(t, inc)
	if doc.Incremental == nil || len(doc.Incremental.AccountRegions) != 6 {
		t.Fatalf("incremental record: %+v", doc.Incremental)
	}
	scopes := map[string]snapshot.IncrementalScope{}
	for _, sc := range doc.Incremental.AccountRegions {
		scopes[sc.Account+"/"+sc.Region] = sc
	}
	// The baseline could not read one setting in prod/eu-west-1 (the
	// scenario's injected fault): there the settings are read again.
	if sc := scopes[prod+"/eu-west-1"]; sc.Mode != snapshot.ModeIncremental || !sc.SettingsReRead {
		t.Errorf("prod/eu-west-1: %+v, want its settings read again", sc)
	}
	fu := scopes[factory+"/us-east-1"]
	if fu.Mode != snapshot.ModeIncremental || !fu.SettingsReRead {
		t.Errorf("factory/us-east-1: %+v, want incremental with settings read again", fu)
	}
	// Images read again: the two whose shares changed, and the copy.
	if fu.ReRead.Images != 3 {
		t.Errorf("factory/us-east-1 images read again: %d, want 3 (two shares changed, one new)", fu.ReRead.Images)
	}
	// Snapshots: the one made public, and the copy's new one.
	if fu.ReRead.Snapshots != 2 {
		t.Errorf("factory/us-east-1 snapshots read again: %d, want 2", fu.ReRead.Snapshots)
	}
	if pu := scopes[prod+"/us-east-1"]; pu.ReRead.Keys != 2 || pu.SettingsReRead || pu.ReRead.Images != 0 {
		t.Errorf("prod/us-east-1: %+v, want exactly the 2 changed keys read again", pu)
	}
	if cp.ImageId == nil {
		t.Fatal("copy without an image ID")
	}
	// The calls agree with the record: per-resource reads only for what
	// changed, outside the account-region read in full.
	var reImages, reSnaps, reKeys int
	for _, sc := range doc.Incremental.AccountRegions {
		reImages += sc.ReRead.Images
		reSnaps += sc.ReRead.Snapshots
		reKeys += sc.ReRead.Keys
	}
	if got := countCalls(calls, "DescribeImageAttribute"); got != reImages {
		t.Errorf("DescribeImageAttribute calls %d, record says %d images read again", got, reImages)
	}
	if got := countCalls(calls, "DescribeSnapshotAttribute"); got != reSnaps {
		t.Errorf("DescribeSnapshotAttribute calls %d, record says %d snapshots read again", got, reSnaps)
	}
	if got := countCalls(calls, "GetKeyPolicy"); got != reKeys {
		t.Errorf("GetKeyPolicy calls %d, record says %d keys read again", got, reKeys)
	}
	if got, want := countCalls(calls, "LookupEvents"), 6*len(collector.EventNames()); got != want {
		t.Errorf("LookupEvents calls %d, want %d (one per event name in each of the 6 account-regions)", got, want)
	}
	attr := func(cs []proxy.Call) int {
		return countCalls(cs, "DescribeImageAttribute") + countCalls(cs, "DescribeSnapshotAttribute") + countCalls(cs, "GetKeyPolicy") + countCalls(cs, "ListGrants")
	}
	t.Logf("per-resource reads: incremental %d, full %d; calls in all: incremental %d, full %d", attr(calls), attr(fullCalls), len(calls), len(fullCalls))
	if attr(calls) >= attr(fullCalls) {
		t.Errorf("the incremental scan made %d per-resource reads, the full one %d", attr(calls), attr(fullCalls))
	}

	// --full, and a baseline too old, read everything, and say why.
	for _, tc := range []struct {
		args   []string
		reason string
	}{
		{[]string{"--full"}, "--full"},
		{[]string{"--max-baseline-age", "1ns"}, "more than --max-baseline-age"},
	} {
		out := filepath.Join(dir, "again.json")
		code, _, stderr, calls := amiRun(t, env, collectArgs(env, out, append([]string{"--baseline", full}, tc.args...)...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s", tc.args, code, stderr)
		}
		for _, sc := range readDoc(t, out).Incremental.AccountRegions {
			if sc.Mode != snapshot.ModeFull || !strings.Contains(sc.FullReason, tc.reason) {
				t.Errorf("%v: %+v, want a full read because %s", tc.args, sc, tc.reason)
			}
		}
		if countCalls(calls, "LookupEvents") != 0 {
			t.Errorf("%v: LookupEvents was called although nothing is read incrementally", tc.args)
		}
	}
}

// Events that cannot be read (the scanning role lacks
// cloudtrail:LookupEvents in one account-region) give a full read of that
// account-region, recorded, and the same findings.
func TestIncrementalFallbacks(t *testing.T) {
	env := scenario.Run(t, "../scenarios/example-org.yaml")
	dir, base := collectBaseline(t, env)
	factory := env.Seeded.Accounts["acme-image-factory"]
	// The scenario's own faults stay (SetFaults replaces the list).
	faults := env.Seeded.ProxyConfig(env.Moto.URL()).Faults
	if err := env.Proxy.SetFaults(append(faults, proxy.Fault{Account: factory, Region: "eu-west-1", Action: "cloudtrail:LookupEvents", Code: "AccessDeniedException"})); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = env.Proxy.SetFaults(faults) }()
	inc := filepath.Join(dir, "inc.json")
	if code, _, stderr, _ := amiRun(t, env, collectArgs(env, inc, "--baseline", base)...); code != 0 {
		t.Fatalf("incremental collect: exit %d\n%s", code, stderr)
	}
	for _, sc := range readDoc(t, inc).Incremental.AccountRegions {
		denied := sc.Account == factory && sc.Region == "eu-west-1"
		if denied && (sc.Mode != snapshot.ModeFull || !strings.Contains(sc.FullReason, "CloudTrail events could not be read")) {
			t.Errorf("%+v, want a full read because its events are unreadable", sc)
		}
	}
	if a, b := findingsOf(t, env, inc), findingsOf(t, env, base); a != b {
		t.Errorf("findings differ from the baseline's on an unchanged organization:\n%s\n%s", a, b)
	}
	// A baseline of another scope: the account-regions it lacks are read in full.
	one := filepath.Join(dir, "one-region.json")
	if code, _, stderr, _ := amiRun(t, env, "collect", "--org", "--role", accessRole, "--regions", "us-east-1", "--output", one); code != 0 {
		t.Fatalf("collect: exit %d\n%s", code, stderr)
	}
	wider := filepath.Join(dir, "wider.json")
	if code, _, stderr, _ := amiRun(t, env, collectArgs(env, wider, "--baseline", one)...); code != 0 {
		t.Fatalf("collect: exit %d\n%s", code, stderr)
	}
	for _, sc := range readDoc(t, wider).Incremental.AccountRegions {
		if sc.Region == "eu-west-1" && !strings.Contains(sc.FullReason, "not in the baseline") {
			t.Errorf("%+v, want a full read: not in the baseline", sc)
		}
	}
}

// scan's one --baseline serves both: the HTML report marks against it and
// the collection starts from it.
func TestScanBaselineForReportAndCollection(t *testing.T) {
	env := scenario.Run(t, "../scenarios/example-org.yaml")
	dir, base := collectBaseline(t, env)
	page, snap := filepath.Join(dir, "night.html"), filepath.Join(dir, "night.json")
	code, _, stderr, calls := amiRun(t, env, "scan", "--org", "--role", accessRole, regionsFlag(env), "--fail-on", "none",
		"--baseline", base, "--output", page, "--snapshot-out", snap)
	if code != 0 {
		t.Fatalf("scan: exit %d\n%s", code, stderr)
	}
	if inc := readDoc(t, snap).Incremental; inc == nil || len(inc.AccountRegions) != 6 {
		t.Errorf("the scan's snapshot has no incremental record: %+v", inc)
	}
	if countCalls(calls, "LookupEvents") == 0 {
		t.Error("no CloudTrail lookup: the collection did not start from the baseline")
	}
	html, err := os.ReadFile(page)
	if err != nil || !bytes.Contains(html, []byte(filepath.Base(base))) {
		t.Errorf("the HTML report does not name its baseline %s (%v)", base, err)
	}
}
