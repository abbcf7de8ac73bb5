package collector

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"

	"github.com/amiaudit/amiaudit/internal/awsid"
	"github.com/amiaudit/amiaudit/snapshot"
)

// defaultRegion is where global calls (STS, Organizations, DescribeRegions) go
// when the configuration names no region.
const defaultRegion = "us-east-1"

type collector struct {
	cfg       aws.Config
	opts      *Options
	partition string
	retryer   func() aws.Retryer

	mu       sync.Mutex
	errs     []snapshot.CollectionError
	limiters map[string]*rate.Limiter
	breakers map[string]*breaker
	creds    map[string]aws.CredentialsProvider
	// base is the baseline of an incremental collection (nil: none), and
	// plans how each account-region was collected from it.
	base  *baseline
	plans map[string]*plan
	// gaps holds the account-regions already recorded as abandoned or cut
	// short by the deadline, so that each is reported once, not once per call.
	gaps map[string]bool
}

func newCollector(cfg aws.Config, opts *Options) *collector {
	if cfg.Region == "" {
		cfg.Region = defaultRegion
	}
	cfg.HTTPClient = withCallTimeout(cfg.HTTPClient, opts.CallTimeout)
	return &collector{
		cfg:  cfg,
		opts: opts,
		retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = opts.MaxAttempts
				o.MaxBackoff = 5 * time.Second
				// The client-side limiter already paces calls; the retry quota would
				// only turn a burst of throttles into failures.
				o.RateLimiter = ratelimit.None
			})
		},
		limiters: map[string]*rate.Limiter{},
		breakers: map[string]*breaker{},
		creds:    map[string]aws.CredentialsProvider{},
		gaps:     map[string]bool{},
		base:     newBaseline(opts),
		plans:    map[string]*plan{},
	}
}

// withCallTimeout bounds each attempt of each call (connecting, sending, and
// reading the whole answer), so that a connection that accepts and never
// answers cannot hold a worker: the attempt fails as a timeout and the
// retryer tries again like after any transient error. The SDK's default
// client has no such bound, and its documentation leaves the value to the
// application ("Customizing the HTTP Client",
// https://docs.aws.amazon.com/sdk-for-go/v2/developer-guide/configure-http.html);
// see DefaultCallTimeout for ours.
func withCallTimeout(client aws.HTTPClient, timeout time.Duration) aws.HTTPClient {
	if bc, ok := client.(*awshttp.BuildableClient); ok {
		return bc.WithTimeout(timeout)
	}
	if client == nil {
		return awshttp.NewBuildableClient().WithTimeout(timeout)
	}
	return client // a client the caller built: its timeouts are the caller's
}

func (c *collector) record(e snapshot.CollectionError) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.errs = append(c.errs, e)
}

func (c *collector) errors() []snapshot.CollectionError {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]snapshot.CollectionError{}, c.errs...)
}

// paceMargin keeps the client a little (2%) under AWS's refill rate, and the
// burst is cut by the calls that can be in flight at once (at most an eighth of
// it): requests sent in order can arrive bunched, and at the edge of an empty
// bucket that is enough to be throttled.
const paceMargin = 0.98

// limiter is the client-side token bucket of one account-region, shared by
// every client that calls AWS there.
func (c *collector) limiter(account, region string) *rate.Limiter {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := account + "/" + region
	l, ok := c.limiters[k]
	if !ok {
		l = rate.NewLimiter(rate.Limit(c.opts.RatePerSecond*paceMargin), max(1, c.opts.Burst-min(attributeWorkers, c.opts.Burst/8)))
		c.limiters[k] = l
	}
	return l
}

// breaker is the circuit breaker of one account-region, shared by every
// client that calls AWS there.
func (c *collector) breaker(account, region string) *breaker {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := account + "/" + region
	b, ok := c.breakers[k]
	if !ok {
		b = newBreaker(account, region, c.opts.MaxEndpointFailures)
		c.breakers[k] = b
	}
	return b
}

// apiOptions are the middleware of every client of one account-region: the
// circuit breaker, then the pacing limiter, both after the retry loop.
func (c *collector) apiOptions(account, region string) []func(*middleware.Stack) error {
	// Each is inserted right after Retry, so the last one added runs first.
	return []func(*middleware.Stack) error{rateLimit(c.limiter(account, region)), c.breaker(account, region).middleware}
}

