package collector

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// deadAfter serves the first n requests from next, then drops every
// connection unanswered (a TCP reset), as an endpoint that went away.
type deadAfter struct {
	next   http.Handler
	n      int64
	served atomic.Int64
	after  atomic.Int64 // requests that arrived once the endpoint was dead
}

func (d *deadAfter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if d.served.Add(1) <= d.n {
		d.next.ServeHTTP(w, r)
		return
	}
	d.after.Add(1)
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

// testConfig is an SDK configuration for a test server at url, in us-east-1
// with static credentials, and any further options.
func testConfig(t testing.TB, url string, more ...func(*config.LoadOptions) error) aws.Config {
	t.Helper()
	opts := append([]func(*config.LoadOptions) error{
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")),
		config.WithBaseEndpoint(url),
	}, more...)
	cfg, err := config.LoadDefaultConfig(context.Background(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func newPagingServer(images, snapshots int) *pagingServer {
	return &pagingServer{images: images, snapshots: snapshots, calls: map[string]int{}, maxResults: map[string]string{}, pages: map[string]map[string]bool{}}
}

// An endpoint that dies mid-run costs a few failed attempts, not every
// remaining call retried to its limit: the breaker abandons the
// account-region, records it once, and leaves its partial inventory out.
func TestBreakerAbandonsDeadEndpoint(t *testing.T) {
	dead := &deadAfter{next: newPagingServer(200, 300), n: 20}
	ts := httptest.NewServer(dead)
	defer ts.Close()

	start := time.Now()
	doc, err := Collect(context.Background(), testConfig(t, ts.URL), Options{Regions: []string{"us-east-1"}, RatePerSecond: 1e6, Burst: 1e6})
	if err != nil {
		t.Fatal(err)
	}
	// Without the breaker the ~480 remaining calls each take 8 attempts with
	// backoff up to 5 s; with it, the first backoffs are all it costs.
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("abandoning the dead endpoint took %v", d)
	}
	var gaps []string
	for _, e := range doc.Errors {
		if e.Code == CodeEndpointUnreachable {
			gaps = append(gaps, e.Account+"/"+e.Region+" "+e.Action)
		}
	}
	if len(gaps) != 1 || doc.Errors[0].Region != "us-east-1" {
		t.Fatalf("errors %+v, want one EndpointUnreachable for the account-region", doc.Errors)
	}
	if len(doc.Images) != 0 || len(doc.Snapshots) != 0 {
		t.Errorf("kept %d images and %d snapshots of an abandoned account-region", len(doc.Images), len(doc.Snapshots))
	}
	// The attempts that reached the dead endpoint: the breaker's limit, plus
	// those already in flight on the other workers when it opened.
	if n := dead.after.Load(); n > int64(DefaultMaxEndpointFailures+2*attributeWorkers) {
		t.Errorf("%d attempts reached the dead endpoint, want at most %d", n, DefaultMaxEndpointFailures+2*attributeWorkers)
	}
}

// slowHandler answers every call after a pause.
type slowHandler struct {
	next  http.Handler
	pause time.Duration
}

func (s slowHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	time.Sleep(s.pause)
	s.next.ServeHTTP(w, r)
}

// The deadline ends collection with a complete document that records what
// it could not read; cancelling the context instead returns nothing.
func TestDeadline(t *testing.T) {
	ts := httptest.NewServer(slowHandler{next: newPagingServer(500, 500), pause: 20 * time.Millisecond})
	defer ts.Close()
	cfg := testConfig(t, ts.URL)

	t.Run("deadline", func(t *testing.T) {
		start := time.Now()
		doc, err := Collect(context.Background(), cfg, Options{Regions: []string{"us-east-1", "eu-west-1"}, RatePerSecond: 1e6, Burst: 1e6,
			Deadline: time.Now().Add(time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("collection ran %v past a 1 s deadline", d)
		}
		gaps := map[string]bool{}
		for _, e := range doc.Errors {
			if e.Code != CodeMaxDuration {
				t.Errorf("unexpected error %+v", e)
			}
			gaps[e.Region] = true
		}
		if !gaps["us-east-1"] || !gaps["eu-west-1"] {
			t.Errorf("errors %+v, want a MaxDurationExceeded gap for both regions", doc.Errors)
		}
		if len(doc.Images) != 0 || len(doc.AccountRegions) != 2 || doc.CollectedAt.IsZero() {
			t.Errorf("document: %d images, %d account-regions, collected at %v", len(doc.Images), len(doc.AccountRegions), doc.CollectedAt)
		}
	})

	t.Run("cancel", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		doc, err := Collect(ctx, cfg, Options{Regions: []string{"us-east-1"}, RatePerSecond: 1e6, Burst: 1e6})
		if err == nil || doc != nil {
			t.Fatalf("cancelled collection returned %v, %v; want nothing and the context's error", doc, err)
		}
	})
}

func TestEndpointFailure(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, status := strings.Trim(r.URL.Path, "/"), 400
		switch code {
		case "InternalError":
			status = 500
		case "RequestLimitExceeded", "Unavailable":
			status = 503
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`<Response><Errors><Error><Code>` + code + `</Code><Message>m</Message></Error></Errors><RequestID>r</RequestID></Response>`))
	}))
	defer ts.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	refused := closed.URL
	closed.Close()

	call := func(base, code string) error {
		cfg := testConfig(t, base+"/"+code)
		cfg.Retryer = func() aws.Retryer { return aws.NopRetryer{} }
		_, err := ec2.NewFromConfig(cfg).DescribeRegions(context.Background(), &ec2.DescribeRegionsInput{})
		return err
	}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused", call(refused, ""), true},
		{"HTTP 500", call(ts.URL, "InternalError"), true},
		{"HTTP 503 Unavailable", call(ts.URL, "Unavailable"), true},
		{"throttled", call(ts.URL, "RequestLimitExceeded"), false},
		{"access denied", call(ts.URL, "UnauthorizedOperation"), false},
		{"success", nil, false},
	} {
		if got, cause := endpointFailure(context.Background(), tc.err); got != tc.want {
			t.Errorf("%s: endpoint failure %v (%s), want %v; error %v", tc.name, got, cause, tc.want, tc.err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got, _ := endpointFailure(ctx, errors.New("x")); got {
		t.Error("a cancelled call counted as an endpoint failure")
	}
}

// BenchmarkAbandonDeadAccountRegion is the time a collection with the
// default options takes to give up an account-region whose endpoint resets
// every connection from its first EC2 call on (the identity and organization
// calls before it are answered).
func BenchmarkAbandonDeadAccountRegion(b *testing.B) {
	for b.Loop() {
		dead := &deadAfter{next: newPagingServer(200, 300), n: 2}
		ts := httptest.NewServer(dead)
		cfg := testConfig(b, ts.URL)
		doc, err := Collect(context.Background(), cfg, Options{Regions: []string{"us-east-1"}})
		if err != nil || len(doc.Errors) != 1 || doc.Errors[0].Code != CodeEndpointUnreachable {
			b.Fatalf("%v %+v", err, doc)
		}
		b.ReportMetric(float64(dead.after.Load()), "attempts")
		ts.Close()
	}
}
