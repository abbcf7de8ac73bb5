package proxy

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// Throttle meters read calls (Describe*, Get*, List*) the way AWS documents
// EC2 API request throttling: a token bucket that starts full with Burst
// tokens, refills at RatePerSecond up to Burst, and spends one token per call;
// a call that finds it empty is refused with the service's throttling error
// and spends nothing. There is one bucket per account, region and service,
// as AWS keeps the quotas of each service apart.
type Throttle struct {
	RatePerSecond float64
	Burst         int
	// Now is the bucket's clock; nil means time.Now. Tests inject a fake one.
	Now func() time.Time
}

func (t Throttle) validate() error {
	if t.RatePerSecond <= 0 || math.IsInf(t.RatePerSecond, 0) || math.IsNaN(t.RatePerSecond) {
		return fmt.Errorf("proxy throttle: RatePerSecond %v must be a positive number", t.RatePerSecond)
	}
	if t.Burst < 1 {
		return fmt.Errorf("proxy throttle: Burst %d must be at least 1", t.Burst)
	}
	return nil
}

// MinimumDuration is the least wall time in which one bucket lets the given
// number of read calls through: max(0, (calls-Burst)/RatePerSecond), since
// the bucket starts full and each call past the burst waits for a token.
// Efficiency benchmarks compare a collector's elapsed time with it, per
// account-region-service bucket.
func (t Throttle) MinimumDuration(calls int) time.Duration {
	extra := calls - t.Burst
	if extra <= 0 {
		return 0
	}
	if t.RatePerSecond <= 0 {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(float64(extra) / t.RatePerSecond * float64(time.Second))
}

type bucketKey struct{ account, region, service string }

type bucket struct {
	tokens float64
	last   time.Time
}

// limiter holds the token buckets, created full on first use.
type limiter struct {
	rate, burst float64
	now         func() time.Time

	mu      sync.Mutex
	buckets map[bucketKey]*bucket
}

func newLimiter(t Throttle, now func() time.Time) *limiter {
	return &limiter{
		rate:    t.RatePerSecond,
		burst:   float64(t.Burst),
		now:     now,
		buckets: map[bucketKey]*bucket{},
	}
}

// allow spends a token of k's bucket if it has one.
func (l *limiter) allow(k bucketKey) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.buckets[k]
	if b == nil {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[k] = b
	}
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = math.Min(l.burst, b.tokens+elapsed*l.rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
