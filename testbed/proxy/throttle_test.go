package proxy

import (
	"testing"
	"time"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestBucket(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := newLimiter(Throttle{RatePerSecond: 2, Burst: 3}, clock.now)
	a := bucketKey{"111111111111", "us-east-1", "ec2"}

	take := func(k bucketKey, n int) (allowed int) {
		for range n {
			if l.allow(k) {
				allowed++
			}
		}
		return allowed
	}
	if got := take(a, 5); got != 3 {
		t.Fatalf("full bucket: %d of 5 calls allowed, want the burst of 3", got)
	}
	clock.advance(499 * time.Millisecond)
	if l.allow(a) {
		t.Fatal("allowed before a whole token refilled (2/s needs 500ms)")
	}
	clock.advance(time.Millisecond)
	if !l.allow(a) {
		t.Fatal("refused after 500ms at 2/s")
	}
	clock.advance(time.Hour)
	if got := take(a, 10); got != 3 {
		t.Fatalf("after an idle hour: %d allowed, want the burst of 3 (refill is capped)", got)
	}

	// Each account-region-service has its own bucket.
	for _, k := range []bucketKey{
		{"222222222222", "us-east-1", "ec2"},
		{"111111111111", "eu-west-1", "ec2"},
		{"111111111111", "us-east-1", "kms"},
	} {
		if got := take(k, 4); got != 3 {
			t.Errorf("%v: %d allowed, want its own burst of 3", k, got)
		}
	}
}

func TestMinimumDuration(t *testing.T) {
	th := Throttle{RatePerSecond: 20, Burst: 100}
	for _, tc := range []struct {
		calls int
		want  time.Duration
	}{
		{0, 0},
		{100, 0},
		{101, 50 * time.Millisecond},
		{300, 10 * time.Second},
	} {
		if got := th.MinimumDuration(tc.calls); got != tc.want {
			t.Errorf("MinimumDuration(%d) = %v, want %v", tc.calls, got, tc.want)
		}
	}
}

// TestMinimumDurationIsTight drives a bucket with a fake clock, each call at
// the first instant it is allowed: the last call lands exactly at
// MinimumDuration.
func TestMinimumDurationIsTight(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: start}
	th := Throttle{RatePerSecond: 4, Burst: 5}
	l := newLimiter(th, clock.now)
	k := bucketKey{"111111111111", "us-east-1", "ec2"}
	const calls = 25
	for i := 0; i < calls; {
		if l.allow(k) {
			i++
			continue
		}
		clock.advance(time.Millisecond)
	}
	if got, want := clock.t.Sub(start), th.MinimumDuration(calls); got != want {
		t.Errorf("%d calls took %v on the fake clock, MinimumDuration says %v", calls, got, want)
	}
}

func TestConfigValidate(t *testing.T) {
	blocked := "blocked"
	if _, err := Start(Config{Upstream: "http://127.0.0.1:1", Settings: []Setting{{ImageBlockPublicAccess: &blocked}}}); err == nil {
		t.Error("Start accepted image block public access \"blocked\"")
	}
	if _, err := Start(Config{Upstream: "http://127.0.0.1:1", Faults: []Fault{{Action: "DescribeImages"}}}); err == nil {
		t.Error("Start accepted a fault without a code")
	}
	if _, err := Start(Config{Upstream: "127.0.0.1:5000"}); err == nil {
		t.Error("Start accepted an upstream without a scheme")
	}
}

func TestThrottleValidate(t *testing.T) {
	for _, th := range []Throttle{{RatePerSecond: 0, Burst: 1}, {RatePerSecond: 1, Burst: 0}, {RatePerSecond: -1, Burst: 5}} {
		if _, err := Start(Config{Upstream: "http://127.0.0.1:1", Throttle: &th}); err == nil {
			t.Errorf("Start accepted %+v", th)
		}
	}
}

// TestServiceRates: a service with its own Rate (CloudTrail's LookupEvents
// at 2/s) is metered apart from the default.
func TestServiceRates(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	th := Throttle{RatePerSecond: 20, Burst: 100, Services: map[string]Rate{"cloudtrail": {RatePerSecond: 2, Burst: 2}}}
	if err := th.validate(); err != nil {
		t.Fatal(err)
	}
	l := newLimiter(th, clock.now)
	ct := bucketKey{"111111111111", "us-east-1", "cloudtrail"}
	ec2 := bucketKey{"111111111111", "us-east-1", "ec2"}
	allowed := 0
	for range 5 {
		if l.allow(ct) {
			allowed++
		}
	}
	if allowed != 2 {
		t.Errorf("cloudtrail bucket let %d of 5 through, want its burst of 2", allowed)
	}
	for i := range 50 {
		if !l.allow(ec2) {
			t.Fatalf("ec2 call %d refused within the default burst of 100", i+1)
		}
	}
	clock.advance(time.Second)
	allowed = 0
	for range 3 {
		if l.allow(ct) {
			allowed++
		}
	}
	if allowed != 2 {
		t.Errorf("a second later the cloudtrail bucket let %d of 3 through, want 2 (2/s)", allowed)
	}
	if got, want := th.For("cloudtrail").MinimumDuration(12), 5*time.Second; got != want {
		t.Errorf("cloudtrail MinimumDuration(12) = %v, want %v", got, want)
	}
	if got := th.For("ec2").MinimumDuration(100); got != 0 {
		t.Errorf("ec2 MinimumDuration(100) = %v, want 0 (the burst)", got)
	}
	bad := Throttle{RatePerSecond: 1, Burst: 1, Services: map[string]Rate{"cloudtrail": {RatePerSecond: 0, Burst: 1}}}
	if err := bad.validate(); err == nil {
		t.Error("a service rate of 0 accepted")
	}
}
