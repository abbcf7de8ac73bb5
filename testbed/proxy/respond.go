package proxy

import (
	"crypto/rand"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// protocol is the AWS wire protocol of a service, which decides the shape of
// its error answers.
type protocol int

const (
	ec2Query protocol = iota // EC2
	awsQuery                 // STS, IAM
	awsJSON                  // KMS, Organizations (JSON 1.1)
	restJSON                 // EBS direct APIs
)

func protocolOf(service string) protocol {
	switch service {
	case "ec2":
		return ec2Query
	case "kms", "organizations", "cloudtrail":
		return awsJSON
	case "ebs":
		return restJSON
	}
	return awsQuery
}

// throttleCode is the error code each service answers when it throttles.
func throttleCode(service string) string {
	switch service {
	case "ec2":
		return "RequestLimitExceeded"
	case "kms", "cloudtrail":
		// CloudTrail: ThrottlingException, "This exception is thrown when the
		// request rate exceeds the limit" (the service's error shapes).
		return "ThrottlingException"
	case "organizations":
		return "TooManyRequestsException"
	case "ebs":
		return "RequestThrottledException"
	}
	return "Throttling" // STS, IAM
}

// errorStatus is the HTTP status AWS answers with code over protocol p.
// Sources: EC2's error-codes reference and observed answers (AuthFailure and
// OptInRequired are 401, UnauthorizedOperation 403, RequestLimitExceeded
// 503); the SDK models' httpError traits for the EBS direct APIs (REST-JSON
// honours them: AccessDeniedException 403, ResourceNotFoundException 404,
// RequestThrottledException 400). JSON 1.1 services answer 400 for client
// errors whatever the model says: Organizations' TooManyRequestsException is
// modelled 429 but arrives as 400 (botocore retries it by code for that
// reason), and so do KMS's and Organizations' AccessDeniedException. CloudTrail
// is JSON 1.1 too: its AccessDeniedException and ThrottlingException are 400.
func errorStatus(p protocol, code string) int {
	switch code {
	case "AuthFailure", "OptInRequired":
		return http.StatusUnauthorized
	case "UnauthorizedOperation", "Blocked", "AccessDenied", "InvalidClientTokenId",
		"SignatureDoesNotMatch", "RegionDisabledException":
		return http.StatusForbidden
	case "InternalError", "InternalFailure", "KMSInternalException", "ServiceException",
		"InternalServerException":
		return http.StatusInternalServerError
	case "RequestLimitExceeded", "Unavailable", "ServiceUnavailable", "DependencyTimeoutException":
		return http.StatusServiceUnavailable
	case "AccessDeniedException":
		if p == restJSON {
			return http.StatusForbidden
		}
	case "ResourceNotFoundException":
		if p == restJSON {
			return http.StatusNotFound
		}
	}
	return http.StatusBadRequest
}

// errorMessages are AWS's own wording where it is fixed; others get a
// message naming the call, which is what a reader of a test log needs.
var errorMessages = map[string]string{
	"UnauthorizedOperation":     "You are not authorized to perform this operation.",
	"AuthFailure":               "AWS was not able to validate the provided access credentials",
	"OptInRequired":             "You are not subscribed to this service. Please go to http://aws.amazon.com to subscribe.",
	"RequestLimitExceeded":      "Request limit exceeded.",
	"InternalError":             "An internal error has occurred",
	"Unavailable":               "The server is overloaded and can't handle the request.",
	"Throttling":                "Rate exceeded",
	"ThrottlingException":       "Rate exceeded",
	"RequestThrottledException": "Rate exceeded",
	"TooManyRequestsException":  "AWS Organizations can't complete your request because another request is already in progress. Try again later.",
}

func errorMessage(c *Call, code string) string {
	if m, ok := errorMessages[code]; ok {
		return m
	}
	return fmt.Sprintf("%s for %s:%s in account %s, injected by the amiaudit test proxy",
		code, c.Service, c.Action, c.Account)
}

// writeError answers code for call c in the shape c's service uses, so the
// SDK surfaces it as a smithy.APIError with that ErrorCode.
func writeError(w http.ResponseWriter, c *Call, code string) {
	writeErrorMessage(w, c, code, errorMessage(c, code))
}

// writeErrorMessage is writeError with the message given.
func writeErrorMessage(w http.ResponseWriter, c *Call, code, msg string) {
	p := protocolOf(c.Service)
	status := errorStatus(p, code)
	id := requestID()
	h := w.Header()
	h.Set("X-Amzn-Requestid", id)
	switch p {
	case ec2Query:
		type ec2Error struct {
			Code    string
			Message string
		}
		writeXML(w, status, struct {
			XMLName   xml.Name   `xml:"Response"`
			Errors    []ec2Error `xml:"Errors>Error"`
			RequestID string     `xml:"RequestID"`
		}{Errors: []ec2Error{{code, msg}}, RequestID: id})
	case awsQuery:
		errType := "Sender"
		if status >= 500 {
			errType = "Receiver"
		}
		writeXML(w, status, struct {
			XMLName xml.Name `xml:"ErrorResponse"`
			Xmlns   string   `xml:"xmlns,attr"`
			Error   struct {
				Type, Code, Message string
			}
			RequestID string `xml:"RequestId"`
		}{
			Xmlns: "https://" + c.Service + ".amazonaws.com/doc/" + queryVersion(c.Service) + "/",
			Error: struct{ Type, Code, Message string }{errType, code, msg}, RequestID: id,
		})
	case awsJSON, restJSON:
		// The SDK takes the code from X-Amzn-Errortype first, then __type.
		h.Set("X-Amzn-Errortype", code)
		body := map[string]string{"__type": code, "message": msg}
		contentType := "application/x-amz-json-1.1"
		if p == restJSON {
			contentType = "application/json"
			if code == "RequestThrottledException" {
				body["Reason"] = "ACCOUNT_THROTTLED"
			}
		}
		b, _ := json.Marshal(body)
		h.Set("Content-Type", contentType)
		w.WriteHeader(status)
		w.Write(b)
	}
}

func queryVersion(service string) string {
	if service == "iam" {
		return "2010-05-08"
	}
	return "2011-06-15" // STS
}

// ec2Namespace is the namespace of every EC2 answer (the API version the SDK speaks).
const ec2Namespace = "http://ec2.amazonaws.com/doc/2016-11-15/"

// answerSetting answers the EC2 settings calls moto does not serve, in the
// shapes of the SDK's deserializers (awsEc2query_deserializeOpDocument…Output).
func (p *Proxy) answerSetting(w http.ResponseWriter, c *Call) bool {
	if c.Service != "ec2" {
		return false
	}
	s := p.setting(c.Account, c.Region)
	var fields []ec2Field
	switch c.Action {
	case "GetImageBlockPublicAccessState":
		fields = []ec2Field{
			{Name: "imageBlockPublicAccessState", Value: *s.ImageBlockPublicAccess},
			{Name: "managedBy", Value: *s.ManagedBy},
		}
	case "GetSnapshotBlockPublicAccessState":
		fields = []ec2Field{{Name: "state", Value: *s.SnapshotBlockPublicAccess}, {Name: "managedBy", Value: *s.ManagedBy}}
	case "GetAllowedImagesSettings":
		// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_GetAllowedImagesSettings.html
		fields = []ec2Field{
			{Name: "state", Value: *s.AllowedImages},
			{Name: "imageCriterionSet", Children: criteriaNodes(s.AllowedImagesCriteria)},
			{Name: "managedBy", Value: *s.ManagedBy},
		}
	case "GetEbsDefaultKmsKeyId":
		fields = []ec2Field{{Name: "kmsKeyId", Value: *s.EBSDefaultKMSKeyID}}
	default:
		return false
	}
	writeEC2Fields(w, c.Action, fields)
	return true
}

// writeEC2Fields answers the EC2 call action with a flat result of fields
// and a fresh request ID.
func writeEC2Fields(w http.ResponseWriter, action string, fields []ec2Field) {
	id := requestID()
	w.Header().Set("X-Amzn-Requestid", id)
	writeXML(w, http.StatusOK, ec2Result{
		XMLName:   xml.Name{Local: action + "Response"},
		Xmlns:     ec2Namespace,
		RequestID: id,
		Fields:    fields,
	})
}

type ec2Result struct {
	XMLName   xml.Name
	Xmlns     string `xml:"xmlns,attr"`
	RequestID string `xml:"requestId"`
	Fields    []ec2Field
}

type ec2Field struct {
	Name, Value string
	// Children, when set, are written instead of Value.
	Children []*node
}

func (f ec2Field) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	if len(f.Children) > 0 {
		return e.Encode(el(f.Name, "", f.Children...))
	}
	return e.EncodeElement(f.Value, xml.StartElement{Name: xml.Name{Local: f.Name}})
}

