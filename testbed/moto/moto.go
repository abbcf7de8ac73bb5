// Package moto runs moto's AWS emulator, with the test bed's fidelity patches
// (launcher.py), as a child process on a loopback port.
//
// Tests call Start (one server per test) or Shared (one server per test
// binary); the demo calls StartProcess. The launcher is embedded, so a built
// binary needs only python3 with moto installed (InstallHint).
package moto

import (
	"bufio"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

//go:embed launcher.py
var launcher []byte

// InstallHint is what to do when moto is missing: the launcher's own
// requirement (MOTO_REQUIREMENT in launcher.py), so that it names the version
// the launcher's check asks for.
var InstallHint = `pip install "` + launcherRequirement(launcher) + `"`

// launcherRequirement reads MOTO_VERSION from launcher.py.
func launcherRequirement(src []byte) string {
	m := regexp.MustCompile(`(?m)^MOTO_VERSION = "([^"]+)"$`).FindSubmatch(src)
	if m == nil {
		panic("testbed/moto: launcher.py has no MOTO_VERSION line")
	}
	return "moto[server]==" + string(m[1])
}

// readyPrefix starts the one line launcher.py prints once it accepts connections.
const readyPrefix = "moto ready on "

// Options configure StartProcess. The zero value is ready to use.
type Options struct {
	// Python is the interpreter; empty means $AMIAUDIT_PYTHON or python3.
	Python string
	// Port is the loopback port to listen on; 0 lets the kernel pick a free one
	// (the launcher binds it and reports it, so no other process can take it
	// between the choice and the bind).
	Port int
	// Log receives moto's stderr; nil keeps only the tail for error messages.
	Log io.Writer
	// Verbose makes moto log every request to Log.
	Verbose bool
	// StartTimeout bounds the wait for the server to answer; 0 means 60s.
	StartTimeout time.Duration
}

// Server is a running moto process.
type Server struct {
	url  string
	cmd  *exec.Cmd
	tail *tailWriter
	// stdin is never written to. Holding it keeps the pipe open (a dropped
	// *os.File is closed by its finalizer); the launcher exits at EOF.
	stdin io.WriteCloser
	done  chan struct{} // closed when the process has exited
	err   error         // the process's exit status, valid once done is closed

	stopOnce sync.Once
}

// URL is the server's base URL, http://127.0.0.1:PORT: the endpoint for every
// service (AWS_ENDPOINT_URL or aws.Config.BaseEndpoint).
func (s *Server) URL() string { return s.url }

func python(opts Options) string {
	if opts.Python != "" {
		return opts.Python
	}
	if p := os.Getenv("AMIAUDIT_PYTHON"); p != "" {
		return p
	}
	return "python3"
}

// Available reports whether moto is ready for the test bed, with the command
// that installs it when not. The answer is the launcher's own
// (launcher.py --check, which scripts/test-deps runs too): moto at the
// launcher's MOTO_VERSION with its server extras importable.
func Available() error { return available(Options{}) }

func available(opts Options) error {
	py := python(opts)
	script, remove, err := writeLauncher("amiaudit-moto-check-")
	if err != nil {
		return fmt.Errorf("moto test bed: %w", err)
	}
	defer remove()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, py, script, "--check").CombinedOutput()
	if err != nil {
		var notFound *exec.Error
		if errors.As(err, &notFound) {
			return fmt.Errorf("moto test bed: %s not found (%w); install Python 3, then %s", py, err, InstallHint)
		}
		msg := lastLine(string(out))
		if !strings.Contains(msg, "pip install") {
			// The interpreter did not get as far as the check.
			msg = strings.TrimSpace(fmt.Sprintf("%v %s", err, msg)) + "; install Python 3 with moto: " + InstallHint
		}
		return fmt.Errorf("moto test bed: %s launcher.py --check: %s", py, msg)
	}
	return nil
}

// writeLauncher writes launcher.py into a new temporary directory (named
// with prefix) and returns its path and what removes the directory.
func writeLauncher(prefix string) (script string, remove func(), err error) {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return "", nil, err
	}
	remove = func() { os.RemoveAll(dir) }
	script = filepath.Join(dir, "launcher.py")
	if err := os.WriteFile(script, launcher, 0o600); err != nil {
		remove()
		return "", nil, err
	}
	return script, remove, nil
}

