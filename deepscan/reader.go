package deepscan

import (
	"bytes"
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ebs"
	ebstypes "github.com/aws/aws-sdk-go-v2/service/ebs/types"
	"golang.org/x/sync/errgroup"
)

// BlockAPI is the part of the EBS direct APIs the reader calls; *ebs.Client
// implements it.
type BlockAPI interface {
	ListSnapshotBlocks(ctx context.Context, in *ebs.ListSnapshotBlocksInput, optFns ...func(*ebs.Options)) (*ebs.ListSnapshotBlocksOutput, error)
	GetSnapshotBlock(ctx context.Context, in *ebs.GetSnapshotBlockInput, optFns ...func(*ebs.Options)) (*ebs.GetSnapshotBlockOutput, error)
}

// ErrBudget is returned by reads that would fetch more bytes than the budget
// allows.
var ErrBudget = errors.New("deep scan byte budget exhausted")

// ErrChecksum is returned when a block's data does not match the checksum
// the EBS direct APIs sent with it.
var ErrChecksum = errors.New("snapshot block checksum mismatch")

// Budget caps the bytes fetched from the EBS direct APIs, across every
// snapshot of one scan. A zero or negative limit means no cap.
type Budget struct {
	limit int64
	used  atomic.Int64
}

// NewBudget returns a budget of limit bytes.
func NewBudget(limit int64) *Budget { return &Budget{limit: limit} }

// take reserves n bytes, or says the budget would be exceeded.
func (b *Budget) take(n int64) bool {
	if b == nil || b.limit <= 0 {
		return true
	}
	if b.used.Add(n) > b.limit {
		b.used.Add(-n)
		return false
	}
	return true
}

// Used is the number of bytes reserved so far.
func (b *Budget) Used() int64 {
	if b == nil {
		return 0
	}
	return b.used.Load()
}

// ReaderOptions tune a SnapshotReader.
type ReaderOptions struct {
	// Budget caps the bytes fetched; nil means no cap.
	Budget *Budget
	// Concurrency bounds the GetSnapshotBlock calls in flight (default 8).
	Concurrency int
	// CacheBlocks bounds the blocks kept in memory (default 64: 32 MiB with
	// AWS's 512 KiB blocks). Filesystem metadata is read again and again, file
	// data mostly once, so a small LRU covers both.
	CacheBlocks int
}

// SnapshotReader is an io.ReaderAt over an EBS snapshot: it lists the
// snapshot's blocks once and fetches only the blocks a read touches, each at
// most once while it stays cached. Blocks the snapshot does not hold read as
// zeros, as a volume restored from it would.
type SnapshotReader struct {
	ctx        context.Context
	api        BlockAPI
	snapshotID string
	blockSize  int64
	size       int64
	tokens     map[int32]string
	opts       ReaderOptions
	sem        chan struct{}

	mu       sync.Mutex
	cache    map[int32]*list.Element
	lru      *list.List
	inflight map[int32]*fetch

	bytesFetched  atomic.Int64
	blocksFetched atomic.Int64
}

type cached struct {
	index int32
	data  []byte
}

type fetch struct {
	done chan struct{}
	data []byte
	err  error
}

// OpenSnapshot lists the blocks of snapshotID. ctx bounds every later read
// too: io.ReaderAt has no context, and the filesystem parsers call it.
func OpenSnapshot(ctx context.Context, api BlockAPI, snapshotID string, opts ReaderOptions) (*SnapshotReader, error) {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 8
	}
	if opts.CacheBlocks <= 0 {
		opts.CacheBlocks = 64
	}
	r := &SnapshotReader{
		ctx: ctx, api: api, snapshotID: snapshotID, opts: opts,
		tokens:   map[int32]string{},
		sem:      make(chan struct{}, opts.Concurrency),
		cache:    map[int32]*list.Element{},
		lru:      list.New(),
		inflight: map[int32]*fetch{},
	}
	p := ebs.NewListSnapshotBlocksPaginator(api, &ebs.ListSnapshotBlocksInput{SnapshotId: aws.String(snapshotID)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list snapshot blocks of %s: %w", snapshotID, err)
		}
		if bs := int64(aws.ToInt32(out.BlockSize)); bs > 0 {
			r.blockSize = bs
		}
		if vs := aws.ToInt64(out.VolumeSize); vs > 0 {
			r.size = vs << 30
		}
		for _, b := range out.Blocks {
			r.tokens[aws.ToInt32(b.BlockIndex)] = aws.ToString(b.BlockToken)
		}
	}
	if r.blockSize <= 0 || r.size <= 0 {
		return nil, fmt.Errorf("list snapshot blocks of %s: no block size or volume size in the answer", snapshotID)
	}
	return r, nil
}

// Size is the volume size in bytes.
func (r *SnapshotReader) Size() int64 { return r.size }

// AllocatedBytes is the size of the blocks the snapshot holds.
func (r *SnapshotReader) AllocatedBytes() int64 { return int64(len(r.tokens)) * r.blockSize }

// BytesFetched and BlocksFetched count GetSnapshotBlock data received.
func (r *SnapshotReader) BytesFetched() int64  { return r.bytesFetched.Load() }
func (r *SnapshotReader) BlocksFetched() int64 { return r.blocksFetched.Load() }

