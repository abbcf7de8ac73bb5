package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// slowAWS answers a collection's first calls quickly and every
// DescribeImageAttribute slowly, so that a collection is still running when
// the test interrupts it.
type slowAWS struct{ attributeCalls atomic.Int32 }

func (s *slowAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if r.Header.Get("X-Amz-Target") != "" {
		w.Header().Set("X-Amzn-Errortype", "AWSOrganizationsNotInUseException")
		w.WriteHeader(400)
		fmt.Fprint(w, `{"__type":"AWSOrganizationsNotInUseException","message":"not in an organization"}`)
		return
	}
	form, _ := url.ParseQuery(string(body))
	const ns = `xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"`
	switch form.Get("Action") {
	case "GetCallerIdentity":
		fmt.Fprint(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:root</Arn><UserId>A</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)
	case "DescribeImages":
		var b strings.Builder
		for i := 0; i < 500; i++ {
			fmt.Fprintf(&b, `<item><imageId>ami-%017x</imageId><imageOwnerId>123456789012</imageOwnerId></item>`, i)
		}
		fmt.Fprintf(w, `<DescribeImagesResponse %s><requestId>r</requestId><imagesSet>%s</imagesSet></DescribeImagesResponse>`, ns, b.String())
	case "DescribeSnapshots":
		fmt.Fprintf(w, `<DescribeSnapshotsResponse %s><requestId>r</requestId><snapshotSet/></DescribeSnapshotsResponse>`, ns)
	case "DescribeImageAttribute":
		s.attributeCalls.Add(1)
		select {
		case <-time.After(200 * time.Millisecond):
		case <-r.Context().Done():
			return
		}
		fmt.Fprintf(w, `<DescribeImageAttributeResponse %s><requestId>r</requestId><imageId>%s</imageId><launchPermission/></DescribeImageAttributeResponse>`, ns, form.Get("ImageId"))
	default:
		w.WriteHeader(400)
		fmt.Fprintf(w, `<Response><Errors><Error><Code>InvalidAction</Code><Message>no</Message></Error></Errors><RequestID>r</RequestID></Response>`)
	}
}

// TestInterruptLeavesNoFile: SIGINT during collection ends the run with exit
// code 3, and neither the snapshot nor a temporary file is left behind.
func TestInterruptLeavesNoFile(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "amiaudit")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	aws := &slowAWS{}
	srv := httptest.NewServer(aws)
	defer srv.Close()

	dir := t.TempDir()
	out := filepath.Join(dir, "snapshot.json")
	cmd := exec.Command(bin, "collect", "--regions", "us-east-1", "--out", out)
	cmd.Env = append(os.Environ(), "AWS_ENDPOINT_URL="+srv.URL, "AWS_ACCESS_KEY_ID=AKIDTEST", "AWS_SECRET_ACCESS_KEY=secret",
		"AWS_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for aws.attributeCalls.Load() < 5 {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("collection did not start: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("amiaudit did not stop within 10 s of SIGINT")
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("exit: %v, want code 3; stderr: %s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("stderr does not say it was interrupted: %q", stderr.String())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("files left behind: %v", entries)
	}
	if aws.attributeCalls.Load() >= 500 {
		t.Errorf("the collection ran to the end instead of stopping")
	}
}
