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
	"crypto/sha256"
	"encoding/binary"
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
	// Seed drives the faults with a Probability: the same seed fails the
	// same calls in every run.
	Seed int64
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

// Fault makes the proxy fail a call instead of forwarding it: with an AWS
// error, or at the connection, as an endpoint that went away or hangs does.
// Empty Account, Region or Action matches any. Action is an API name
// ("DescribeImages") or, to pick one service, "service:Action" as in IAM
// policies ("kms:DescribeKey"). For STS AssumeRole, Account is the account
// whose role is assumed (from RoleArn), not the caller's: that is the account
// a refused AssumeRole keeps the scan out of.
type Fault struct {
	Account, Region, Action string
	// Kind is how the call fails (FaultError when empty).
	Kind FaultKind
	// Code is the AWS error code of a FaultError; the response uses the
	// protocol of the called service and the HTTP status AWS uses for that
	// code (see errorStatus).
	Code string
	// Stall is how long a FaultStall holds the request before it drops the
	// connection (a client whose timeout is shorter gives up first).
	Stall time.Duration
	// After lets the first After matching calls through: the fault starts
	// mid-run, as an endpoint that dies does.
	After int
	// Count 0 fails every matching call (after After); otherwise only the
	// first Count of them fail.
	Count int
	// Probability, when above 0, fails each matching call with that
	// probability. The draw depends only on Config.Seed, the call's content
	// (account, region, action, URI and body) and how many identical calls
	// came before, never on the order in which concurrent calls arrive, so
	// a run is reproducible.
	Probability float64
}

// FaultKind is how a Fault fails a call.
type FaultKind string

// Fault kinds.
const (
	// FaultError answers the AWS error Fault.Code.
	FaultError FaultKind = "error"
	// FaultReset drops the connection with a TCP reset before answering, as
	// an endpoint that went away does (the client sees "connection reset").
	FaultReset FaultKind = "reset"
	// FaultStall holds the request for Fault.Stall, then resets the
	// connection: a connection that accepts and never answers.
	FaultStall FaultKind = "stall"
)

func (f Fault) validate() error {
	switch f.Kind {
	case "", FaultError:
		if f.Code == "" {
			return errors.New("empty Code")
		}
	case FaultReset:
	case FaultStall:
		if f.Stall <= 0 {
			return errors.New("a stall needs a positive Stall")
		}
	default:
		return fmt.Errorf("unknown Kind %q (want error, reset or stall)", f.Kind)
	}
	if f.Probability < 0 || f.Probability > 1 || f.After < 0 || f.Count < 0 {
		return errors.New("probability must be in [0, 1]; After and Count must not be negative")
	}
	return nil
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
	// Status is the HTTP status answered to the client; 0 when the connection
	// was dropped without an answer (FaultReset, FaultStall).
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
	faultsSeen []int // per Config.Faults index: matching calls so far
	// repeats counts identical calls (same content), for the draws of
	// faults with a Probability.
	repeats map[[sha256.Size]byte]int

	// trail is the CloudTrail management events (cloudtrail.go).
	trail trail
	// written is the settings changed through the proxy (settings_write.go).
	written settingWrites
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
		if err := f.validate(); err != nil {
			return nil, fmt.Errorf("proxy fault %d: %w", i, err)
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
		faultsSeen: make([]int, len(cfg.Faults)),
		repeats:    map[[sha256.Size]byte]int{},
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

// SetFaults replaces the faults from the next call on, with fresh counts:
// a test can scan once cleanly and then again with faults, on one seeding.
func (p *Proxy) SetFaults(faults []Fault) error {
	for i, f := range faults {
		if err := f.validate(); err != nil {
			return fmt.Errorf("proxy fault %d: %w", i, err)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cfg.Faults = append([]Fault(nil), faults...)
	p.faultsUsed = make([]int, len(faults))
	p.faultsSeen = make([]int, len(faults))
	p.repeats = map[[sha256.Size]byte]int{}
	return nil
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
	if recordable(c) {
		rec.body = &bytes.Buffer{}
	}
	defer func() {
		c.Status = rec.status
		p.mu.Lock()
		p.calls = append(p.calls, *c)
		p.mu.Unlock()
		// A successful mutating call becomes a CloudTrail event (cloudtrail.go).
		if rec.body != nil && c.Status >= 200 && c.Status <= 299 {
			p.recordCall(c, r, body, rec.Header(), rec.body.Bytes())
		}
	}()

	if p.limiter != nil && isRead(c.Action) && !p.limiter.allow(bucketKey{c.Account, c.Region, c.Service}) {
		c.Throttled = true
		writeError(rec, c, throttleCode(c.Service))
		return
	}
	if f := p.fault(c, r, body); f != nil {
		switch f.Kind {
		case FaultReset:
			c.Fault, rec.status = string(FaultReset), 0
			resetConnection(w)
		case FaultStall:
			c.Fault, rec.status = string(FaultStall), 0
			select {
			case <-time.After(f.Stall):
			case <-r.Context().Done():
			}
			resetConnection(w)
		default:
			c.Fault = f.Code
			writeError(rec, c, f.Code)
		}
		return
	}
	if p.answerSetting(rec, c) || p.answerSettingWrite(rec, c, r, body) || p.answerLookupEvents(rec, c, body) {
		return
	}
	form, _ := url.ParseQuery(string(body))
	if p.answerLifecycle(rec, c, form) {
		return
	}
	c.includeDisabled = form.Get("IncludeDisabled") == "true"
	p.upstream.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), callKey{}, c)))
}

