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
	// Services overrides RatePerSecond and Burst for the buckets of some
	// services, by SigV4 signing name: e.g. "cloudtrail", whose LookupEvents
	// AWS limits to 2 requests per second per account and Region
	// (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html).
	Services map[string]Rate
	// Now is the bucket's clock; nil means time.Now. Tests inject a fake one.
	Now func() time.Time
}

// Rate is one service's bucket: RatePerSecond tokens a second, up to Burst.
type Rate struct {
	RatePerSecond float64
	Burst         int
}

// For is the Throttle of one service's buckets (Services' entry, if any),
// for MinimumDuration.
func (t Throttle) For(service string) Throttle {
	if r, ok := t.Services[service]; ok {
		t.RatePerSecond, t.Burst = r.RatePerSecond, r.Burst
	}
	t.Services = nil
	return t
}

func (t Throttle) validate() error {
	for service, r := range t.Services {
		if err := (Throttle{RatePerSecond: r.RatePerSecond, Burst: r.Burst}).validate(); err != nil {
			return fmt.Errorf("%w (service %s)", err, service)
		}
	}
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
	services    map[string]Rate
	now         func() time.Time

	mu      sync.Mutex
	buckets map[bucketKey]*bucket
}

func newLimiter(t Throttle, now func() time.Time) *limiter {
	return &limiter{
		rate:     t.RatePerSecond,
		burst:    float64(t.Burst),
		services: t.Services,
		now:      now,
		buckets:  map[bucketKey]*bucket{},
	}
}

// allow spends a token of k's bucket if it has one.
func (l *limiter) allow(k bucketKey) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	rate, burst := l.rate, l.burst
	if r, ok := l.services[k.service]; ok {
		rate, burst = r.RatePerSecond, float64(r.Burst)
	}
	b := l.buckets[k]
	if b == nil {
		b = &bucket{tokens: burst, last: now}
		l.buckets[k] = b
	}
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = math.Min(burst, b.tokens+elapsed*rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
