package deepscan

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ebs"
	ebstypes "github.com/aws/aws-sdk-go-v2/service/ebs/types"
)

// fakeEBS serves an in-memory disk image as the EBS direct APIs would, with
// small blocks so that tests stay small. All-zero blocks are not listed, as
// AWS does not list blocks that were never written.
type fakeEBS struct {
	image     []byte
	blockSize int
	pageSize  int
	corrupt   map[int32]bool // blocks whose data does not match the checksum
	gets      atomic.Int64
}

func (f *fakeEBS) ListSnapshotBlocks(_ context.Context, in *ebs.ListSnapshotBlocksInput, _ ...func(*ebs.Options)) (*ebs.ListSnapshotBlocksOutput, error) {
	start := 0
	if in.NextToken != nil {
		start, _ = strconv.Atoi(*in.NextToken)
	}
	out := &ebs.ListSnapshotBlocksOutput{
		BlockSize: aws.Int32(int32(f.blockSize)),
		// VolumeSize is in GiB: the tests' images are one GiB "volumes" whose
		// tail was never written.
		VolumeSize: aws.Int64(1),
	}
	n := 0
	for i := start; i*f.blockSize < len(f.image); i++ {
		if f.pageSize > 0 && n == f.pageSize {
			out.NextToken = aws.String(strconv.Itoa(i))
			break
		}
		b := f.image[i*f.blockSize : (i+1)*f.blockSize]
		if bytes.Count(b, []byte{0}) == len(b) {
			continue
		}
		out.Blocks = append(out.Blocks, ebstypes.Block{BlockIndex: aws.Int32(int32(i)), BlockToken: aws.String(fmt.Sprint("t", i))})
		n++
	}
	return out, nil
}

func (f *fakeEBS) GetSnapshotBlock(_ context.Context, in *ebs.GetSnapshotBlockInput, _ ...func(*ebs.Options)) (*ebs.GetSnapshotBlockOutput, error) {
	f.gets.Add(1)
	i := int(aws.ToInt32(in.BlockIndex))
	if aws.ToString(in.BlockToken) != fmt.Sprint("t", i) {
		return nil, fmt.Errorf("bad token %q for block %d", aws.ToString(in.BlockToken), i)
	}
	data := append([]byte{}, f.image[i*f.blockSize:(i+1)*f.blockSize]...)
	sum := sha256.Sum256(data)
	if f.corrupt[int32(i)] {
		data[0] ^= 0xff
	}
	return &ebs.GetSnapshotBlockOutput{
		BlockData:         io.NopCloser(bytes.NewReader(data)),
		Checksum:          aws.String(base64.StdEncoding.EncodeToString(sum[:])),
		ChecksumAlgorithm: ebstypes.ChecksumAlgorithmChecksumAlgorithmSha256,
		DataLength:        aws.Int32(int32(len(data))),
	}, nil
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + 1)
	}
	return b
}

func TestSnapshotReaderReadsListedBlocksAndZeros(t *testing.T) {
	img := pattern(64 * 1024)
	clear(img[16*1024 : 32*1024]) // blocks 4..7 unallocated
	f := &fakeEBS{image: img, blockSize: 4096, pageSize: 3}
	r, err := OpenSnapshot(context.Background(), f, "snap-1", ReaderOptions{Concurrency: 2, CacheBlocks: 4})
	if err != nil {
		t.Fatal(err)
	}
	if r.Size() != 1<<30 || r.AllocatedBytes() != 12*4096 {
		t.Fatalf("size %d, allocated %d", r.Size(), r.AllocatedBytes())
	}
	for _, c := range []struct{ off, n int }{{0, 10}, {4000, 200}, {15 * 1024, 20 * 1024}, {60 * 1024, 4096}, {0, 64 * 1024}} {
		p := make([]byte, c.n)
		n, err := r.ReadAt(p, int64(c.off))
		if err != nil || n != c.n {
			t.Fatalf("ReadAt(%d, %d) = %d, %v", c.n, c.off, n, err)
		}
		if !bytes.Equal(p, img[c.off:c.off+c.n]) {
			t.Errorf("ReadAt(%d, %d): wrong data", c.n, c.off)
		}
	}
	// Past the image, the volume reads as zeros up to its size, then EOF.
	p := make([]byte, 8)
	if n, err := r.ReadAt(p, 1<<20); n != 8 || err != nil || !bytes.Equal(p, make([]byte, 8)) {
		t.Errorf("unwritten tail: %d, %v, %v", n, err, p)
	}
	if n, err := r.ReadAt(p, r.Size()-4); n != 4 || err != io.EOF {
		t.Errorf("read across the end: %d, %v", n, err)
	}
	if r.BlocksFetched() != f.gets.Load() || r.BytesFetched() != r.BlocksFetched()*4096 {
		t.Errorf("counted %d blocks, %d bytes; served %d", r.BlocksFetched(), r.BytesFetched(), f.gets.Load())
	}
}

func TestSnapshotReaderFetchesCachedBlockOnce(t *testing.T) {
	f := &fakeEBS{image: pattern(8 * 4096), blockSize: 4096}
	r, err := OpenSnapshot(context.Background(), f, "snap-1", ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := make([]byte, 100)
	for i := 0; i < 50; i++ {
		if _, err := r.ReadAt(p, int64(i*50)); err != nil {
			t.Fatal(err)
		}
	}
	if f.gets.Load() != 1 {
		t.Errorf("%d GetSnapshotBlock calls for one block", f.gets.Load())
	}
}

func TestSnapshotReaderChecksumMismatch(t *testing.T) {
	f := &fakeEBS{image: pattern(8 * 4096), blockSize: 4096, corrupt: map[int32]bool{2: true}}
	r, err := OpenSnapshot(context.Background(), f, "snap-1", ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadAt(make([]byte, 10), 4096); err != nil {
		t.Fatalf("intact block: %v", err)
	}
	if _, err := r.ReadAt(make([]byte, 10), 2*4096+5); !errors.Is(err, ErrChecksum) {
		t.Errorf("corrupt block: %v, want ErrChecksum", err)
	}
}

func TestSnapshotReaderBudget(t *testing.T) {
	f := &fakeEBS{image: pattern(8 * 4096), blockSize: 4096}
	r, err := OpenSnapshot(context.Background(), f, "snap-1", ReaderOptions{Budget: NewBudget(3 * 4096)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadAt(make([]byte, 3*4096), 0); err != nil {
		t.Fatalf("within budget: %v", err)
	}
	if _, err := r.ReadAt(make([]byte, 10), 3*4096); !errors.Is(err, ErrBudget) {
		t.Errorf("over budget: %v, want ErrBudget", err)
	}
	if f.gets.Load() != 3 {
		t.Errorf("%d blocks fetched, budget allows 3", f.gets.Load())
	}
}

func TestSnapshotReaderCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	f := &fakeEBS{image: pattern(8 * 4096), blockSize: 4096}
	r, err := OpenSnapshot(ctx, f, "snap-1", ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := r.ReadAt(make([]byte, 10), 0); !errors.Is(err, context.Canceled) {
		t.Errorf("after cancel: %v", err)
	}
}