// criteriaNodes writes image criteria as the imageCriterionSet items of
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ImageCriterion.html.
func criteriaNodes(cs []ImageCriterion) []*node {
	var out []*node
	for _, c := range cs {
		item := el("item", "")
		for _, l := range []struct {
			name   string
			values []string
		}{{"imageProviderSet", c.ImageProviders}, {"marketplaceProductCodeSet", c.MarketplaceProductCodes}, {"imageNameSet", c.ImageNames}} {
			if len(l.values) == 0 {
				continue
			}
			set := el(l.name, "")
			for _, v := range l.values {
				set.Nodes = append(set.Nodes, el("item", v))
			}
			item.Nodes = append(item.Nodes, set)
		}
		out = append(out, item)
	}
	return out
}

// setting resolves every field for one account-region: a change made through
// the proxy, else the first matching Setting that sets a field; AWS's
// defaults fill the rest.
func (p *Proxy) setting(account, region string) Setting {
	out := Setting{Account: account, Region: region}
	// A change made through the proxy (settings_write.go) wins.
	w := p.written.get(account, region)
	out.ImageBlockPublicAccess, out.SnapshotBlockPublicAccess = w.ImageBlockPublicAccess, w.SnapshotBlockPublicAccess
	out.AllowedImages, out.EBSDefaultKMSKeyID = w.AllowedImages, w.EBSDefaultKMSKeyID
	for _, s := range p.cfg.Settings {
		if !matches(s.Account, account) || !matches(s.Region, region) {
			continue
		}
		out.ImageBlockPublicAccess = first(out.ImageBlockPublicAccess, s.ImageBlockPublicAccess)
		out.SnapshotBlockPublicAccess = first(out.SnapshotBlockPublicAccess, s.SnapshotBlockPublicAccess)
		out.AllowedImages = first(out.AllowedImages, s.AllowedImages)
		out.EBSDefaultKMSKeyID = first(out.EBSDefaultKMSKeyID, s.EBSDefaultKMSKeyID)
		out.ManagedBy = first(out.ManagedBy, s.ManagedBy)
		if out.AllowedImagesCriteria == nil {
			out.AllowedImagesCriteria = s.AllowedImagesCriteria
		}
	}
	out.ManagedBy = first(out.ManagedBy, ptr("account"))
	out.ImageBlockPublicAccess = first(out.ImageBlockPublicAccess, ptr("unblocked"))
	out.SnapshotBlockPublicAccess = first(out.SnapshotBlockPublicAccess, ptr("unblocked"))
	out.AllowedImages = first(out.AllowedImages, ptr("disabled"))
	out.EBSDefaultKMSKeyID = first(out.EBSDefaultKMSKeyID, ptr("alias/aws/ebs"))
	return out
}

