package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"golang.org/x/sync/errgroup"

	"github.com/amiaudit/amiaudit/internal/cli"
	"github.com/amiaudit/amiaudit/testbed/awslocal"
	"github.com/amiaudit/amiaudit/testbed/moto"
	"github.com/amiaudit/amiaudit/testbed/proxy"
	"github.com/amiaudit/amiaudit/testbed/scenario"
)

// seedBulk makes images AMIs with three snapshots each in moto's default
// account, in us-east-1: one instance with three volumes, imaged again and
// again (moto's CreateImage, as patched, snapshots every attached volume).
func seedBulk(tb testing.TB, endpoint string, images int) {
	tb.Helper()
	ctx := context.Background()
	cfg, err := awslocal.Config(endpoint, "us-east-1")
	if err != nil {
		tb.Fatal(err)
	}
	c := ec2.NewFromConfig(cfg)
	run, err := c.RunInstances(ctx, &ec2.RunInstancesInput{
		ImageId: aws.String("ami-12345678"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		BlockDeviceMappings: []ec2types.BlockDeviceMapping{
			{DeviceName: aws.String("/dev/xvda"), Ebs: &ec2types.EbsBlockDevice{VolumeSize: aws.Int32(8)}},
			{DeviceName: aws.String("/dev/xvdb"), Ebs: &ec2types.EbsBlockDevice{VolumeSize: aws.Int32(4)}},
			{DeviceName: aws.String("/dev/xvdc"), Ebs: &ec2types.EbsBlockDevice{VolumeSize: aws.Int32(2)}},
		},
	})
	if err != nil {
		tb.Fatalf("seed: %v", err)
	}
	instance := run.Instances[0].InstanceId
	var g errgroup.Group
	g.SetLimit(4)
	for i := 0; i < images; i++ {
		g.Go(func() error {
			_, err := c.CreateImage(ctx, &ec2.CreateImageInput{InstanceId: instance, Name: aws.String(fmt.Sprintf("bulk-%05d", i))})
			return err
		})
	}
	if err := g.Wait(); err != nil {
		tb.Fatalf("seed: %v", err)
	}
}

// setDefaultAccountEnv points amiaudit at endpoint with moto's static test
// credentials (its default account), and nowhere else.
func setDefaultAccountEnv(tb testing.TB, endpoint string) {
	tb.Helper()
	creds := aws.Credentials{AccessKeyID: awslocal.AccessKeyID, SecretAccessKey: awslocal.SecretAccessKey}
	for _, kv := range append(scenario.Environ(creds, endpoint, "us-east-1"), "CI=true") {
		k, v, _ := strings.Cut(kv, "=")
		tb.Setenv(k, v)
	}
}

type throttleRun struct {
	images, snapshots int
	calls             []proxy.Call
	wall, minimum     time.Duration
}

// scanThrottled scans one account-region behind a proxy whose token bucket
// allows rate calls per second with the given burst, with amiaudit's own
// limiter set to the same figures.
func scanThrottled(tb testing.TB, upstream string, rate float64, burst int) throttleRun {
	tb.Helper()
	throttle := &proxy.Throttle{RatePerSecond: rate, Burst: burst}
	p, err := proxy.Start(proxy.Config{Upstream: upstream, Throttle: throttle})
	if err != nil {
		tb.Fatal(err)
	}
	defer p.Close()
	setDefaultAccountEnv(tb, p.URL())
	var out, errOut bytes.Buffer
	start := time.Now()
	code := cli.Run([]string{"scan", "--regions", "us-east-1", "--format", "json", "--fail-on", "none",
		"--api-rate", strconv.FormatFloat(rate, 'f', -1, 64), "--api-burst", strconv.Itoa(burst)}, strings.NewReader(""), &out, &errOut)
	wall := time.Since(start)
	if code != 0 {
		tb.Fatalf("scan exit %d: %s", code, errOut.String())
	}
	var r report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		tb.Fatal(err)
	}
	for _, f := range r.Findings {
		if f.RuleID == "SCAN-001" {
			tb.Errorf("scope not read: %s", f.Message)
		}
	}
	run := throttleRun{calls: p.Calls(), wall: wall}
	ec2Reads := 0
	for _, c := range run.calls {
		if c.Service == "ec2" {
			ec2Reads++
		}
		if c.Status != 200 {
			continue
		}
		switch c.Action {
		case "DescribeImageAttribute":
			run.images++
		case "DescribeSnapshotAttribute":
			run.snapshots++
		}
	}
	run.minimum = throttle.MinimumDuration(ec2Reads)
	return run
}

// TestScanUnderThrottling: behind a token bucket, a scan finishes with zero
// failed or throttled calls and reads everything.
func TestScanUnderThrottling(t *testing.T) {
	srv := moto.Start(t)
	seedBulk(t, srv.URL(), 100)
	run := scanThrottled(t, srv.URL(), 100, 20)
	if run.images != 100 || run.snapshots != 300 {
		t.Errorf("read %d images and %d snapshots, want 100 and 300", run.images, run.snapshots)
	}
	for _, c := range run.calls {
		// DescribeOrganization answers AWSOrganizationsNotInUseException: the
		// account is in no organization.
		if c.Throttled || (c.Status >= 400 && c.Service != "organizations") {
			t.Errorf("call failed: %+v", c)
		}
	}
	t.Logf("%d calls in %v (token bucket minimum %v)", len(run.calls), run.wall, run.minimum)
}

// BenchmarkScanThrottled scans one account-region with 2,000 AMIs and 6,000
// snapshots behind a token bucket of 200 calls/s (burst 100) and reports the
// wall time against the minimum the bucket allows, and API calls per resource.
func BenchmarkScanThrottled(b *testing.B) {
	srv := moto.Start(b)
	seedBulk(b, srv.URL(), 2000)
	b.ResetTimer()
	var run throttleRun
	for b.Loop() {
		run = scanThrottled(b, srv.URL(), 200, 100)
	}
	failed := 0
	for _, c := range run.calls {
		if c.Throttled || (c.Status >= 400 && c.Service != "organizations") {
			failed++
		}
	}
	b.ReportMetric(run.wall.Seconds(), "wall-s")
	b.ReportMetric(run.minimum.Seconds(), "bucket-min-s")
	b.ReportMetric(run.minimum.Seconds()/run.wall.Seconds(), "efficiency")
	b.ReportMetric(float64(len(run.calls))/float64(run.images+run.snapshots), "calls/resource")
	b.ReportMetric(float64(failed), "failed-calls")
	b.ReportMetric(float64(run.images), "images")
	b.ReportMetric(float64(run.snapshots), "snapshots")
}