// fault returns the first fault that fails c, counting this call.
func (p *Proxy) fault(c *Call, r *http.Request, body []byte) *Fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	var draw float64
	drawn := false
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
		p.faultsSeen[i]++
		if p.faultsSeen[i] <= f.After {
			continue
		}
		if f.Count > 0 && p.faultsUsed[i] >= f.Count {
			continue
		}
		if f.Probability > 0 {
			if !drawn {
				draw, drawn = p.draw(c, r, body), true
			}
			if draw >= f.Probability {
				continue
			}
		}
		p.faultsUsed[i]++
		return &p.cfg.Faults[i]
	}
	return nil
}

// draw is a number in [0, 1) fixed by the seed, the call's content and how
// many identical calls came before it (a retry is a new draw).
func (p *Proxy) draw(c *Call, r *http.Request, body []byte) float64 {
	content := sha256.New()
	fmt.Fprintf(content, "%s\x00%s\x00%s\x00%s\x00%s\x00", c.Account, c.Region, c.Service, c.Action, r.URL.RequestURI())
	content.Write(body)
	var key [sha256.Size]byte
	content.Sum(key[:0])
	n := p.repeats[key]
	p.repeats[key] = n + 1
	h := sha256.New()
	fmt.Fprintf(h, "%d\x00%x\x00%d", p.cfg.Seed, key, n)
	sum := h.Sum(nil)
	return float64(binary.BigEndian.Uint64(sum[:8])>>11) / (1 << 53)
}

// resetConnection drops the client's connection with a TCP reset (linger 0),
// without an answer.
func resetConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // closes the connection without an answer
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

func matches(want, got string) bool { return want == "" || want == got }

// isRead reports whether an action is a read call AWS meters in the
// non-mutating bucket (EC2's Describe*/Get*/List*; the same prefixes name
// the read calls of KMS, Organizations and the EBS direct APIs; CloudTrail's
// LookupEvents, in its own cloudtrail bucket).
func isRead(action string) bool {
	if action == "LookupEvents" {
		return true
	}
	for _, prefix := range []string{"Describe", "Get", "List"} {
		if strings.HasPrefix(action, prefix) {
			return true
		}
	}
	return false
}

// statusRecorder remembers the status written, for Call.Status, and when
// body is set a copy of the answer (for a CloudTrail record's
// responseElements).
type statusRecorder struct {
	http.ResponseWriter
	status int
	body   *bytes.Buffer
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.body != nil && s.body.Len() < maxCaptured {
		s.body.Write(b)
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController (used by ReverseProxy) reach Flush.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
