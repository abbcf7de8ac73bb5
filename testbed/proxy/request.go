package proxy

import (
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// request is what the proxy needs to know about an AWS call.
type request struct {
	service, region, action, accessKey string
	// target is the account an STS AssumeRole call asks to enter (from its
	// RoleArn), so that a fault can refuse entry to one account.
	target string
}

// credentialScope matches SigV4's "Credential=AKID/DATE/REGION/SERVICE/aws4_request".
var credentialScope = regexp.MustCompile(`Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request`)

// awsHost matches service.region.amazonaws.com and global service.amazonaws.com,
// for the rare unsigned call (AssumeRoleWithWebIdentity) sent to a real host.
var awsHost = regexp.MustCompile(`^([a-z0-9-]+)\.(?:([a-z0-9-]+)\.)?amazonaws\.com`)

// parseRequest reads service, region, access key and action from a request
// whose body has already been read into body.
func parseRequest(r *http.Request, body []byte) request {
	var req request
	if m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		req.accessKey, req.region, req.service = m[1], m[2], m[3]
	} else if cred := r.URL.Query().Get("X-Amz-Credential"); cred != "" {
		// Presigned URL: same scope, in the query string.
		if parts := strings.Split(cred, "/"); len(parts) == 5 {
			req.accessKey, req.region, req.service = parts[0], parts[2], parts[3]
		}
	}
	if req.service == "" {
		if m := awsHost.FindStringSubmatch(r.Host); m != nil {
			req.service, req.region = m[1], m[2]
		}
	}
	if req.region == "" {
		req.region = "us-east-1" // what moto assumes for an unscoped request
	}

	switch {
	case r.Header.Get("X-Amz-Target") != "":
		// JSON 1.1 (KMS, Organizations): "TrentService.DescribeKey".
		target := r.Header.Get("X-Amz-Target")
		req.action = target[strings.LastIndex(target, ".")+1:]
	case req.service == "ebs":
		req.action = ebsAction(r.Method, r.URL.Path)
	default:
		// Query protocol (EC2, STS, IAM): Action in the form body or the URL.
		req.action = r.URL.Query().Get("Action")
		if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "application/x-www-form-urlencoded" {
			if form, err := url.ParseQuery(string(body)); err == nil && form.Get("Action") != "" {
				req.action = form.Get("Action")
				if parts := strings.Split(form.Get("RoleArn"), ":"); len(parts) > 4 {
					req.target = parts[4]
				}
			}
		}
	}
	return req
}

// ebsAction maps the EBS direct APIs' REST routes (from the service model) to
// operation names.
func ebsAction(method, path string) string {
	p := strings.Split(strings.Trim(path, "/"), "/")
	if len(p) == 0 || p[0] != "snapshots" {
		return ""
	}
	switch {
	case method == http.MethodPost && len(p) == 1:
		return "StartSnapshot"
	case method == http.MethodPost && len(p) == 3 && p[1] == "completion":
		return "CompleteSnapshot"
	case method == http.MethodGet && len(p) == 3 && p[2] == "blocks":
		return "ListSnapshotBlocks"
	case method == http.MethodGet && len(p) == 3 && p[2] == "changedblocks":
		return "ListChangedBlocks"
	case method == http.MethodGet && len(p) == 4 && p[2] == "blocks":
		return "GetSnapshotBlock"
	case method == http.MethodPut && len(p) == 4 && p[2] == "blocks":
		return "PutSnapshotBlock"
	}
	return ""
}
