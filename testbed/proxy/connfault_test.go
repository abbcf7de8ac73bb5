package proxy

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// A reset drops the connection without an answer: the SDK sees a transport
// error (RequestSendError), not an AWS error, as it does when an endpoint
// goes away.
func TestFaultReset(t *testing.T) {
	p := startProxy(t, Config{Faults: []Fault{{Action: "DescribeImages", Kind: FaultReset}}})
	err := describeImages(sdkConfig(t, p, "us-east-1", false))
	var send *smithyhttp.RequestSendError
	if !errors.As(err, &send) {
		t.Fatalf("got %v, want a RequestSendError", err)
	}
	if calls := p.Calls(); len(calls) != 1 || calls[0].Fault != "reset" || calls[0].Status != 0 {
		t.Errorf("recorded %+v, want one reset call with status 0", calls)
	}
}

// A stall holds the call until the client's own timeout gives up.
func TestFaultStall(t *testing.T) {
	p := startProxy(t, Config{Faults: []Fault{{Action: "DescribeImages", Kind: FaultStall, Stall: time.Minute}}})
	cfg := sdkConfig(t, p, "us-east-1", false)
	cfg.HTTPClient = awshttp.NewBuildableClient().WithTimeout(300 * time.Millisecond)
	start := time.Now()
	err := describeImages(cfg)
	var send *smithyhttp.RequestSendError
	if !errors.As(err, &send) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the client's timeout", err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("the stalled call took %v: the client timeout did not end it", d)
	}
}

// After lets calls through before the fault starts; Count bounds it.
func TestFaultAfter(t *testing.T) {
	p := startProxy(t, Config{Faults: []Fault{{Action: "DescribeImages", Code: "InternalError", After: 2, Count: 1}}})
	cfg := sdkConfig(t, p, "us-east-1", false)
	var got []string
	for range 4 {
		if err := describeImages(cfg); err != nil {
			code, _ := apiError(t, err)
			got = append(got, code)
		} else {
			got = append(got, "ok")
		}
	}
	if want := []string{"ok", "ok", "InternalError", "ok"}; !slices.Equal(got, want) {
		t.Errorf("calls %q, want %q", got, want)
	}
}

// Probabilistic faults are drawn from the seed and the call's content: the
// same calls fail in every run with one seed, whatever else runs between.
func TestFaultProbabilityReproducible(t *testing.T) {
	run := func(seed int64, noise bool) []string {
		p := startProxy(t, Config{Seed: seed, Faults: []Fault{{Action: "DescribeImages", Code: "InternalError", Probability: 0.5}}})
		cfg := sdkConfig(t, p, "us-east-1", false)
		var got []string
		for i := range 24 {
			if noise && i%3 == 0 {
				_ = describeRegions(cfg) // another call: must not shift the draws
			}
			if err := describeImages(cfg); err != nil {
				got = append(got, "fail")
			} else {
				got = append(got, "ok")
			}
		}
		return got
	}
	a, b := run(7, false), run(7, true)
	if !slices.Equal(a, b) {
		t.Errorf("one seed, different outcomes:\n%q\n%q", a, b)
	}
	fails := 0
	for _, x := range a {
		if x == "fail" {
			fails++
		}
	}
	if fails == 0 || fails == len(a) {
		t.Errorf("probability 0.5 failed %d of %d calls", fails, len(a))
	}
	if c := run(8, false); slices.Equal(a, c) {
		t.Errorf("seeds 7 and 8 failed the same calls: %q", c)
	}
}

func TestFaultValidation(t *testing.T) {
	for _, f := range []Fault{
		{Action: "DescribeImages"},
		{Kind: FaultStall},
		{Kind: "explode", Code: "X"},
		{Code: "X", Probability: 2},
	} {
		if _, err := Start(Config{Upstream: "http://127.0.0.1:1", Faults: []Fault{f}}); err == nil {
			t.Errorf("fault %+v accepted", f)
		}
	}
}

func describeRegions(cfg aws.Config) error {
	_, err := ec2.NewFromConfig(cfg).DescribeRegions(context.Background(), &ec2.DescribeRegionsInput{})
	return err
}
