// Command amiaudit-demo shows the whole pipeline with no AWS account: it
// starts moto (an AWS API emulator) on loopback with amiaudit's fault proxy in
// front, seeds the example organization (scenarios/example-org.yaml: 3
// accounts, 2 regions, every rule's trigger), and runs 'amiaudit scan' against
// it through the real AWS SDK. Where moto is not installed it says how to
// install it and evaluates the bundled example snapshot instead.
//
// It is a separate program from amiaudit because seeding creates resources:
// the amiaudit binary itself never calls a mutating AWS API.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/amiaudit/amiaudit/examples"
	"github.com/amiaudit/amiaudit/internal/cli"
	"github.com/amiaudit/amiaudit/report"
	"github.com/amiaudit/amiaudit/scenarios"
	"github.com/amiaudit/amiaudit/testbed/awslocal"
	"github.com/amiaudit/amiaudit/testbed/moto"
	"github.com/amiaudit/amiaudit/testbed/proxy"
	"github.com/amiaudit/amiaudit/testbed/scenario"
)

func main() {
	o, err := parseArgs(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		os.Exit(2) // parseArgs said why
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, o.scenario, o.format, os.Stdout, os.Stderr))
}

// options are the demo's command line.
type options struct {
	scenario string
	format   string
}

// parseArgs reads the command line; the formats, and the default, are the
// report package's, so the demo offers every format amiaudit writes. A bad
// format is refused here, before moto is started and seeded, with the reason
// on stderr.
func parseArgs(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("amiaudit-demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.scenario, "scenario", "example-org.yaml", "scenario to seed (one of scenarios/*.yaml)")
	fs.StringVar(&o.format, "format", report.DefaultFormat(), "report format: "+strings.Join(report.Formats(), ", "))
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: amiaudit-demo [--scenario example-org.yaml] [--format %s]\n\n"+
			"Starts moto on loopback, seeds an example organization and scans it with amiaudit\nthrough the real AWS SDK. Needs python3 with moto (%s).\n\n",
			strings.Join(report.Formats(), "|"), moto.InstallHint)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if _, err := report.New(o.format, report.Options{}); err != nil {
		err = fmt.Errorf("--format: %w", err)
		fmt.Fprintf(stderr, "amiaudit-demo: %v\n", err)
		return o, err
	}
	return o, nil
}

func run(ctx context.Context, name, format string, stdout, stderr io.Writer) int {
	if err := moto.Available(); err != nil {
		fmt.Fprintf(stderr, "amiaudit-demo: %v\n"+
			"  The live demo needs moto, the AWS API emulator (the error says how to install it).\n"+
			"  Meanwhile, here is the bundled example snapshot, evaluated offline (amiaudit demo):\n\n", err)
		return cli.Run([]string{"demo", "--format", format}, strings.NewReader(""), stdout, stderr)
	}
	code, err := live(ctx, name, format, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "amiaudit-demo: %v\n", err)
		return 3
	}
	return code
}

func live(ctx context.Context, name, format string, stdout, stderr io.Writer) (int, error) {
	data, err := scenarios.FS.ReadFile(name)
	if err != nil {
		return 0, fmt.Errorf("no scenario %q: %w", name, err)
	}
	sc, err := scenario.Parse("scenarios/"+name, data)
	if err != nil {
		return 0, err
	}
	step := func(format string, args ...any) { fmt.Fprintf(stderr, "▸ "+format+"\n", args...) }

	step("starting moto (AWS API emulator) on loopback")
	srv, err := moto.StartProcess(ctx, moto.Options{StartTimeout: time.Minute})
	if err != nil {
		return 0, err
	}
	defer srv.Stop()

	step("seeding %s: %d accounts, %d regions, %d AMIs, %d snapshots, %d KMS keys", name,
		len(sc.Accounts), len(sc.Regions), len(sc.Images), len(sc.Snapshots), len(sc.Keys))
	seeded, err := sc.Seed(ctx, srv.URL())
	if err != nil {
		return 0, fmt.Errorf("seed: %w", err)
	}
	p, err := proxy.Start(seeded.ProxyConfig(srv.URL()))
	if err != nil {
		return 0, err
	}
	defer p.Close()
	creds, err := seeded.Credentials(ctx, p.URL())
	if err != nil {
		return 0, err
	}
	for _, kv := range scenario.Environ(creds, p.URL(), sc.Regions[0]) {
		k, v, _ := strings.Cut(kv, "=")
		if err := os.Setenv(k, v); err != nil {
			return 0, err
		}
	}
	dir, err := os.MkdirTemp("", "amiaudit-demo-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	config := filepath.Join(dir, "amiaudit.yaml")
	if err := os.WriteFile(config, examples.Config, 0o644); err != nil {
		return 0, err
	}

	args := []string{"scan", "--role", awslocal.AccessRole, "--regions", strings.Join(sc.Regions, ","),
		"--config", config, "--format", format, "--fail-on", "none"}
	if sc.Organization != nil {
		args = append(args, "--org")
	}
	step("amiaudit %s   (AWS_ENDPOINT_URL=%s)", strings.Join(args, " "), p.URL())
	before := len(p.Calls())
	code := cli.Run(args, strings.NewReader(""), stdout, stderr)
	step("the scan made %d read-only AWS API calls", len(p.Calls())-before)
	if ctx.Err() != nil {
		return 3, errors.New("interrupted")
	}
	return code, nil
}
