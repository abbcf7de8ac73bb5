package gcpolicy

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// settings reads GOGC and the memory limit without changing them.
func settings() (int, int64) {
	gc := debug.SetGCPercent(-1)
	debug.SetGCPercent(gc)
	return gc, debug.SetMemoryLimit(-1)
}

func TestEnvironmentTurnsThePolicyOff(t *testing.T) {
	t.Setenv("GOGC", "80")
	if p := Apply(); p != nil {
		p.Stop()
		t.Fatal("GOGC is set, yet the policy was applied")
	}
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "1GiB")
	if p := Apply(); p != nil {
		p.Stop()
		t.Fatal("GOMEMLIMIT is set, yet the policy was applied")
	}
}

func TestSmallHeapKeepsTheLimit(t *testing.T) {
	gc0, limit0 := settings()
	p := apply(1 << 30)
	for range 3 {
		runtime.GC()
	}
	time.Sleep(50 * time.Millisecond) // cleanups run on their own goroutine
	if gc, limit := settings(); gc != fastPercent || limit != 1<<30 || p.Lean() {
		t.Errorf("with a small live heap: GOGC=%d limit=%d lean=%v, want GOGC=%d limit=%d", gc, limit, p.Lean(), fastPercent, 1<<30)
	}
	p.Stop()
	if gc, limit := settings(); gc != gc0 || limit != limit0 {
		t.Errorf("Stop left GOGC=%d limit=%d, want %d and %d", gc, limit, gc0, limit0)
	}
}

var keep [][]byte

func TestLargeLiveHeapTurnsLean(t *testing.T) {
	gc0, limit0 := settings()
	// 48 MiB live against a 64 MiB limit: past 64/1.5 ≈ 42.7 MiB.
	p := apply(64 << 20)
	defer p.Stop()
	for range 48 {
		keep = append(keep, make([]byte, 1<<20))
	}
	defer func() { keep = nil }()
	deadline := time.Now().Add(5 * time.Second)
	for !p.Lean() && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if !p.Lean() {
		t.Fatalf("the live heap (%d bytes) is past the threshold (%d), yet the policy did not turn lean", liveHeap(), p.threshold)
	}
	if gc, limit := settings(); gc != leanPercent || limit != math.MaxInt64 {
		t.Errorf("lean: GOGC=%d limit=%d, want GOGC=%d and no limit", gc, limit, leanPercent)
	}
	p.Stop()
	if gc, limit := settings(); gc != gc0 || limit != limit0 {
		t.Errorf("Stop left GOGC=%d limit=%d, want %d and %d", gc, limit, gc0, limit0)
	}
}