// validate catches a misspelt state, which the SDK would pass on silently
// (its enums are plain strings).
func (s Setting) validate() error {
	for _, f := range []struct {
		name  string
		value *string
		valid []string
	}{
		{"ImageBlockPublicAccess", s.ImageBlockPublicAccess, []string{"block-new-sharing", "unblocked"}},
		{"SnapshotBlockPublicAccess", s.SnapshotBlockPublicAccess, []string{"block-all-sharing", "block-new-sharing", "unblocked"}},
		{"AllowedImages", s.AllowedImages, []string{"enabled", "audit-mode", "disabled"}},
		{"ManagedBy", s.ManagedBy, []string{"account", "declarative-policy"}},
	} {
		if f.value != nil && !slices.Contains(f.valid, *f.value) {
			return fmt.Errorf("%s %q: want one of %s", f.name, *f.value, strings.Join(f.valid, ", "))
		}
	}
	if s.EBSDefaultKMSKeyID != nil && *s.EBSDefaultKMSKeyID == "" {
		return errors.New("EBSDefaultKMSKeyID is empty: leave it nil for alias/aws/ebs")
	}
	return nil
}

func first(a, b *string) *string {
	if a != nil {
		return a
	}
	return b
}

func ptr(s string) *string { return &s }

func writeXML(w http.ResponseWriter, status int, v any) {
	b, err := xml.Marshal(v)
	if err != nil {
		// Only the proxy's own fixed types are marshalled: a failure is a bug.
		panic(err)
	}
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(status)
	w.Write([]byte(xml.Header))
	w.Write(b)
}

// requestID is a random UUID, the form AWS request IDs take.
func requestID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
