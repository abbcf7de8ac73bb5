// Package proxy is a thin fault proxy in front of moto for the collector's
// end-to-end tests.
//
// moto serves almost everything the collector reads, but it cannot throttle,
// fail on demand, answer the four account-level EC2 settings calls (it
// answers HTTP 500 for them), or hold the AMI and snapshot lifecycle state of
// lifecycle.go (disabled AMIs, last launch times, billing platforms, the
// Recycle Bin, snapshot locks). The proxy adds exactly that and nothing more:
// every other request goes to moto byte for byte, and moto's answer comes
// back untouched, except DescribeImages when lifecycle state names its AMIs. It also records each call under the account AWS would bill
// it to, so tests can assert which account-region was read and how often.
//
// Point the SDK at it with AWS_ENDPOINT_URL (or aws.Config.BaseEndpoint) set to
// URL(): every service the collector uses (EC2, KMS, STS, Organizations, EBS
// direct APIs) then goes through the one listener.
package proxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"
)

// MotoDefaultAccount is the account moto 5 acts as when a request's access key
// is not one it issued (moto.core.models.DEFAULT_ACCOUNT_ID).
const MotoDefaultAccount = "123456789012"

// Config says where moto is and what the proxy adds on top of it.
type Config struct {
	// Upstream is moto's base URL, e.g. http://127.0.0.1:5000.
	Upstream string
	// DefaultAccount is the account of requests whose access key moto did not
	// issue (see the access-key rule on Call.Account). Empty means
	// MotoDefaultAccount. (moto started with MOTO_ACCOUNT_ID acts as that
	// account for every request, assumed roles included, which the proxy
	// does not mirror: leave that variable unset.)
	DefaultAccount string
	// Settings answer the EC2 settings calls moto does not serve.
	Settings []Setting
	// Faults are AWS errors answered instead of forwarding to moto.
	Faults []Fault
	// Throttle limits read calls; nil means no throttling.
	Throttle *Throttle
	// Lifecycle is the AMI and snapshot lifecycle state moto lacks (lifecycle.go).
	Lifecycle Lifecycle
}

// Setting is the state of the account-level EC2 settings of one
// account-region. Empty Account or Region matches any; a nil field leaves the
// value to a later matching Setting or, failing that, to AWS's default. The
// first matching Setting with a non-nil field wins.
type Setting struct {
	Account, Region string
	// ImageBlockPublicAccess: block-new-sharing | unblocked.
	// Default unblocked (AWS's value for accounts older than the feature).
	ImageBlockPublicAccess *string
	// SnapshotBlockPublicAccess: block-all-sharing | block-new-sharing | unblocked.
	// Default unblocked.
	SnapshotBlockPublicAccess *string
	// AllowedImages: enabled | audit-mode | disabled. Default disabled.
	AllowedImages *string
	// EBSDefaultKMSKeyID is answered verbatim (a key ARN, ID or alias).
	// Default alias/aws/ebs, which is what AWS answers until one is set.
	EBSDefaultKMSKeyID *string
	// ManagedBy is the managedBy of the image and snapshot block public
	// access and Allowed AMIs answers: account | declarative-policy.
	// Default account.
	ManagedBy *string
	// AllowedImagesCriteria is GetAllowedImagesSettings' imageCriterionSet.
	AllowedImagesCriteria []ImageCriterion
}

// ImageCriterion is one Allowed AMIs image criterion.
type ImageCriterion struct {
	ImageProviders, MarketplaceProductCodes, ImageNames []string
}

// Fault makes the proxy answer an AWS error instead of forwarding a call.
// Empty Account, Region or Action matches any. Action is an API name
// ("DescribeImages") or, to pick one service, "service:Action" as in IAM
// policies ("kms:DescribeKey"). Code is the AWS error code; the response uses
// the protocol of the called service and the HTTP status AWS uses for that
// code (see errorStatus). Count 0 fails every matching call; otherwise only
// the first Count matching calls fail. For STS AssumeRole, Account is the
// account whose role is assumed (from RoleArn), not the caller's: that is
// the account a refused AssumeRole keeps the scan out of.
type Fault struct {
	Account, Region, Action, Code string
	Count                         int
}

// Call is one request the proxy saw, whatever became of it.
type Call struct {
	// Account is the account AWS would attribute the call to. Like moto: an
	// x-moto-account-id header names it; an access key issued by moto's
	// AssumeRole acts as the role's account and one issued by IAM
	// CreateAccessKey as the creating account; any other key (including a
	// 12-digit one: moto 5 has no such rule) acts as Config.DefaultAccount.
	Account string
	// Region is the SigV4 credential scope's region.
	Region string
	// Service is the SigV4 signing name: ec2, kms, sts, organizations, ebs, iam.
	Service string
	// Action is the API operation, e.g. DescribeImages or ListSnapshotBlocks.
	Action string
	// Status is the HTTP status answered to the client.
	Status int
	// target is the account an AssumeRole call asks to enter.
	target string
	// includeDisabled is DescribeImages' IncludeDisabled.
	includeDisabled bool
	// Throttled is set when the proxy's token bucket refused the call.
	Throttled bool
	// Fault is the injected error code, if any.
	Fault string
	// Time is when the call arrived, on Throttle.Now's clock if one is set.
	Time time.Time
}