// StartProcess starts moto and returns once it answers HTTP. ctx bounds the
// start only; the server runs until Stop, or until this process exits (the
// launcher exits when its stdin, a pipe held by this process, closes).
func StartProcess(ctx context.Context, opts Options) (*Server, error) {
	script, remove, err := writeLauncher("amiaudit-moto-")
	if err != nil {
		return nil, fmt.Errorf("moto launcher: %w", err)
	}
	// Python has read the script by the time it prints its ready line; the
	// file is not needed after that.
	defer remove()

	args := []string{script, "--host", "127.0.0.1", "--port", fmt.Sprint(opts.Port)}
	if opts.Verbose {
		args = append(args, "--verbose")
	}
	cmd := exec.Command(python(opts), args...)
	ownProcessGroup(cmd)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("moto launcher: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("moto launcher: %w", err)
	}
	tail := &tailWriter{max: 8 << 10}
	cmd.Stderr = tail
	if opts.Log != nil {
		cmd.Stderr = io.MultiWriter(tail, opts.Log)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto (%s): %w; %s", cmd.Path, err, InstallHint)
	}
	s := &Server{cmd: cmd, tail: tail, stdin: stdin, done: make(chan struct{})}

	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, readyPrefix) {
				ready <- strings.TrimPrefix(line, readyPrefix)
				break
			}
		}
		// Keep draining so moto never blocks on a full stdout pipe.
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()

	timeout := opts.StartTimeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	select {
	case s.url = <-ready:
	case <-s.done:
		return nil, fmt.Errorf("moto exited before it was ready (%v): %s", s.err, s.tail.String())
	case <-ctx.Done():
		_ = s.Stop()
		return nil, fmt.Errorf("moto did not start within %s: %w: %s", timeout, ctx.Err(), s.tail.String())
	}
	if err := s.waitHTTP(ctx); err != nil {
		_ = s.Stop()
		return nil, err
	}
	return s, nil
}

// waitHTTP confirms that the server answers, not merely that it bound a socket.
func (s *Server) waitHTTP(ctx context.Context) error {
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/moto-api/data.json", nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("moto at %s does not answer: %w: %s", s.url, ctx.Err(), s.tail.String())
		case <-s.done:
			return fmt.Errorf("moto exited (%v): %s", s.err, s.tail.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Stop ends the server: SIGTERM to its process group, then SIGKILL after
// five seconds. It is safe to call more than once.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		_ = s.stdin.Close()
		terminate(s.cmd)
		select {
		case <-s.done:
		case <-time.After(5 * time.Second):
			kill(s.cmd)
			<-s.done
		}
	})
	return nil
}

// Reset drops every resource in every account (moto's /moto-api/reset). The
// launcher's patches stay in force.
func (s *Server) Reset(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url+"/moto-api/reset", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("reset moto: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reset moto: HTTP %d", resp.StatusCode)
	}
	return nil
}

// Start starts a server for one test and stops it when the test ends. It
// fails the test, rather than skipping it, when moto is not installed: an
// end-to-end test that silently does not run proves nothing.
func Start(t testing.TB) *Server {
	t.Helper()
	if err := Available(); err != nil {
		t.Fatalf("%v (make test installs it: scripts/test-deps)", err)
	}
	s, err := StartProcess(context.Background(), Options{})
	if err != nil {
		t.Fatalf("start moto: %v", err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	return s
}

var shared struct {
	sync.Mutex
	server *Server
	err    error
}

// Shared returns the test binary's one shared server, starting it on first
// use. It is never stopped explicitly: it exits with the test binary. Tests
// that share it must not depend on an empty server; they keep apart by using
// their own accounts (scenario.FreshAccountIDs).
func Shared(t testing.TB) *Server {
	t.Helper()
	shared.Lock()
	defer shared.Unlock()
	if shared.server == nil && shared.err == nil {
		if shared.err = Available(); shared.err == nil {
			shared.server, shared.err = StartProcess(context.Background(), Options{})
		}
	}
	if shared.err != nil {
		t.Fatalf("start moto: %v (make test installs it: scripts/test-deps)", shared.err)
	}
	return shared.server
}

// tailWriter keeps the last max bytes written, for error messages.
type tailWriter struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (w *tailWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	if over := len(w.buf) - w.max; over > 0 {
		w.buf = w.buf[over:]
	}
	return len(p), nil
}

func (w *tailWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := strings.TrimSpace(string(w.buf))
	if s == "" {
		return "(no output on stderr)"
	}
	return s
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
