package moto

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestAvailableNamesTheInstallCommand(t *testing.T) {
	err := available(Options{Python: "/nonexistent/python3"})
	if err == nil || !strings.Contains(err.Error(), `pip install "moto[server]`) {
		t.Errorf("available with no interpreter: %v, want the pip install hint", err)
	}
}

func TestStartAndStop(t *testing.T) {
	if err := Available(); err != nil {
		t.Fatal(err)
	}
	s, err := StartProcess(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") {
		t.Errorf("URL = %s", s.URL())
	}
	if err := s.Reset(context.Background()); err != nil {
		t.Error(err)
	}
	if err := s.Stop(); err != nil {
		t.Error(err)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		t.Fatal("process still running after Stop")
	}
	c := http.Client{Timeout: 2 * time.Second}
	if resp, err := c.Get(s.URL() + "/moto-api/data.json"); err == nil {
		resp.Body.Close()
		t.Error("server still answers after Stop")
	}
}

// The launcher must exit when the process that started it goes away, which
// it sees as EOF on stdin.
func TestLauncherExitsWhenStdinCloses(t *testing.T) {
	s, err := StartProcess(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	s.stdin.Close()
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		t.Fatal("launcher still running 10s after its stdin closed")
	}
}
