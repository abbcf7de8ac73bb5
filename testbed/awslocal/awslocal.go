// Package awslocal builds aws-sdk-go-v2 configurations that talk to an AWS
// emulator (moto) on this machine, and only to one on this machine.
//
// The configurations are built by hand, not by config.LoadDefaultConfig: no
// environment variable, shared config file or instance role can point a test
// bed client at a real AWS account, whose resources the seeder would create.
package awslocal

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Static test credentials. moto accepts any key; one it did not issue acts as
// its default account, 123456789012.
const (
	AccessKeyID     = "testbed"
	SecretAccessKey = "testbed"
	// DefaultAccount is the account moto acts as for keys it did not issue.
	DefaultAccount = "123456789012"
	// HomeRegion is where global services (STS, Organizations) are called.
	HomeRegion = "us-east-1"
	// AccessRole is the role assumed in every account, as an organization's
	// management account does in its members. moto needs no such role to
	// exist: AssumeRole into arn:aws:iam::ACCOUNT:role/NAME returns
	// credentials that act as ACCOUNT whatever NAME is.
	AccessRole = "OrganizationAccountAccessRole"
)

// CheckLoopback refuses any endpoint whose host is not a loopback address
// (127.0.0.0/8, ::1 or localhost). Seeding mutates: a typo must never turn it
// against a real AWS endpoint.
func CheckLoopback(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("endpoint %q: want http://127.0.0.1:PORT (an emulator on this machine)", endpoint)
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("endpoint %q: refusing a host that is not a loopback address (127.0.0.0/8, ::1, localhost): the test bed creates and changes resources and must only ever talk to an emulator on this machine", endpoint)
}

// Config is a configuration for the emulator at endpoint, in region, with the
// static test credentials (moto's default account).
func Config(endpoint, region string) (aws.Config, error) {
	if err := CheckLoopback(endpoint); err != nil {
		return aws.Config{}, err
	}
	return aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, ""),
		BaseEndpoint: aws.String(strings.TrimRight(endpoint, "/")),
		// moto answers at once or not at all; a retry only hides a bug, and
		// a retried create could seed a resource twice.
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Transport: wholeBody{http.DefaultTransport}},
	}, nil
}

// wholeBody reads each response whole inside the round trip. Under load, moto
// (werkzeug) sometimes drops the connection between a response's headers and
// its body; the call then failed in the SDK's deserializer with "use of
// closed network connection", after the server had done the work. Reading
// here lets a read-only call be sent again, and a create is never resent
// (it may have happened): it fails with the error as before.
type wholeBody struct{ next http.RoundTripper }

func (t wholeBody) RoundTrip(req *http.Request) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		resp, err := t.next.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err == nil {
			resp.Body = io.NopCloser(bytes.NewReader(body))
			resp.ContentLength = int64(len(body))
			return resp, nil
		}
		if attempt >= 2 || !readOnlyCall(req) {
			return nil, err
		}
		if req.Body, err = req.GetBody(); err != nil {
			return nil, err
		}
	}
}

// readOnlyCall reports calls that change nothing, which are safe to resend.
func readOnlyCall(req *http.Request) bool {
	if req.GetBody == nil {
		return false
	}
	body, err := req.GetBody()
	if err != nil {
		return false
	}
	defer body.Close()
	b, _ := io.ReadAll(io.LimitReader(body, 4096))
	action := req.Header.Get("X-Amz-Target")
	if i := strings.LastIndex(action, "."); i >= 0 {
		action = action[i+1:]
	} else if v, err := url.ParseQuery(string(b)); err == nil {
		action = v.Get("Action")
	}
	for _, p := range []string{"Describe", "Get", "List", "AssumeRole"} {
		if strings.HasPrefix(action, p) {
			return true
		}
	}
	return false
}

// AssumeAccount returns cfg acting as account: AssumeRole into
// arn:aws:iam::ACCOUNT:role/AccessRole, with the resulting session
// credentials fixed in the configuration.
func AssumeAccount(ctx context.Context, cfg aws.Config, account string) (aws.Config, error) {
	creds, err := AssumeRole(ctx, cfg, RoleARN(account, AccessRole), "amiaudit-testbed")
	if err != nil {
		return aws.Config{}, err
	}
	out := cfg.Copy()
	out.Credentials = credentials.StaticCredentialsProvider{Value: creds}
	return out, nil
}

// AssumeRole calls STS AssumeRole and returns the session credentials.
func AssumeRole(ctx context.Context, cfg aws.Config, roleARN, session string) (aws.Credentials, error) {
	out, err := sts.NewFromConfig(cfg, func(o *sts.Options) { o.Region = HomeRegion }).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:         aws.String(roleARN),
		RoleSessionName: aws.String(session),
	})
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("assume role %s: %w", roleARN, err)
	}
	c := out.Credentials
	return aws.Credentials{
		AccessKeyID:     aws.ToString(c.AccessKeyId),
		SecretAccessKey: aws.ToString(c.SecretAccessKey),
		SessionToken:    aws.ToString(c.SessionToken),
		Source:          "amiaudit-testbed AssumeRole",
	}, nil
}

// RoleARN is arn:aws:iam::ACCOUNT:role/NAME.
func RoleARN(account, name string) string {
	return fmt.Sprintf("arn:aws:iam::%s:role/%s", account, name)
}

// InRegion returns cfg with another region.
func InRegion(cfg aws.Config, region string) aws.Config {
	out := cfg.Copy()
	out.Region = region
	return out
}