// rateLimit waits for a token before every attempt, retries included: the
// middleware sits after the retry loop.
func rateLimit(l *rate.Limiter) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Finalize.Insert(middleware.FinalizeMiddlewareFunc("amiaudit.RateLimit",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				if err := l.Wait(ctx); err != nil {
					if ctx.Err() == nil {
						// The limiter refuses a wait that would outlast ctx's
						// deadline; end as the deadline would, so that the call
						// is seen as cut off by it.
						<-ctx.Done()
					}
					return middleware.FinalizeOutput{}, middleware.Metadata{}, context.Cause(ctx)
				}
				return next.HandleFinalize(ctx, in)
			}), "Retry", middleware.After)
	}
}

// clients are the service clients of one account-region.
type clients struct {
	ec2 *ec2.Client
	kms *kms.Client
}

func (c *collector) clientsFor(creds aws.CredentialsProvider, account, region string) clients {
	mw := c.apiOptions(account, region)
	return clients{
		ec2: ec2.NewFromConfig(c.cfg, func(o *ec2.Options) {
			o.Region = region
			o.Credentials = creds
			o.Retryer = c.retryer()
			o.APIOptions = append(o.APIOptions, mw...)
		}),
		kms: kms.NewFromConfig(c.cfg, func(o *kms.Options) {
			o.Region = region
			o.Credentials = creds
			o.Retryer = c.retryer()
			o.APIOptions = append(o.APIOptions, mw...)
		}),
	}
}

func (c *collector) sts() *sts.Client {
	return sts.NewFromConfig(c.cfg, func(o *sts.Options) { o.Retryer = c.retryer() })
}

func (c *collector) organizations() *organizations.Client {
	return organizations.NewFromConfig(c.cfg, func(o *organizations.Options) {
		o.Region = defaultRegion
		o.Retryer = c.retryer()
	})
}

// callerIdentity returns the caller's account and partition.
func (c *collector) callerIdentity(ctx context.Context) (string, string, error) {
	out, err := c.sts().GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", "", fmt.Errorf("%w: sts GetCallerIdentity: %w", ErrNoAccess, err)
	}
	partition := awsid.DefaultPartition
	if arn := aws.ToString(out.Arn); strings.HasPrefix(arn, "arn:") {
		if parts := strings.SplitN(arn, ":", 3); len(parts) == 3 {
			partition = parts[1]
		}
	}
	return aws.ToString(out.Account), partition, nil
}

// credentials returns the credentials to read an account: the caller's own for
// its own account (a StackSet does not reach the management account, so the
// member role may not exist there), the assumed role elsewhere. The role is
// assumed once, up front, so that a denial is recorded once for the account.
func (c *collector) credentials(ctx context.Context, caller, account string) (aws.CredentialsProvider, error) {
	if account == caller {
		return c.cfg.Credentials, nil
	}
	if c.opts.Role == "" {
		return nil, &smithy.GenericAPIError{Code: "NoRole", Message: fmt.Sprintf("account %s is not the caller's own (%s) and no --role was given to assume in it", account, caller)}
	}
	c.mu.Lock()
	p, ok := c.creds[account]
	c.mu.Unlock()
	if ok {
		return p, nil
	}
	roleARN := fmt.Sprintf("arn:%s:iam::%s:role/%s", c.partition, account, c.opts.Role)
	provider := aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(c.sts(), roleARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = "amiaudit"
		if c.opts.ExternalID != "" {
			o.ExternalID = aws.String(c.opts.ExternalID)
		}
	}))
	if _, err := provider.Retrieve(ctx); err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.creds[account] = provider
	c.mu.Unlock()
	return provider, nil
}

// errorCode is AWS's error code, or a client-side one.
func errorCode(err error) string {
	var ae smithy.APIError
	switch {
	case errors.As(err, &ae):
		return ae.ErrorCode()
	case errors.Is(err, context.DeadlineExceeded):
		return "Timeout"
	case errors.Is(err, context.Canceled):
		return "Canceled"
	}
	var re *retry.MaxAttemptsError
	if errors.As(err, &re) {
		return "MaxAttemptsExceeded"
	}
	return "ClientError"
}

func errorMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorMessage() != "" {
		return ae.ErrorMessage()
	}
	return err.Error()
}

// regionGone reports errors that mean nothing can be read in an account-region
// at all, so that one error is recorded instead of one per call.
func regionGone(err error) bool {
	switch errorCode(err) {
	case "OptInRequired", "AuthFailure", "InvalidClientTokenId", "UnrecognizedClientException":
		return true
	}
	return false
}
