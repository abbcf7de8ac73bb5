package scenario

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/amiaudit/amiaudit/testbed/moto"
	"github.com/amiaudit/amiaudit/testbed/proxy"
)

// Env is a seeded scenario ready for a scan.
type Env struct {
	Moto     *moto.Server
	Scenario *Scenario
	Seeded   *Seeded
	// Proxy stands in front of moto with the scenario's settings, faults and
	// throttle, and records every call a scan makes.
	Proxy *proxy.Proxy
	// Endpoint is where a scan's clients point (AWS_ENDPOINT_URL): the proxy.
	Endpoint string
}

// RunOption changes Run.
type RunOption func(*runOptions)

type runOptions struct{ own bool }

// OwnServer gives the test its own moto, stopped when it ends, and seeds the
// scenario's fixed account IDs as written. Without it Run uses the test
// binary's shared moto and FreshAccountIDs.
func OwnServer() RunOption { return func(o *runOptions) { o.own = true } }

// Run loads and seeds the scenario at path for one test. It fails the test
// when moto is missing, the scenario is wrong or seeding fails.
func Run(t testing.TB, path string, opts ...RunOption) *Env {
	t.Helper()
	var o runOptions
	for _, opt := range opts {
		opt(&o)
	}
	s, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var srv *moto.Server
	var seedOpts []SeedOption
	if o.own {
		srv = moto.Start(t)
	} else {
		srv = moto.Shared(t)
		seedOpts = append(seedOpts, FreshAccountIDs())
	}
	seeded, err := s.Seed(t.Context(), srv.URL(), seedOpts...)
	if err != nil {
		t.Fatal(err)
	}
	p, err := proxy.Start(seeded.ProxyConfig(srv.URL()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	// Credentials and Environ go through the proxy, so it learns which
	// account the scan's credentials act as.
	return &Env{Moto: srv, Scenario: s, Seeded: seeded, Proxy: p, Endpoint: p.URL()}
}

// Credentials are the scan's base credentials: they act as the home
// (management) account, obtained through Endpoint.
func (e *Env) Credentials(t testing.TB) aws.Credentials {
	t.Helper()
	creds, err := e.Seeded.Credentials(t.Context(), e.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	return creds
}

// Environ is the environment of an amiaudit process that scans this
// scenario through Endpoint (see Environ).
func (e *Env) Environ(t testing.TB) []string {
	t.Helper()
	return Environ(e.Credentials(t), e.Endpoint, e.Scenario.Regions[0])
}