// Proxy is a running fault proxy. It is safe for concurrent use.
type Proxy struct {
	cfg      Config
	url      string
	srv      *http.Server
	upstream *httputil.ReverseProxy
	now      func() time.Time
	limiter  *limiter // nil: no throttling
	keys     *accessKeys

	mu         sync.Mutex
	calls      []Call
	faultsUsed []int // per Config.Faults index: calls failed so far
}

// Start validates cfg and serves on an ephemeral loopback port until Close.
func Start(cfg Config) (*Proxy, error) {
	up, err := url.Parse(cfg.Upstream)
	if err != nil || up.Scheme == "" || up.Host == "" {
		return nil, fmt.Errorf("proxy upstream %q: want a URL like http://127.0.0.1:5000", cfg.Upstream)
	}
	if cfg.DefaultAccount == "" {
		cfg.DefaultAccount = MotoDefaultAccount
	}
	for i, f := range cfg.Faults {
		if f.Code == "" {
			return nil, fmt.Errorf("proxy fault %d: empty Code", i)
		}
	}
	for i, s := range cfg.Settings {
		if err := s.validate(); err != nil {
			return nil, fmt.Errorf("proxy setting %d (%s %s): %w", i, s.Account, s.Region, err)
		}
	}
	if err := cfg.Lifecycle.validate(); err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	p := &Proxy{
		cfg:        cfg,
		now:        time.Now,
		keys:       newAccessKeys(cfg.DefaultAccount),
		faultsUsed: make([]int, len(cfg.Faults)),
	}
	if t := cfg.Throttle; t != nil {
		if err := t.validate(); err != nil {
			return nil, err
		}
		if t.Now != nil {
			p.now = t.Now
		}
		p.limiter = newLimiter(*t, p.now)
	}
	p.upstream = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(up)
			// Keep the client's Host: it is part of the SigV4 signature.
			r.Out.Host = r.In.Host
		},
		ModifyResponse: func(resp *http.Response) error {
			if err := p.learnAccessKeys(resp); err != nil {
				return err
			}
			return p.rewriteImages(resp)
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			slog.Error("proxy: upstream", "url", r.URL.String(), "err", err)
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("proxy listen: %w", err)
	}
	p.url = "http://" + ln.Addr().String()
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := p.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			slog.Error("proxy: serve", "err", err)
		}
	}()
	return p, nil
}

// URL is the proxy's base URL, for AWS_ENDPOINT_URL or aws.Config.BaseEndpoint.
func (p *Proxy) URL() string { return p.url }

// Close stops the listener and drops open connections.
func (p *Proxy) Close() error { return p.srv.Close() }

// Calls returns every call so far, in order of completion.
func (p *Proxy) Calls() []Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Call(nil), p.calls...)
}

// CallsByAccount counts calls per account and "service:Action".
func (p *Proxy) CallsByAccount() map[string]map[string]int {
	out := map[string]map[string]int{}
	for _, c := range p.Calls() {
		if out[c.Account] == nil {
			out[c.Account] = map[string]int{}
		}
		out[c.Account][c.Service+":"+c.Action]++
	}
	return out
}

type callKey struct{}

// ServeHTTP answers one AWS request: throttle, then fault, then setting, and
// only then moto.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The body is read whole because the action of query-protocol calls is in
	// it; moto gets the same bytes with the same length, so a SigV4 signature
	// over them still verifies.
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read request body: "+err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	r.TransferEncoding = nil

	req := parseRequest(r, body)
	c := &Call{
		Account: p.keys.account(r, req.accessKey),
		Region:  req.region,
		Service: req.service,
		Action:  req.action,
		Time:    p.now(),
		target:  req.target,
	}
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		c.Status = rec.status
		p.mu.Lock()
		p.calls = append(p.calls, *c)
		p.mu.Unlock()
	}()

	if p.limiter != nil && isRead(c.Action) && !p.limiter.allow(bucketKey{c.Account, c.Region, c.Service}) {
		c.Throttled = true
		writeError(rec, c, throttleCode(c.Service))
		return
	}
	if code := p.fault(c); code != "" {
		c.Fault = code
		writeError(rec, c, code)
		return
	}
	if p.answerSetting(rec, c) {
		return
	}
	form, _ := url.ParseQuery(string(body))
	if p.answerLifecycle(rec, c, form) {
		return
	}
	c.includeDisabled = form.Get("IncludeDisabled") == "true"
	p.upstream.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), callKey{}, c)))
}

// fault returns the code of the first fault matching c that still has calls
// to fail, counting this one.
func (p *Proxy) fault(c *Call) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, f := range p.cfg.Faults {
		account := c.Account
		if c.target != "" {
			account = c.target
		}
		if !matches(f.Account, account) || !matches(f.Region, c.Region) {
			continue
		}
		if f.Action != "" && f.Action != c.Action && f.Action != c.Service+":"+c.Action {
			continue
		}
		if f.Count > 0 && p.faultsUsed[i] >= f.Count {
			continue
		}
		p.faultsUsed[i]++
		return f.Code
	}
	return ""
}

func matches(want, got string) bool { return want == "" || want == got }

// isRead reports whether an action is a read call AWS meters in the
// non-mutating bucket (EC2's Describe*/Get*/List*; the same prefixes name
// the read calls of KMS, Organizations and the EBS direct APIs).
func isRead(action string) bool {
	for _, prefix := range []string{"Describe", "Get", "List"} {
		if strings.HasPrefix(action, prefix) {
			return true
		}
	}
	return false
}

// statusRecorder remembers the status written, for Call.Status.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController (used by ReverseProxy) reach Flush.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
