package collector

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/amiaudit/amiaudit/snapshot"
)

// DefaultMaxEndpointFailures is how many attempts in a row may fail at the
// endpoint of one account-region (connection refused or reset, DNS failure,
// timeout, HTTP 5xx) before the account-region is abandoned. Throttling does
// not count: it shows the endpoint is there. Five is well above what a healthy
// endpoint produces by chance (at a 5% error rate, five failures in a row
// happen once in 3.2 million attempts) and low enough that a dead endpoint
// costs seconds, not the hours of retries and backoff that every remaining
// call would otherwise spend.
const DefaultMaxEndpointFailures = 5

// breaker is the circuit breaker of one account-region: it counts attempts
// that failed at the endpoint, in a row, across every client of the
// account-region, and once the count reaches the limit it fails every later
// attempt at once, so that the account-region's remaining reads are not tried.
type breaker struct {
	account, region string
	limit           int

	mu          sync.Mutex
	consecutive int
	tripped     *ScopeAbandonedError
}

// ScopeAbandonedError is the error of every call made in an account-region
// whose endpoint failed too often in a row. The retryer does not retry it.
type ScopeAbandonedError struct {
	Account, Region string
	// Service and Action are the call whose failure tripped the breaker.
	Service, Action string
	// Failures is how many attempts failed in a row; Cause is the last failure.
	Failures int
	Cause    string
}

func (e *ScopeAbandonedError) Error() string {
	return fmt.Sprintf("account-region %s/%s abandoned: %d attempts in a row failed at the endpoint (last: %s %s: %s); its remaining reads were not attempted",
		e.Account, e.Region, e.Failures, e.Service, e.Action, e.Cause)
}

// RetryableError tells the SDK's retryer not to retry.
func (e *ScopeAbandonedError) RetryableError() bool { return false }

func newBreaker(account, region string, limit int) *breaker {
	return &breaker{account: account, region: region, limit: limit}
}

// open returns the error that abandoned the account-region, or nil.
func (b *breaker) open() *ScopeAbandonedError {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.tripped
}

// observe counts one attempt's outcome.
func (b *breaker) observe(ctx context.Context, err error) {
	failed, cause := endpointFailure(ctx, err)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tripped != nil {
		return
	}
	if !failed {
		b.consecutive = 0
		return
	}
	b.consecutive++
	if b.consecutive >= b.limit {
		b.tripped = &ScopeAbandonedError{
			Account: b.account, Region: b.region,
			Service: strings.ToLower(awsmiddleware.GetServiceID(ctx)), Action: awsmiddleware.GetOperationName(ctx),
			Failures: b.consecutive, Cause: cause,
		}
	}
}

// middleware checks the breaker before each attempt (retries included: it
// sits after the retry loop, before the pacing limiter, so an open breaker
// spends no token) and counts the attempt's outcome.
func (b *breaker) middleware(stack *middleware.Stack) error {
	return stack.Finalize.Insert(middleware.FinalizeMiddlewareFunc("amiaudit.CircuitBreaker",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			if err := b.open(); err != nil {
				return middleware.FinalizeOutput{}, middleware.Metadata{}, err
			}
			out, md, err := next.HandleFinalize(ctx, in)
			b.observe(ctx, err)
			return out, md, err
		}), "Retry", middleware.After)
}

var throttles = retry.IsErrorThrottles(retry.DefaultThrottles)

// endpointFailure tells an attempt that failed at the endpoint (it could not
// be reached, or answered with a server error) from one that reached a
// working endpoint: success, throttling, or an answer such as AccessDenied.
// It returns a short cause for the former.
func endpointFailure(ctx context.Context, err error) (bool, string) {
	if err == nil || ctx.Err() != nil {
		return false, ""
	}
	if throttles.IsErrorThrottle(err) == aws.TrueTernary {
		return false, ""
	}
	var send *smithyhttp.RequestSendError
	if errors.As(err, &send) {
		return true, lastCause(send.Err)
	}
	var resp *awshttp.ResponseError
	if errors.As(err, &resp) && resp.HTTPStatusCode() >= 500 {
		code := fmt.Sprintf("HTTP %d", resp.HTTPStatusCode())
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() != "" {
			code += " " + ae.ErrorCode()
		}
		return true, code
	}
	var deser *smithy.DeserializationError
	if errors.As(err, &deser) {
		// The answer was cut off: the connection broke while it was read.
		return true, "response cut off: " + lastCause(deser.Err)
	}
	return false, ""
}

// lastCause is the innermost message of a transport error ("connection
// refused", "i/o timeout", "Client.Timeout exceeded while awaiting headers"),
// without the URL the SDK's wrapping repeats.
func lastCause(err error) string {
	if err == nil {
		return "unknown"
	}
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && i+2 < len(s) {
		return s[i+2:]
	}
	return s
}

// Codes of the collection errors that stand for a whole account-region left out.
const (
	// CodeEndpointUnreachable: the circuit breaker abandoned the account-region.
	CodeEndpointUnreachable = "EndpointUnreachable"
	// CodeMaxDuration: the run's deadline passed before it was read completely.
	CodeMaxDuration = "MaxDurationExceeded"
)

// ErrMaxDuration is the cause of the context that ends a collection at
// Options.Deadline.
var ErrMaxDuration = errors.New("the run's deadline (--max-duration) passed")

// fail records a call that failed. A call that failed because its
// account-region was abandoned, or because the deadline passed, adds one gap
// for the whole account-region instead (the first such call names the call
// that was cut off); a call cancelled with the collection records nothing.
func (c *collector) fail(ctx context.Context, e snapshot.CollectionError, err error) {
	var ab *ScopeAbandonedError
	switch {
	case errors.As(err, &ab):
		c.gap(snapshot.CollectionError{Account: ab.Account, Region: ab.Region, Service: ab.Service, Action: ab.Action,
			Code: CodeEndpointUnreachable, Message: ab.Error()})
	case ctx.Err() != nil:
		if errors.Is(context.Cause(ctx), ErrMaxDuration) {
			e.Resource = ""
			e.Code = CodeMaxDuration
			e.Message = fmt.Sprintf("collection stopped at the run's deadline (--max-duration) while %s %s was in progress; this account-region was not read completely and what it holds is left out of the snapshot", e.Service, e.Action)
			c.gap(e)
		}
	default:
		if e.Code == "" {
			e.Code, e.Message = errorCode(err), errorMessage(err)
		}
		c.record(e)
	}
}

// gap records that an account-region was left out, once.
func (c *collector) gap(e snapshot.CollectionError) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := e.Account + "/" + e.Region
	if c.gaps[k] {
		return
	}
	c.gaps[k] = true
	c.errs = append(c.errs, e)
}

// isGap reports whether an account-region was left out.
func (c *collector) isGap(account, region string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gaps[account+"/"+region]
}
