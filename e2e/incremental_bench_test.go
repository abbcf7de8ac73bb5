package e2e

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/amiaudit/amiaudit/internal/cli"
	"github.com/amiaudit/amiaudit/testbed/awslocal"
	"github.com/amiaudit/amiaudit/testbed/moto"
	"github.com/amiaudit/amiaudit/testbed/proxy"
)

// BenchmarkIncrementalNight collects one account-region of 5,000 AMIs and
// 15,000 snapshots in full, behind the proxy's token bucket at AWS's default
// EC2 rate (20 calls/s, burst 100) with amiaudit paced to match; then 1% of
// it changes (50 launch permissions, 150 createVolumePermissions, made
// through the proxy so CloudTrail records them) and it is collected
// incrementally from the first document. It reports both runs' API calls and
// wall times and their ratios. (BENCH_IMAGES overrides 5,000 for a quick run.)
func BenchmarkIncrementalNight(b *testing.B) {
	images := 5000
	if v, err := strconv.Atoi(os.Getenv("BENCH_IMAGES")); err == nil && v > 0 {
		images = v
	}
	srv := moto.Start(b)
	seedBulk(b, srv.URL(), images)
	p, err := proxy.Start(proxy.Config{Upstream: srv.URL(), Throttle: &proxy.Throttle{RatePerSecond: 20, Burst: 100}})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	setDefaultAccountEnv(b, p.URL())
	dir := b.TempDir()
	collect := func(out string, extra ...string) (time.Duration, []proxy.Call) {
		before := len(p.Calls())
		var stdout, stderr bytes.Buffer
		start := time.Now()
		args := append([]string{"collect", "--regions", "us-east-1", "--api-rate", "20", "--api-burst", "100", "--output", out}, extra...)
		if code := cli.Run(args, strings.NewReader(""), &stdout, &stderr); code != 0 {
			b.Fatalf("collect exit %d: %s", code, stderr.String())
		}
		return time.Since(start), p.Calls()[before:]
	}
	for b.Loop() {
		base := filepath.Join(dir, "base.json")
		fullWall, fullCalls := collect(base)

		// 1% changes, through the proxy.
		cfg, err := awslocal.Config(p.URL(), "us-east-1")
		if err != nil {
			b.Fatal(err)
		}
		c := ec2.NewFromConfig(cfg)
		ctx := context.Background()
		imgs, err := c.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"self"}})
		if err != nil {
			b.Fatal(err)
		}
		for i, img := range imgs.Images[:images/100] {
			if _, err := c.ModifyImageAttribute(ctx, &ec2.ModifyImageAttributeInput{ImageId: img.ImageId,
				LaunchPermission: &ec2types.LaunchPermissionModifications{Add: []ec2types.LaunchPermission{{UserId: aws.String("999988887777")}}}}); err != nil {
				b.Fatal(err)
			}
			for _, m := range img.BlockDeviceMappings {
				if m.Ebs == nil {
					continue
				}
				if _, err := c.ModifySnapshotAttribute(ctx, &ec2.ModifySnapshotAttributeInput{SnapshotId: m.Ebs.SnapshotId,
					Attribute: ec2types.SnapshotAttributeNameCreateVolumePermission, OperationType: ec2types.OperationTypeAdd, UserIds: []string{"999988887777"}}); err != nil {
					b.Fatal(err)
				}
			}
			_ = i
		}

		incWall, incCalls := collect(filepath.Join(dir, "inc.json"), "--baseline", base)
		b.ReportMetric(float64(len(fullCalls)), "full-calls")
		b.ReportMetric(float64(len(incCalls)), "incremental-calls")
		b.ReportMetric(float64(len(incCalls))/float64(len(fullCalls)), "calls-ratio")
		b.ReportMetric(fullWall.Seconds(), "full-s")
		b.ReportMetric(incWall.Seconds(), "incremental-s")
		b.ReportMetric(incWall.Seconds()/fullWall.Seconds(), "wall-ratio")
	}
}
