// Package cli is the amiaudit command line: flag parsing, wiring and exit
// codes. The work is done by the collector, rules and report packages. Every
// command that reports writes through one output path (output.go): the
// format from --format or the --output name, stdout or an atomic file, and
// the exit code for --fail-on.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Exit codes of the interface contract.
const (
	exitOK         = 0
	exitFindings   = 1
	exitUsage      = 2
	exitIncomplete = 3
)

// Version is set at build time (-ldflags "-X github.com/amiaudit/amiaudit/internal/cli.Version=v1.2.3");
// otherwise it comes from the module build info.
var Version = ""

func toolVersion() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// exitError carries an exit code up to run.
type exitError struct {
	code int
	err  error
	// hint adds "Run 'amiaudit --help' for usage.": only for a command line
	// that does not parse (a bad flag, a wrong number of arguments), never for
	// what went wrong once it ran.
	hint bool
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError is exit code 2 without the usage hint: the command line parsed,
// but a value, a file, the configuration or a policy is wrong.
func usageError(err error) error      { return &exitError{code: exitUsage, err: err} }
func incompleteError(err error) error { return &exitError{code: exitIncomplete, err: err} }

// argsError is exit code 2 with the usage hint: the command line itself is
// wrong (a flag that does not parse, arguments a command does not take).
func argsError(err error) error { return &exitError{code: exitUsage, err: err, hint: true} }

const usageHint = "Run 'amiaudit --help' for usage."

// ranErrors makes every error a command's RunE returns an *exitError (exit
// code 2 when it carries none), so that the errors left bare are cobra's own:
// an unknown command, arguments or flags the command does not take.
func ranErrors(cmd *cobra.Command) {
	if run := cmd.RunE; run != nil {
		cmd.RunE = func(cmd *cobra.Command, args []string) error {
			err := run(cmd, args)
			var ee *exitError
			if err != nil && !errors.As(err, &ee) {
				return usageError(err)
			}
			return err
		}
	}
	for _, sub := range cmd.Commands() {
		ranErrors(sub)
	}
}

// env is what a command needs from the outside world, injectable for tests.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	now    func() time.Time
	log    *slog.Logger
	// stdoutTerminal is true when stdout is an interactive terminal.
	stdoutTerminal bool
	stderrTerminal bool
}

// Run runs the amiaudit command line with args (without the program name) and
// returns the process exit code.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, now: clock()}
	e.stdoutTerminal = isTerminal(stdout)
	e.stderrTerminal = isTerminal(stderr)
	// Ctrl-C or SIGTERM cancels the work in progress; commands then write
	// nothing rather than something partial.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCommand(e)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.code == exitFindings {
			return exitFindings
		}
		fmt.Fprintf(stderr, "amiaudit: %v\n", ee.err)
		if ee.hint {
			fmt.Fprintln(stderr, usageHint)
		}
		return ee.code
	}
	// Cobra's own errors (ranErrors leaves no other bare): unknown command,
	// arguments a command does not take, a required flag missing.
	fmt.Fprintf(stderr, "amiaudit: %v\n%s\n", err, usageHint)
	return exitUsage
}

// clock returns the time source. SOURCE_DATE_EPOCH (the reproducible-builds
// convention) pins it, so that reports and waiver expiry can be reproduced.
func clock() func() time.Time {
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if secs, err := strconv.ParseInt(s, 10, 64); err == nil {
			t := time.Unix(secs, 0).UTC()
			return func() time.Time { return t }
		}
	}
	return func() time.Time { return time.Now().UTC() }
}

func newRootCommand(e *env) *cobra.Command {
	var verbose, quiet bool
	root := &cobra.Command{
		Use:   "amiaudit",
		Short: "Audit and lint the sharing posture of Amazon Machine Images",
		Long: `amiaudit audits who can launch, copy and decrypt your Amazon Machine Images.

It collects AMIs, their launch permissions and block devices, EBS snapshots and
their createVolumePermission, the KMS keys behind them, and the account-region
settings (block public access, Allowed AMIs) into a snapshot document; evaluates
Rego policies over it; and reports findings as a table, JSON, SARIF, an HTML
page, OCSF, ASFF, JUnit or CSV ('amiaudit report' renders a saved run again).

Evaluation never calls AWS, so a snapshot can be re-evaluated offline, later,
with the same result.`,
		Example: `  # Audit a saved snapshot (no AWS access needed)
  amiaudit evaluate examples/snapshot.json

  # The same, as SARIF for code scanning, failing only on critical findings
  amiaudit evaluate snapshot.json --format sarif --output amiaudit.sarif --fail-on critical

  # A page to send around: tonight's findings, what changed since last night
  amiaudit evaluate tonight.json.gz --baseline last-night.json --output findings.html

  # List the rules
  amiaudit rules`,
		Version:       toolVersion(),
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			level := slog.LevelInfo
			switch {
			case verbose:
				level = slog.LevelDebug
			case quiet:
				level = slog.LevelError
			}
			e.log = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level, ReplaceAttr: dropTime}))
		},
	}
	root.PersistentFlags().BoolVarP(&verbose, "verbose", "v", false, "log what amiaudit does, to stderr")
	root.PersistentFlags().BoolVarP(&quiet, "quiet", "q", false, "log only errors")
	root.SetVersionTemplate("amiaudit {{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return argsError(err) })
	root.AddCommand(
		newScanCommand(e),
		newCollectCommand(e),
		newGateCommand(e),
		newEvaluateCommand(e),
		newMergeCommand(e),
		newDiffCommand(e),
		newReportCommand(e),
		newVerifyCommand(e),
		newKeygenCommand(e),
		newDemoCommand(e),
		newRulesCommand(e),
		newVersionCommand(),
	)
	ranErrors(root)
	return root
}

func dropTime(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(cmd.OutOrStdout(), "amiaudit %s\n", toolVersion())
			return nil
		},
	}
}

// outputFlag registers --output (-o), the name every command that writes a
// file gives the file, and --out, the name collect, merge and keygen used
// first: a hidden alias that keeps existing scripts working.
func outputFlag(fs *pflag.FlagSet, p *string, usage string) {
	fs.StringVarP(p, "output", "o", "", usage)
	fs.StringVar(p, "out", "", usage+" (old name of --output)")
	_ = fs.MarkHidden("out")
}
