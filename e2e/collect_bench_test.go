package e2e

import (
	"bytes"
	"context"
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
)

// seedAccountRegions gives each account-region images AMIs of three
// snapshots, as in seedBulk, acting as each account through AssumeRole.
func seedAccountRegions(tb testing.TB, endpoint string, accounts, regions []string, images int) {
	tb.Helper()
	ctx := context.Background()
	base, err := awslocal.Config(endpoint, "us-east-1")
	if err != nil {
		tb.Fatal(err)
	}
	var g errgroup.Group
	g.SetLimit(4)
	for _, account := range accounts {
		cfg, err := awslocal.AssumeAccount(ctx, base, account)
		if err != nil {
			tb.Fatal(err)
		}
		for _, region := range regions {
			g.Go(func() error {
				c := ec2.NewFromConfig(awslocal.InRegion(cfg, region))
				run, err := c.RunInstances(ctx, &ec2.RunInstancesInput{
					ImageId: aws.String("ami-12345678"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
					BlockDeviceMappings: []ec2types.BlockDeviceMapping{
						{DeviceName: aws.String("/dev/xvda"), Ebs: &ec2types.EbsBlockDevice{VolumeSize: aws.Int32(8)}},
						{DeviceName: aws.String("/dev/xvdb"), Ebs: &ec2types.EbsBlockDevice{VolumeSize: aws.Int32(4)}},
						{DeviceName: aws.String("/dev/xvdc"), Ebs: &ec2types.EbsBlockDevice{VolumeSize: aws.Int32(2)}},
					},
				})
				if err != nil {
					return fmt.Errorf("%s/%s: %w", account, region, err)
				}
				for i := 0; i < images; i++ {
					if _, err := c.CreateImage(ctx, &ec2.CreateImageInput{InstanceId: run.Instances[0].InstanceId, Name: aws.String(fmt.Sprintf("img-%d", i))}); err != nil {
						return err
					}
				}
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		tb.Fatalf("seed: %v", err)
	}
}

// BenchmarkCollect50AccountRegions collects 10 accounts × 5 regions behind a
// token bucket of 2 calls/s (burst 8) per account-region, and reports the
// wall time against the minimum the buckets allow (the busiest bucket's
// (calls - burst) / rate), failed calls and API calls per resource.
//
// The rate is far below AWS's 20/s because here one moto process on two cores
// serves all 50 account-regions (about 240 calls/s in all, measured with no
// throttling), where AWS serves each on its own: at 2/s the buckets, not moto,
// bound the run, which is what the efficiency measures.
func BenchmarkCollect50AccountRegions(b *testing.B) {
	const rate, burst = 2.0, 8
	var accounts []string
	for i := 0; i < 10; i++ {
		accounts = append(accounts, fmt.Sprintf("3%011d", i+1))
	}
	regions := []string{"us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"}
	srv := moto.Start(b)
	seedAccountRegions(b, srv.URL(), accounts, regions, 8)
	throttle := &proxy.Throttle{RatePerSecond: rate, Burst: burst}
	var wall time.Duration
	var calls []proxy.Call
	b.ResetTimer()
	for b.Loop() {
		p, err := proxy.Start(proxy.Config{Upstream: srv.URL(), Throttle: throttle})
		if err != nil {
			b.Fatal(err)
		}
		setDefaultAccountEnv(b, p.URL())
		var out, errOut bytes.Buffer
		start := time.Now()
		code := cli.Run([]string{"collect", "--output", b.TempDir() + "/snapshot.json.gz", "--accounts", strings.Join(accounts, ","),
			"--regions", strings.Join(regions, ","), "--role", awslocal.AccessRole, "--concurrency", "50",
			"--api-rate", strconv.FormatFloat(rate, 'f', -1, 64), "--api-burst", strconv.Itoa(burst)}, strings.NewReader(""), &out, &errOut)
		wall = time.Since(start)
		if code != 0 {
			b.Fatalf("collect exit %d: %s", code, errOut.String())
		}
		calls = p.Calls()
		_ = p.Close()
	}
	perBucket := map[string]int{}
	failed, resources := 0, 0
	for _, c := range calls {
		if c.Service == "ec2" || c.Service == "kms" {
			perBucket[c.Account+"/"+c.Region+"/"+c.Service]++
		}
		if c.Throttled || (c.Status >= 400 && c.Service != "organizations") {
			failed++
		}
		if c.Status == 200 && (c.Action == "DescribeImageAttribute" || c.Action == "DescribeSnapshotAttribute") {
			resources++
		}
	}
	busiest := 0
	for _, n := range perBucket {
		busiest = max(busiest, n)
	}
	minimum := throttle.MinimumDuration(busiest)
	b.ReportMetric(wall.Seconds(), "wall-s")
	b.ReportMetric(minimum.Seconds(), "bucket-min-s")
	b.ReportMetric(minimum.Seconds()/wall.Seconds(), "efficiency")
	b.ReportMetric(float64(failed), "failed-calls")
	b.ReportMetric(float64(len(calls))/float64(resources), "calls/resource")
	b.ReportMetric(float64(len(perBucket)), "account-regions")
}
