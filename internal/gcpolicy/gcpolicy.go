// Package gcpolicy sets how amiaudit's garbage collector trades memory for
// CPU. Evaluating a large organization allocates heavily: at Go's default
// (GOGC=100) the heap of 100,000 AMIs peaks above 2 GiB, and at GOGC=50 it
// stays under but the collector takes about a fifth of the CPU.
//
// The policy: collect at GOGC=200 under a soft memory limit (Limit). A small
// run's heap stays small (three times its live data); a large one's is held
// to the limit, and the collector runs only as often as the limit requires.
// Once the live heap is so large that GOGC=50 would reach the limit anyway
// (more than Limit/1.5), the limit is dropped and GOGC=50 governs, so that a
// larger organization is never held against the limit, where the collector
// would run without pause. Between the two the change is smooth: at that
// live heap, the limit makes the collector run as often as GOGC=50 would. See
// https://go.dev/doc/gc-guide#Memory_limit.
//
// GOGC or GOMEMLIMIT in the environment turn the policy off: the runtime then
// does what they say.
package gcpolicy

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

const (
	// Limit is the soft memory limit while the live heap fits under it.
	Limit = 1750 << 20
	// fastPercent is GOGC while the limit bounds the heap.
	fastPercent = 200
	// leanPercent is GOGC once the live heap outgrows the limit.
	leanPercent = 50
)

// Policy is an applied policy.
type Policy struct {
	threshold uint64
	prevGC    int
	prevLimit int64

	// mu orders Stop against the switch to lean, which runs on the cleanup
	// goroutine: once Stop has restored the settings, nothing changes them.
	mu      sync.Mutex
	lean    bool
	stopped bool
}

// Apply applies the policy, unless GOGC or GOMEMLIMIT is set, in which case
// it returns nil. Stop restores the previous settings.
func Apply() *Policy {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return nil
	}
	return apply(Limit)
}

func apply(limit int64) *Policy {
	p := &Policy{threshold: uint64(float64(limit) / (1 + leanPercent/100.0))}
	p.prevGC = debug.SetGCPercent(fastPercent)
	p.prevLimit = debug.SetMemoryLimit(limit)
	p.arm()
	return p
}

// Lean says whether the live heap outgrew the limit and GOGC=50 governs.
func (p *Policy) Lean() bool {
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lean
}

// Stop restores the settings Apply found. Nil-safe.
func (p *Policy) Stop() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return
	}
	p.stopped = true
	debug.SetGCPercent(p.prevGC)
	debug.SetMemoryLimit(p.prevLimit)
}

// sentinel is garbage at birth: its cleanup runs after the next collection,
// which is when the live heap is known.
type sentinel struct{ _ [64]byte }

// arm checks the live heap after the next collection, and again after each
// one until the policy turns lean or stops.
func (p *Policy) arm() {
	s := new(sentinel)
	runtime.AddCleanup(s, func(p *Policy) {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.stopped {
			return
		}
		if liveHeap() > p.threshold {
			p.lean = true
			debug.SetGCPercent(leanPercent)
			debug.SetMemoryLimit(math.MaxInt64)
			return
		}
		p.arm()
	}, p)
}

// liveHeap is the heap the last collection marked live.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
