package proxy

import (
	"bytes"
	"compress/gzip"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// accessKeys mirrors moto 5's rule for the account a request acts as
// (BaseResponse.get_current_account): the x-moto-account-id header if set,
// else the account whose IAM backend holds the access key (keys moto issued
// through STS AssumeRole or IAM CreateAccessKey), else the default account.
// The proxy learns the keys by reading those answers as they pass through.
// (moto's highest-priority source, its MOTO_ACCOUNT_ID environment variable,
// is invisible from here: it is what Config.DefaultAccount is for.)
type accessKeys struct {
	fallback string

	mu    sync.Mutex
	byKey map[string]string
	// arns is the principal of each learnt key, for CloudTrail's userIdentity.
	arns map[string]string
}

func newAccessKeys(fallback string) *accessKeys {
	return &accessKeys{fallback: fallback, byKey: map[string]string{}, arns: map[string]string{}}
}

func (a *accessKeys) account(r *http.Request, key string) string {
	if acct := r.Header.Get("x-moto-account-id"); acct != "" {
		return acct
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if acct, ok := a.byKey[key]; ok {
		return acct
	}
	return a.fallback
}

func (a *accessKeys) learn(key, account, arn string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.byKey[key] = account
	a.arns[key] = arn
}

// identity is who a key acts as, for a CloudTrail record: the assumed-role
// session or IAM user moto issued it to, or for any other key an IAM user
// named "testbed" of the account (the proxy cannot know more).
func (a *accessKeys) identity(key, account string) identity {
	a.mu.Lock()
	arn := a.arns[key]
	a.mu.Unlock()
	parts := strings.Split(arn, "/")
	switch {
	case strings.Contains(arn, ":assumed-role/") && len(parts) == 3:
		return identity{
			kind: "AssumedRole", arn: arn, username: parts[2],
			issuer: "arn:aws:iam::" + arnAccount(arn) + ":role/" + parts[1],
		}
	case strings.Contains(arn, ":user/") && len(parts) >= 2:
		return identity{kind: "IAMUser", arn: arn, username: parts[len(parts)-1]}
	}
	return identity{kind: "IAMUser", arn: "arn:aws:iam::" + account + ":user/testbed", username: "testbed"}
}

// issuedKeys is the part of an STS AssumeRole* or IAM CreateAccessKey answer
// that names a new access key. The result element's name differs per action
// (AssumeRoleResult, AssumeRoleWithWebIdentityResult, CreateAccessKeyResult),
// hence ",any".
type issuedKeys struct {
	Results []struct {
		Credentials struct {
			AccessKeyID string `xml:"AccessKeyId"`
		}
		AssumedRoleUser struct {
			Arn string
		}
		AccessKey struct {
			AccessKeyID string `xml:"AccessKeyId"`
			UserName    string
		}
	} `xml:",any"`
}

// learnAccessKeys is the ReverseProxy's ModifyResponse: it reads the access
// keys moto issues and leaves the answer as it was.
func (p *Proxy) learnAccessKeys(resp *http.Response) error {
	c, _ := resp.Request.Context().Value(callKey{}).(*Call)
	if c == nil || resp.StatusCode != http.StatusOK {
		return nil
	}
	assume := c.Service == "sts" && strings.HasPrefix(c.Action, "AssumeRole")
	create := c.Service == "iam" && c.Action == "CreateAccessKey"
	if !assume && !create {
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))

	// From here on a failure only costs the mapping, never the answer.
	var plain io.Reader = bytes.NewReader(body)
	if resp.Header.Get("Content-Encoding") == "gzip" {
		if plain, err = gzip.NewReader(plain); err != nil {
			slog.Warn("proxy: unreadable answer", "service", c.Service, "action", c.Action, "err", err)
			return nil
		}
	}
	var out issuedKeys
	if err := xml.NewDecoder(plain).Decode(&out); err != nil {
		slog.Warn("proxy: unreadable answer", "service", c.Service, "action", c.Action, "err", err)
		return nil
	}
	for _, res := range out.Results {
		switch {
		case res.Credentials.AccessKeyID != "" && arnAccount(res.AssumedRoleUser.Arn) != "":
			p.keys.learn(res.Credentials.AccessKeyID, arnAccount(res.AssumedRoleUser.Arn), res.AssumedRoleUser.Arn)
			return nil
		case res.AccessKey.AccessKeyID != "":
			// A user's key lives in the IAM backend of the account that made it.
			p.keys.learn(res.AccessKey.AccessKeyID, c.Account,
				"arn:aws:iam::"+c.Account+":user/"+res.AccessKey.UserName)
			return nil
		}
	}
	// Calls made with that key will be recorded under the default account:
	// say so, since tests asserting per-account counts would fail obscurely.
	slog.Warn("proxy: no access key in answer", "service", c.Service, "action", c.Action)
	return nil
}

// arnAccount returns the account field of an ARN (arn:aws:sts::ACCOUNT:...).
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}
