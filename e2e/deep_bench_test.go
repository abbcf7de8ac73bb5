package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ebs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/amiaudit/amiaudit/deepscan"
	"github.com/amiaudit/amiaudit/testbed/awslocal"
	"github.com/amiaudit/amiaudit/testbed/diskimage"
	"github.com/amiaudit/amiaudit/testbed/moto"
)

// BenchmarkDeepScan deep-scans, through the real SDK, a 2 GiB GPT disk whose
// ext4 filesystem holds AMIAUDIT_BENCH_DEEP_MIB MiB (default 500) of files in
// /usr-like trees plus the planted credentials, uploaded into moto through the
// EBS direct APIs (all-zero blocks skipped), registered and shared. The point
// is the fetched/allocated ratio: a targeted walk must read a few percent of
// what the snapshot holds, not copy the volume. AMIAUDIT_BENCH_DEEP_BLOCK sets
// the filesystem's block size (default 4096; 1024 is mkfs's default below
// 512 MiB, with more metadata blocks and longer extent trees per file).
func BenchmarkDeepScan(b *testing.B) {
	mib, blockSize := 500, 4096
	for name, p := range map[string]*int{"AMIAUDIT_BENCH_DEEP_MIB": &mib, "AMIAUDIT_BENCH_DEEP_BLOCK": &blockSize} {
		if v := os.Getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				b.Fatalf("%s: %v", name, err)
			}
			*p = n
		}
	}
	ctx := context.Background()
	srv := moto.Shared(b)
	base, err := awslocal.Config(srv.URL(), "us-east-1")
	if err != nil {
		b.Fatal(err)
	}
	account := fmt.Sprintf("%012d", rand.Int64N(9e11)+1e11)
	cfg, err := awslocal.AssumeAccount(ctx, base, account)
	if err != nil {
		b.Fatal(err)
	}
	ec2c, ebsc := ec2.NewFromConfig(cfg), ebs.NewFromConfig(cfg)

	files := benchTree(int64(mib) << 20)
	start := time.Now()
	path, err := diskimage.Build(b.TempDir(), diskimage.Spec{FS: diskimage.Ext4, Table: diskimage.GPT, SizeMiB: 2048, BlockSize: blockSize, Files: files})
	if err != nil {
		b.Fatal(err)
	}
	built := time.Since(start)
	start = time.Now()
	snap, written, err := diskimage.Upload(ctx, ebsc, path, "bench")
	if err != nil {
		b.Fatal(err)
	}
	uploaded := time.Since(start)
	ami, err := diskimage.Register(ctx, ec2c, "bench", snap)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := ec2c.ModifyImageAttribute(ctx, &ec2.ModifyImageAttributeInput{
		ImageId: aws.String(ami),
		LaunchPermission: &ec2types.LaunchPermissionModifications{
			Add: []ec2types.LaunchPermission{{UserId: aws.String("999988887777")}},
		},
	}); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d MiB of files in %d files, %d-byte filesystem blocks; image built in %v; %d blocks (%d MiB) uploaded in %v",
		mib, len(files), blockSize, built.Round(time.Second), written, written*diskimage.BlockSize>>20, uploaded.Round(time.Second))

	var res deepscan.Result
	b.ResetTimer()
	for b.Loop() {
		start = time.Now()
		res, err = deepscan.ScanSnapshots(ctx, ebsc, []string{snap}, deepscan.Options{})
		if err != nil {
			b.Fatal(err)
		}
	}
	wall := time.Since(start)
	b.StopTimer()
	if len(res.Findings) == 0 {
		b.Fatal("no finding: the planted credentials were not read")
	}
	b.ReportMetric(float64(res.AllocatedBytes)/(1<<20), "allocated-MiB")
	b.ReportMetric(float64(res.BytesRead)/(1<<20), "fetched-MiB")
	b.ReportMetric(100*float64(res.BytesRead)/float64(res.AllocatedBytes), "fetched/allocated-%")
	b.ReportMetric(float64(res.BlocksFetched), "blocks-fetched")
	b.ReportMetric(wall.Seconds(), "wall-s")
	b.ReportMetric(float64(len(res.Findings)), "findings")
}

// benchTree is a root filesystem of total bytes: packages under /usr and
// /opt with files from 1 KiB to 9 MiB (most small, as on a real image), and the
// planted credentials. The content is pseudo-random from a fixed seed, so
// runs compare and no block is all zeros (those are never uploaded).
func benchTree(total int64) map[string][]byte {
	rng := rand.New(rand.NewChaCha8([32]byte{'a', 'm', 'i', 'a', 'u', 'd', 'i', 't'}))
	files := diskimage.Planted()
	dirs := []string{"/usr/lib", "/usr/share", "/usr/bin", "/usr/lib/python3/dist-packages", "/opt/vendor"}
	var n int64
	for i := 0; n < total; i++ {
		// Mostly small files (1 to 128 KiB), one in fifty of 1 to 8 MiB:
		// thousands of files, most of the bytes in a few large ones.
		size := int64(1024)<<rng.IntN(8) + rng.Int64N(1024)
		if rng.IntN(50) == 0 {
			size = int64(1<<20)<<rng.IntN(4) + rng.Int64N(1<<20)
		}
		size = min(size, total-n)
		data := make([]byte, size)
		for j := 0; j+8 <= len(data); j += 8 {
			v := rng.Uint64()
			for k := range 8 {
				data[j+k] = byte(v >> (8 * k))
			}
		}
		files[fmt.Sprintf("%s/pkg%03d/file%05d.bin", dirs[i%len(dirs)], i/200, i)] = data
		n += size
	}
	return files
}
