package awslocal

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// dropper answers every call's headers, but cuts the first body short.
func dropper(calls *atomic.Int32) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			conn, buf, _ := w.(http.Hijacker).Hijack()
			buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
			_ = buf.Flush()
			_ = conn.Close()
			return
		}
		io.WriteString(w, "<ok/>")
	})
}

func post(t *testing.T, url, body string) (string, error) {
	t.Helper()
	client := &http.Client{Transport: wholeBody{http.DefaultTransport}}
	resp, err := client.Post(url, "application/x-www-form-urlencoded", strings.NewReader(body))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(bufio.NewReader(resp.Body))
	return string(b), err
}

func TestWholeBodyResendsReadOnlyCalls(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(dropper(&calls))
	defer srv.Close()
	got, err := post(t, srv.URL, "Action=DescribeImages&Version=2016-11-15")
	if err != nil || got != "<ok/>" {
		t.Fatalf("got %q, %v; want the resent call's answer", got, err)
	}
	if calls.Load() != 2 {
		t.Errorf("%d calls, want 2", calls.Load())
	}
}

func TestWholeBodyNeverResendsCreates(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(dropper(&calls))
	defer srv.Close()
	if _, err := post(t, srv.URL, "Action=CreateImage&Version=2016-11-15"); err == nil {
		t.Fatal("a create whose answer was lost succeeded")
	}
	if calls.Load() != 1 {
		t.Errorf("%d calls, want 1: a create may have happened and must not be resent", calls.Load())
	}
}