// ReadAt reads len(p) bytes at off, fetching the blocks it spans
// concurrently.
func (r *SnapshotReader) ReadAt(p []byte, off int64) (int, error) {
	// A read after the deadline fails even when its blocks are cached, so
	// that a parser stuck in a loop over cached metadata still stops.
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, fmt.Errorf("read %s at %d: negative offset", r.snapshotID, off)
	}
	if off >= r.size {
		return 0, io.EOF
	}
	want := p
	var short error
	if rest := r.size - off; int64(len(p)) > rest {
		want, short = p[:rest], io.EOF
	}
	if len(want) == 0 {
		return 0, short
	}
	first := int32(off / r.blockSize)
	last := int32((off + int64(len(want)) - 1) / r.blockSize)
	blocks := make([][]byte, last-first+1)
	g, ctx := errgroup.WithContext(r.ctx)
	for i := first; i <= last; i++ {
		g.Go(func() error {
			b, err := r.block(ctx, i)
			blocks[i-first] = b
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return 0, err
	}
	n := 0
	for i, b := range blocks {
		blockStart := (int64(first) + int64(i)) * r.blockSize
		from := max(off, blockStart) - blockStart
		to := min(off+int64(len(want)), blockStart+r.blockSize) - blockStart
		if b == nil {
			clear(want[n : n+int(to-from)])
		} else {
			copy(want[n:], b[from:to])
		}
		n += int(to - from)
	}
	return n, short
}

// block returns the data of block i (nil for an unallocated block), from the
// cache, from a fetch already in flight, or from AWS.
func (r *SnapshotReader) block(ctx context.Context, i int32) ([]byte, error) {
	token, ok := r.tokens[i]
	if !ok {
		return nil, nil
	}
	r.mu.Lock()
	if e, ok := r.cache[i]; ok {
		r.lru.MoveToFront(e)
		r.mu.Unlock()
		return e.Value.(*cached).data, nil
	}
	if f, ok := r.inflight[i]; ok {
		r.mu.Unlock()
		select {
		case <-f.done:
			return f.data, f.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f := &fetch{done: make(chan struct{})}
	r.inflight[i] = f
	r.mu.Unlock()

	f.data, f.err = r.get(ctx, i, token)
	r.mu.Lock()
	delete(r.inflight, i)
	if f.err == nil {
		r.cache[i] = r.lru.PushFront(&cached{index: i, data: f.data})
		for r.lru.Len() > r.opts.CacheBlocks {
			old := r.lru.Remove(r.lru.Back()).(*cached)
			delete(r.cache, old.index)
		}
	}
	r.mu.Unlock()
	close(f.done)
	return f.data, f.err
}

// get calls GetSnapshotBlock and checks the data against its checksum.
func (r *SnapshotReader) get(ctx context.Context, i int32, token string) ([]byte, error) {
	if !r.opts.Budget.take(r.blockSize) {
		return nil, fmt.Errorf("read block %d of %s: %w", i, r.snapshotID, ErrBudget)
	}
	select {
	case r.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-r.sem }()
	out, err := r.api.GetSnapshotBlock(ctx, &ebs.GetSnapshotBlockInput{
		SnapshotId: aws.String(r.snapshotID), BlockIndex: aws.Int32(i), BlockToken: aws.String(token),
	})
	if err != nil {
		return nil, fmt.Errorf("get block %d of %s: %w", i, r.snapshotID, err)
	}
	defer out.BlockData.Close()
	var buf bytes.Buffer
	buf.Grow(int(r.blockSize))
	if _, err := io.Copy(&buf, io.LimitReader(out.BlockData, r.blockSize+1)); err != nil {
		return nil, fmt.Errorf("get block %d of %s: read: %w", i, r.snapshotID, err)
	}
	data := buf.Bytes()
	r.bytesFetched.Add(int64(len(data)))
	r.blocksFetched.Add(1)
	if err := verify(data, out, r.blockSize); err != nil {
		return nil, fmt.Errorf("get block %d of %s: %w", i, r.snapshotID, err)
	}
	return data, nil
}

// verify checks a block against the length and SHA-256 checksum AWS sent
// with it. A block without a checksum is refused: the reader would otherwise
// scan whatever a broken proxy or a truncated transfer left.
func verify(data []byte, out *ebs.GetSnapshotBlockOutput, blockSize int64) error {
	if int64(len(data)) != blockSize {
		return fmt.Errorf("%w: %d bytes, want %d", ErrChecksum, len(data), blockSize)
	}
	if n := out.DataLength; n != nil && int64(*n) != blockSize {
		return fmt.Errorf("%w: data length %d, want %d", ErrChecksum, *n, blockSize)
	}
	if out.ChecksumAlgorithm != ebstypes.ChecksumAlgorithmChecksumAlgorithmSha256 {
		return fmt.Errorf("%w: unsupported checksum algorithm %q", ErrChecksum, out.ChecksumAlgorithm)
	}
	sum := sha256.Sum256(data)
	if aws.ToString(out.Checksum) != base64.StdEncoding.EncodeToString(sum[:]) {
		return fmt.Errorf("%w: SHA-256 %s, header says %s", ErrChecksum, base64.StdEncoding.EncodeToString(sum[:]), aws.ToString(out.Checksum))
	}
	return nil
}
