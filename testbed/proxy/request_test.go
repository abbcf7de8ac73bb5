package proxy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

func TestParseRequest(t *testing.T) {
	const auth = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/%s/%s/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc"
	sign := func(region, service string) string {
		return strings.Replace(strings.Replace(auth, "%s", region, 1), "%s", service, 1)
	}
	for _, tc := range []struct {
		name, method, target, body, header string
		want                               request
	}{
		{
			name: "ec2 query body", method: "POST", target: "/",
			body:   "Action=DescribeImages&Version=2016-11-15&Owner.1=self",
			header: sign("eu-west-1", "ec2"),
			want:   request{service: "ec2", region: "eu-west-1", action: "DescribeImages", accessKey: "AKIAIOSFODNN7EXAMPLE"},
		},
		{
			name: "assume role names its target account", method: "POST", target: "/",
			body:   "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A222233334444%3Arole%2FOrganizationAccountAccessRole&RoleSessionName=s",
			header: sign("us-east-1", "sts"),
			want:   request{service: "sts", region: "us-east-1", action: "AssumeRole", accessKey: "AKIAIOSFODNN7EXAMPLE", target: "222233334444"},
		},
		{
			name: "query action in URL", method: "GET", target: "/?Action=GetCallerIdentity&Version=2011-06-15",
			header: sign("us-east-1", "sts"),
			want:   request{service: "sts", region: "us-east-1", action: "GetCallerIdentity", accessKey: "AKIAIOSFODNN7EXAMPLE"},
		},
		{
			name: "ebs list blocks", method: "GET", target: "/snapshots/snap-0123/blocks?maxResults=100",
			header: sign("us-west-2", "ebs"),
			want:   request{service: "ebs", region: "us-west-2", action: "ListSnapshotBlocks", accessKey: "AKIAIOSFODNN7EXAMPLE"},
		},
		{
			name: "ebs get block", method: "GET", target: "/snapshots/snap-0123/blocks/7?blockToken=x",
			header: sign("us-west-2", "ebs"),
			want:   request{service: "ebs", region: "us-west-2", action: "GetSnapshotBlock", accessKey: "AKIAIOSFODNN7EXAMPLE"},
		},
		{
			name: "ebs changed blocks", method: "GET", target: "/snapshots/snap-0123/changedblocks",
			header: sign("us-west-2", "ebs"),
			want:   request{service: "ebs", region: "us-west-2", action: "ListChangedBlocks", accessKey: "AKIAIOSFODNN7EXAMPLE"},
		},
		{
			name: "ebs start", method: "POST", target: "/snapshots", body: `{"VolumeSize":1}`,
			header: sign("us-west-2", "ebs"),
			want:   request{service: "ebs", region: "us-west-2", action: "StartSnapshot", accessKey: "AKIAIOSFODNN7EXAMPLE"},
		},
		{
			name: "ebs put block", method: "PUT", target: "/snapshots/snap-0123/blocks/0", body: "data",
			header: sign("us-west-2", "ebs"),
			want:   request{service: "ebs", region: "us-west-2", action: "PutSnapshotBlock", accessKey: "AKIAIOSFODNN7EXAMPLE"},
		},
		{
			name: "ebs complete", method: "POST", target: "/snapshots/completion/snap-0123",
			header: sign("us-west-2", "ebs"),
			want:   request{service: "ebs", region: "us-west-2", action: "CompleteSnapshot", accessKey: "AKIAIOSFODNN7EXAMPLE"},
		},
		{
			name: "presigned", method: "GET",
			target: "/?Action=GetCallerIdentity&X-Amz-Credential=ASIAXXXXXXXXXXXXXXXX%2F20260101%2Fap-south-1%2Fsts%2Faws4_request",
			want:   request{service: "sts", region: "ap-south-1", action: "GetCallerIdentity", accessKey: "ASIAXXXXXXXXXXXXXXXX"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body))
			if tc.header != "" {
				r.Header.Set("Authorization", tc.header)
			}
			if tc.method == "POST" && strings.HasPrefix(tc.body, "Action=") {
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
			}
			if got := parseRequest(r, []byte(tc.body)); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}

	t.Run("json target", func(t *testing.T) {
		for target, want := range map[string]string{
			"TrentService.DescribeKey":                  "DescribeKey",
			"AWSOrganizationsV20161128.ListAccounts":    "ListAccounts",
			"AWSOrganizationsV20161128.DescribeAccount": "DescribeAccount",
		} {
			r := httptest.NewRequest("POST", "/", strings.NewReader("{}"))
			r.Header.Set("X-Amz-Target", target)
			r.Header.Set("Authorization", sign("us-east-1", "kms"))
			if got := parseRequest(r, []byte("{}")).action; got != want {
				t.Errorf("%s: action %q, want %q", target, got, want)
			}
		}
	})

	t.Run("unsigned call to an AWS host", func(t *testing.T) {
		r := httptest.NewRequest("POST", "https://sts.eu-central-1.amazonaws.com/", strings.NewReader("Action=AssumeRoleWithWebIdentity"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		got := parseRequest(r, []byte("Action=AssumeRoleWithWebIdentity"))
		if want := (request{service: "sts", region: "eu-central-1", action: "AssumeRoleWithWebIdentity"}); got != want {
			t.Errorf("got %+v, want %+v", got, want)
		}
	})
}

func TestAccessKeyAccount(t *testing.T) {
	keys := newAccessKeys("123456789012")
	keys.learn("ASIAROLEKEY000000001", "210987654321", "")
	for _, tc := range []struct {
		key, header, want string
	}{
		{"ASIAROLEKEY000000001", "", "210987654321"},
		{"AKIAUNKNOWN000000001", "", "123456789012"},
		// moto 5 has no "12-digit key is an account" rule (LocalStack does).
		{"111122223333", "", "123456789012"},
		{"ASIAROLEKEY000000001", "444455556666", "444455556666"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if tc.header != "" {
			r.Header.Set("x-moto-account-id", tc.header)
		}
		if got := keys.account(r, tc.key); got != tc.want {
			t.Errorf("key %s header %q: account %s, want %s", tc.key, tc.header, got, tc.want)
		}
	}
}

func TestErrorStatus(t *testing.T) {
	for _, tc := range []struct {
		service, code string
		want          int
	}{
		{"ec2", "UnauthorizedOperation", http.StatusForbidden},
		{"ec2", "AuthFailure", http.StatusUnauthorized},
		{"ec2", "OptInRequired", http.StatusUnauthorized},
		{"ec2", "RequestLimitExceeded", http.StatusServiceUnavailable},
		{"ec2", "InternalError", http.StatusInternalServerError},
		{"ec2", "Unavailable", http.StatusServiceUnavailable},
		{"ec2", "InvalidAMIID.NotFound", http.StatusBadRequest},
		{"sts", "AccessDenied", http.StatusForbidden},
		{"sts", "Throttling", http.StatusBadRequest},
		{"kms", "AccessDeniedException", http.StatusBadRequest},
		{"kms", "ThrottlingException", http.StatusBadRequest},
		{"organizations", "AccessDeniedException", http.StatusBadRequest},
		{"organizations", "TooManyRequestsException", http.StatusBadRequest},
		{"ebs", "AccessDeniedException", http.StatusForbidden},
		{"ebs", "RequestThrottledException", http.StatusBadRequest},
	} {
		if got := errorStatus(protocolOf(tc.service), tc.code); got != tc.want {
			t.Errorf("%s %s: status %d, want %d", tc.service, tc.code, got, tc.want)
		}
	}
}

// TestForwardsSignedRequestIntact signs a request as the SDK does, sends it
// through the proxy and verifies the signature where it lands, as a server
// that checks SigV4 would: method, path, query, signed headers and body must
// all arrive unchanged.
func TestForwardsSignedRequestIntact(t *testing.T) {
	creds := aws.Credentials{AccessKeyID: "AKIAAMIAUDITTEST0001", SecretAccessKey: "secret"}
	signer := v4.NewSigner()
	sign := func(r *http.Request, body []byte, at time.Time) error {
		sum := sha256.Sum256(body)
		return signer.SignHTTP(context.Background(), creds, r, hex.EncodeToString(sum[:]), "ec2", "eu-west-1", at)
	}

	var verified, gotBody = make(chan error, 1), ""
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		gotBody = string(body)
		// Re-sign a copy holding only the headers the client signed.
		m := credentialScopeSigned.FindStringSubmatch(r.Header.Get("Authorization"))
		if m == nil {
			verified <- fmt.Errorf("no SignedHeaders in %q", r.Header.Get("Authorization"))
			return
		}
		at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
		if err != nil {
			verified <- err
			return
		}
		check, _ := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), bytes.NewReader(body))
		for _, h := range strings.Split(m[1], ";") {
			if h != "host" && h != "content-length" {
				check.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
			}
		}
		check.Header.Del("X-Amz-Date") // the signer sets it again from at
		check.ContentLength = r.ContentLength
		if err := sign(check, body, at); err != nil {
			verified <- err
			return
		}
		if got, want := check.Header.Get("Authorization"), r.Header.Get("Authorization"); got != want {
			verified <- fmt.Errorf("signature does not verify upstream:\n got  %s\n want %s", got, want)
			return
		}
		verified <- nil
		w.Write([]byte("<DescribeImagesResponse/>"))
	}))
	defer upstream.Close()

	p, err := Start(Config{Upstream: upstream.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	body := []byte("Action=DescribeImages&Version=2016-11-15&Owner.1=self&Filter.1.Name=name&Filter.1.Value.1=a%20b%2Bc")
	r, _ := http.NewRequest("POST", p.URL()+"/?x=1", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if err := sign(r, body, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := <-verified; err != nil {
		t.Error(err)
	}
	if gotBody != string(body) {
		t.Errorf("upstream body %q, want %q", gotBody, body)
	}
	if c := p.Calls(); len(c) != 1 || c[0].Action != "DescribeImages" || c[0].Region != "eu-west-1" {
		t.Errorf("recorded %+v", c)
	}
}

var credentialScopeSigned = regexp.MustCompile(`SignedHeaders=([^,\s]+)`)
