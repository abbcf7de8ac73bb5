package scenario

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/amiaudit/amiaudit/testbed/moto"
)

// Env is a seeded scenario ready for a scan.
type Env struct {
	Moto     *moto.Server
	Scenario *Scenario
	Seeded   *Seeded
	// Endpoint is where a scan's clients point (AWS_ENDPOINT_URL): moto
	// itself for now; the fault proxy's URL once it stands in front.
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
	env := &Env{Moto: srv, Scenario: s, Seeded: seeded, Endpoint: srv.URL()}
	// The fault proxy (testbed/proxy) stands here: start it with moto's URL
	// as its upstream and seeded.ProxyConfig() converted to its Config, stop
	// it in t.Cleanup, and set env.Endpoint to its URL. Credentials and
	// Environ then go through it, so it learns which account they act as.
	return env
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
