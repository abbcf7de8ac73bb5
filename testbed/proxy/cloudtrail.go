package proxy

// CloudTrail emulation: moto 5.2.1 has no CloudTrail, so the proxy keeps the
// management events of the mutating EC2 and KMS calls that succeed through it
// (a scenario seeder's, a test's later changes) and answers CloudTrail
// LookupEvents over them, per account and region, in the shapes of the API
// reference:
//
//   - request and errors: https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html
//     (one LookupAttribute at most; StartTime/EndTime inclusive; MaxResults
//     1..50, default 50; NextToken only with the parameters that produced it;
//     the last 90 days; events newest first)
//   - https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupAttribute.html
//   - https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_Event.html
//     (EventId, EventName, ReadOnly as a string, AccessKeyId, EventTime,
//     EventSource, Username, Resources, CloudTrailEvent: the record as a
//     JSON string)
//   - https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_Resource.html
//   - the record: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
//     (eventVersion, userIdentity, eventTime, eventSource, eventName,
//     awsRegion, sourceIPAddress, userAgent, requestParameters,
//     responseElements, requestID, eventID, readOnly, resources, eventType
//     AwsApiCall, managementEvent, recipientAccountId, eventCategory)
//   - KMS records: https://docs.aws.amazon.com/kms/latest/developerguide/ct-put-key-policy.html
//     and ct-creategrant.html (requestParameters keyId as the caller wrote
//     it, policyName, policy, granteePrincipal, operations; resources
//     [{ARN, accountId}])
//   - EC2 records: no AWS page shows ModifyImageAttribute or
//     ModifySnapshotAttribute records; the shape here is that of records
//     captured from AWS by Stratus Red Team
//     (https://stratus-red-team.cloud/attack-techniques/AWS/aws.exfiltration.ec2-share-ami/
//     and .../aws.exfiltration.ec2-share-ebs-snapshot/): requestParameters
//     {imageId, attributeType "launchPermission", launchPermission {add |
//     remove: {items: [{userId} | {group: "all"}]}}} and {snapshotId,
//     attributeType "CREATE_VOLUME_PERMISSION", createVolumePermission {...}},
//     responseElements {requestId, _return: true}.
//
// What the proxy does not reproduce (documented in testbed/README.md): failed
// calls (AWS records them with errorCode; the proxy records only 2xx
// answers), read-only events (Describe*, Get*, List*, KMS cryptographic
// calls), services other than EC2 and KMS, delivery delay (AWS: about 5
// minutes; here an event is visible as soon as the call returns), and the
// exact requestParameters of calls other than those named above, which are a
// lower-camel rendition of the request.

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
)

// Event is one CloudTrail management event as LookupEvents returns it.
type Event struct {
	// Account and Region are the trail the event is in: the account the call
	// was attributed to (Call.Account) and its region.
	Account, Region string
	// ID is the EventId (a random UUID when empty).
	ID string
	// Name is the EventName (the API action), e.g. ModifyImageAttribute.
	Name string
	// Source is the EventSource, e.g. ec2.amazonaws.com; empty means
	// kms.amazonaws.com for KMS action names and ec2.amazonaws.com otherwise.
	Source string
	// Time is the EventTime, truncated to the second as AWS records it;
	// zero means the proxy's clock now.
	Time time.Time
	// ReadOnly is whether the event is a read (recorded calls are never).
	ReadOnly bool
	// AccessKeyID and Username identify the caller.
	AccessKeyID, Username string
	// Resources are the resources LookupEvents names for the event.
	Resources []Resource
	// RequestParameters and ResponseElements go into the record.
	RequestParameters map[string]any
	ResponseElements  map[string]any
	// Record is the CloudTrailEvent string. Empty means the proxy builds it
	// from the fields above; set it to craft an edge case (a record without
	// requestParameters, malformed JSON...).
	Record string
}

// Resource is one entry of Event.Resources.
type Resource struct {
	// Type is e.g. AWS::EC2::Ami, AWS::EC2::Snapshot, AWS::KMS::Key; AWS
	// returns null when it cannot tell (empty here).
	Type string
	// Name is the resource ID, or for a KMS key its ARN.
	Name string
}

// trail holds the events of every account-region.
type trail struct {
	mu     sync.Mutex
	seq    uint64
	events map[trailKey][]storedEvent
	// tokenKey makes NextTokens opaque and specific to this proxy.
	tokenKey [16]byte
	once     sync.Once
}

type trailKey struct{ account, region string }

type storedEvent struct {
	Event
	seq uint64
}

// lookupRetention is how far back LookupEvents reaches (API_LookupEvents:
// "events that occurred in a Region within the last 90 days").
const lookupRetention = 90 * 24 * time.Hour

// kmsEventNames are KMS actions, for Event.Source's default.
var kmsEventNames = []string{
	"CancelKeyDeletion", "CreateAlias", "CreateGrant", "CreateKey", "DeleteAlias",
	"DisableKey", "DisableKeyRotation", "EnableKey", "EnableKeyRotation", "PutKeyPolicy",
	"ReplicateKey", "RetireGrant", "RevokeGrant", "ScheduleKeyDeletion", "TagResource",
	"UntagResource", "UpdateAlias", "UpdateKeyDescription", "UpdatePrimaryRegion",
}

// AddEvent puts an event straight into the trail of e.Account and e.Region,
// as if AWS had recorded it: for changes made straight to moto (not through
// the proxy) and for crafted edge cases. It returns the event as stored.
func (p *Proxy) AddEvent(e Event) (Event, error) {
	if e.Account == "" || e.Region == "" || e.Name == "" {
		return Event{}, errors.New("proxy event: Account, Region and Name are required")
	}
	if e.ID == "" {
		e.ID = requestID()
	}
	if e.Source == "" {
		e.Source = "ec2.amazonaws.com"
		if slices.Contains(kmsEventNames, e.Name) {
			e.Source = "kms.amazonaws.com"
		}
	}
	if e.Time.IsZero() {
		e.Time = p.now()
	}
	e.Time = e.Time.UTC().Truncate(time.Second)
	if e.Record == "" {
		e.Record = buildRecord(e, nil)
	}
	p.trail.add(e)
	return e, nil
}

// Events returns the events of one account-region, newest first (the order
// of LookupEvents), for assertions.
func (p *Proxy) Events(account, region string) []Event {
	var out []Event
	for _, s := range p.trail.sorted(trailKey{account, region}) {
		out = append(out, s.Event)
	}
	return out
}

func (t *trail) add(e Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.events == nil {
		t.events = map[trailKey][]storedEvent{}
	}
	t.seq++
	k := trailKey{e.Account, e.Region}
	t.events[k] = append(t.events[k], storedEvent{Event: e, seq: t.seq})
}

// sorted is a copy of k's events, newest first; among events of the same
// second the later recorded comes first.
func (t *trail) sorted(k trailKey) []storedEvent {
	t.mu.Lock()
	out := append([]storedEvent(nil), t.events[k]...)
	t.mu.Unlock()
	sort.SliceStable(out, func(i, j int) bool { return newer(out[i], out[j]) })
	return out
}

func newer(a, b storedEvent) bool {
	if !a.Time.Equal(b.Time) {
		return a.Time.After(b.Time)
	}
	return a.seq > b.seq
}

func (t *trail) key() []byte {
	t.once.Do(func() { rand.Read(t.tokenKey[:]) })
	return t.tokenKey[:]
}

// ---- recording ----

// recordable reports whether a call c, once answered 2xx, is a management
// write event the proxy keeps: EC2 and KMS actions that are not reads. KMS's
// cryptographic calls are read-only events in CloudTrail and carry data
// (plaintexts) the proxy must not keep, so they are left out.
func recordable(c *Call) bool {
	if isRead(c.Action) || c.Action == "" {
		return false
	}
	switch c.Service {
	case "ec2":
		return true
	case "kms":
		switch c.Action {
		case "Encrypt", "Decrypt", "ReEncrypt", "GenerateDataKey", "GenerateDataKeyPair",
			"GenerateDataKeyPairWithoutPlaintext", "GenerateDataKeyWithoutPlaintext",
			"GenerateRandom", "Sign", "Verify", "GenerateMac", "VerifyMac", "DeriveSharedSecret":
			return false
		}
		return true
	}
	return false
}

// maxCaptured bounds the copy of an answer kept for responseElements.
const maxCaptured = 1 << 20

// recordCall turns a successful mutating call into an event of its
// account-region. answer is a copy of the answer body (possibly gzipped, as
// header says).
func (p *Proxy) recordCall(c *Call, r *http.Request, body []byte, header http.Header, answer []byte) {
	if answer != nil && header.Get("Content-Encoding") == "gzip" {
		if zr, err := gzip.NewReader(bytes.NewReader(answer)); err == nil {
			answer, _ = io.ReadAll(zr)
		}
	}
	req := parseRequest(r, body)
	e := Event{
		Account:     c.Account,
		Region:      c.Region,
		Name:        c.Action,
		Time:        p.now(),
		AccessKeyID: req.accessKey,
	}
	var params, response map[string]any
	var keyARN string
	switch c.Service {
	case "ec2":
		e.Source = "ec2.amazonaws.com"
		form, _ := url.ParseQuery(string(body))
		if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/x-www-form-urlencoded" {
			form = r.URL.Query()
		}
		params = ec2RequestParameters(c.Action, form)
		response = ec2ResponseElements(answer)
		e.Resources = ec2Resources(form, response)
	case "kms":
		e.Source = "kms.amazonaws.com"
		var in map[string]any
		if len(bytes.TrimSpace(body)) > 0 {
			if err := json.Unmarshal(body, &in); err != nil {
				in = nil
			}
		}
		params = lowerCamel(in, "").(map[string]any)
		var out map[string]any
		if len(bytes.TrimSpace(answer)) > 0 && json.Unmarshal(answer, &out) == nil {
			response = lowerCamel(out, "").(map[string]any)
			for _, secret := range []string{"grantToken", "plaintext", "ciphertextBlob", "privateKeyPlaintext"} {
				delete(response, secret)
			}
		}
		keyARN = kmsKeyARN(c.Account, c.Region, params["keyId"])
		if keyARN == "" && response != nil {
			if md, ok := response["keyMetadata"].(map[string]any); ok {
				keyARN, _ = md["arn"].(string)
			}
		}
		if keyARN != "" {
			e.Resources = []Resource{{Type: "AWS::KMS::Key", Name: keyARN}}
			if response != nil && c.Action == "CreateGrant" {
				// ct-creategrant.html: records since December 2022 carry
				// the key ARN in responseElements.keyId.
				response["keyId"] = keyARN
			}
		}
	}
	e.RequestParameters, e.ResponseElements = params, response
	e.ID = requestID()
	e.Time = e.Time.UTC().Truncate(time.Second)
	who := p.keys.identity(req.accessKey, c.Account)
	e.Username = who.username
	rc := &recordContext{
		identity:  who,
		caller:    c.Account,
		sourceIP:  remoteIP(r),
		userAgent: r.UserAgent(),
		requestID: header.Get("X-Amzn-Requestid"),
	}
	e.Record = buildRecord(e, rc)
	p.trail.add(e)

	// "Cross-account operations on KMS keys are logged in both the caller
	// account and the KMS key owner account"
	// (https://docs.aws.amazon.com/kms/latest/developerguide/logging-using-cloudtrail.html).
	if parts := strings.Split(keyARN, ":"); len(parts) == 6 && parts[4] != c.Account {
		owner := e
		owner.Account, owner.Region, owner.ID = parts[4], parts[3], requestID()
		owner.Record = buildRecord(owner, rc)
		p.trail.add(owner)
	}
}

// recordContext is what a recorded call adds to its record.
type recordContext struct {
	identity identity
	// caller is the account of the caller when it is not the trail's (a
	// cross-account KMS call, recorded in the key owner's trail too).
	caller                         string
	sourceIP, userAgent, requestID string
}

// identity is the caller as the record's userIdentity names it.
type identity struct {
	kind, arn, username string
	// issuer is the role of an assumed-role session.
	issuer string
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// buildRecord renders the CloudTrailEvent JSON of e (record contents page).
func buildRecord(e Event, rc *recordContext) string {
	if rc == nil {
		rc = &recordContext{identity: identity{
			kind: "IAMUser", username: e.Username,
			arn: "arn:aws:iam::" + e.Account + ":user/" + e.Username,
		}}
	}
	if rc.requestID == "" {
		rc.requestID = requestID()
	}
	if rc.sourceIP == "" {
		rc.sourceIP = "AWS Internal"
	}
	if rc.userAgent == "" {
		rc.userAgent = "AWS Internal"
	}
	caller := rc.caller
	if caller == "" {
		caller = e.Account
	}
	uid := map[string]any{
		"type":        rc.identity.kind,
		"principalId": e.AccessKeyID,
		"arn":         rc.identity.arn,
		"accountId":   caller,
		"accessKeyId": e.AccessKeyID,
	}
	if rc.identity.kind == "IAMUser" {
		uid["userName"] = rc.identity.username
	}
	if rc.identity.issuer != "" {
		uid["sessionContext"] = map[string]any{
			"sessionIssuer": map[string]any{
				"type":      "Role",
				"arn":       rc.identity.issuer,
				"accountId": caller,
				"userName":  rc.identity.issuer[strings.LastIndex(rc.identity.issuer, "/")+1:],
			},
		}
	}
	var params, response any
	if e.RequestParameters != nil {
		params = e.RequestParameters
	}
	if e.ResponseElements != nil {
		response = e.ResponseElements
	}
	rec := map[string]any{
		"eventVersion":       "1.11",
		"userIdentity":       uid,
		"eventTime":          e.Time.UTC().Format("2006-01-02T15:04:05Z"),
		"eventSource":        e.Source,
		"eventName":          e.Name,
		"awsRegion":          e.Region,
		"sourceIPAddress":    rc.sourceIP,
		"userAgent":          rc.userAgent,
		"requestParameters":  params,
		"responseElements":   response,
		"requestID":          rc.requestID,
		"eventID":            e.ID,
		"readOnly":           e.ReadOnly,
		"eventType":          "AwsApiCall",
		"managementEvent":    true,
		"recipientAccountId": e.Account,
		"eventCategory":      "Management",
	}
	if e.Source == "kms.amazonaws.com" {
		var res []map[string]any
		for _, r := range e.Resources {
			owner := e.Account
			if parts := strings.Split(r.Name, ":"); len(parts) == 6 {
				owner = parts[4]
			}
			res = append(res, map[string]any{"accountId": owner, "type": r.Type, "ARN": r.Name})
		}
		if res != nil {
			rec["resources"] = res
		}
	}
	b, err := json.Marshal(rec)
	if err != nil {
		panic(err) // only maps of JSON values: a failure is a bug
	}
	return string(b)
}

// kmsKeyARN is the ARN of the key a KMS call names: an ARN as given, an ID
// made into the caller's account-region ARN, nothing for an alias (resolving
// it would take moto's state; the collector treats an event without a
// resource conservatively).
func kmsKeyARN(account, region string, keyID any) string {
	id, _ := keyID.(string)
	switch {
	case id == "", strings.HasPrefix(id, "alias/"):
		return ""
	case strings.HasPrefix(id, "arn:"):
		if strings.Contains(id, ":key/") {
			return id
		}
		return "" // an alias ARN
	}
	return "arn:aws:kms:" + region + ":" + account + ":key/" + id
}

// lowerCamel renames the members of a JSON request or answer the way
// CloudTrail writes them (KeyId → keyId), leaving the keys of free-form maps
// (encryption contexts) alone.
func lowerCamel(v any, parent string) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			name := k
			if !strings.HasPrefix(parent, "EncryptionContext") {
				name = lowerFirst(k)
			}
			out[name] = lowerCamel(x, k)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = lowerCamel(x, parent)
		}
		return out
	case nil:
		if parent == "" {
			return map[string]any{}
		}
	}
	return v
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = unicode.ToLower(r[0])
	return string(r)
}

// ec2RequestParameters renders an EC2 query request as CloudTrail logs it:
// dotted names become nested lower-camel members, numbered lists become
// {"items": [...]}. ModifyImageAttribute and ModifySnapshotAttribute are
// shaped as AWS records them (see the file comment): the flat UserId.N /
// UserGroup.N form with OperationType is folded into the structured
// permission, and Attribute becomes attributeType.
func ec2RequestParameters(action string, form url.Values) map[string]any {
	root := map[string]any{}
	for key, values := range form {
		if key == "Action" || key == "Version" || key == "DryRun" || len(values) == 0 {
			continue
		}
		setPath(root, strings.Split(key, "."), values[0])
	}
	out := itemize(root).(map[string]any)

	var permission, attributeType string
	switch action {
	case "ModifyImageAttribute":
		permission, attributeType = "launchPermission", "launchPermission"
	case "ModifySnapshotAttribute":
		permission, attributeType = "createVolumePermission", "CREATE_VOLUME_PERMISSION"
	default:
		return out
	}
	op, _ := out["operationType"].(string)
	var items []any
	for _, flat := range []struct{ param, field string }{
		{"userId", "userId"}, {"userGroup", "group"},
		{"organizationArn", "organizationArn"}, {"organizationalUnitArn", "organizationalUnitArn"},
	} {
		if list, ok := out[flat.param].(map[string]any); ok {
			for _, v := range list["items"].([]any) {
				items = append(items, map[string]any{flat.field: v})
			}
			delete(out, flat.param)
		}
	}
	if len(items) > 0 && (op == "add" || op == "remove") {
		perm, _ := out[permission].(map[string]any)
		if perm == nil {
			perm = map[string]any{}
		}
		existing, _ := perm[op].(map[string]any)
		if existing == nil {
			existing = map[string]any{"items": []any{}}
		}
		existing["items"] = append(existing["items"].([]any), items...)
		perm[op] = existing
		out[permission] = perm
	}
	delete(out, "operationType")
	attr, _ := out["attribute"].(string)
	delete(out, "attribute")
	switch {
	case out[permission] != nil:
		out["attributeType"] = attributeType
	case attr != "":
		out["attributeType"] = attr
	case out["description"] != nil:
		out["attributeType"] = "description"
	}
	return out
}

// setPath stores value at the dotted path, lower-camel, numbers as map keys
// (itemize turns them into lists).
func setPath(node map[string]any, path []string, value string) {
	name := path[0]
	if _, err := strconv.Atoi(name); err != nil {
		name = lowerFirst(name)
	}
	if len(path) == 1 {
		node[name] = value
		return
	}
	child, ok := node[name].(map[string]any)
	if !ok {
		child = map[string]any{}
		node[name] = child
	}
	setPath(child, path[1:], value)
}

// itemize turns maps whose keys are all list indexes into {"items": [...]}
// in index order (EC2's CloudTrail lists: launchPermission.add.items).
func itemize(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	indexes := make([]int, 0, len(m))
	for k := range m {
		n, err := strconv.Atoi(k)
		if err != nil {
			indexes = nil
			break
		}
		indexes = append(indexes, n)
	}
	if len(indexes) > 0 {
		sort.Ints(indexes)
		items := make([]any, 0, len(indexes))
		for _, n := range indexes {
			items = append(items, itemize(m[strconv.Itoa(n)]))
		}
		return map[string]any{"items": items}
	}
	for k, x := range m {
		m[k] = itemize(x)
	}
	return m
}

// ec2ResponseElements renders an EC2 XML answer as CloudTrail logs it:
// element names as they are (EC2's are lower camel), <item> lists as
// {"items": [...]}, <return> as "_return" (a boolean).
func ec2ResponseElements(answer []byte) map[string]any {
	if len(answer) == 0 {
		return nil
	}
	dec := xml.NewDecoder(bytes.NewReader(answer))
	// Skip to the root element (…Response).
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		if _, ok := tok.(xml.StartElement); ok {
			break
		}
	}
	v, err := xmlValue(dec)
	if err != nil {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	return m
}

// xmlValue reads the content of the element just opened: text, or members.
func xmlValue(dec *xml.Decoder) (any, error) {
	var text strings.Builder
	members := map[string]any{}
	var items []any
	hasChildren := false
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.CharData:
			text.Write(t)
		case xml.StartElement:
			hasChildren = true
			v, err := xmlValue(dec)
			if err != nil {
				return nil, err
			}
			switch name := t.Name.Local; name {
			case "item":
				items = append(items, v)
			case "return":
				b, _ := strconv.ParseBool(fmt.Sprint(v))
				members["_return"] = b
			default:
				members[name] = v
			}
		case xml.EndElement:
			switch {
			case items != nil:
				members["items"] = items
				return members, nil
			case hasChildren:
				return members, nil
			}
			return strings.TrimSpace(text.String()), nil
		}
	}
}

// ec2Resources are the AMIs and snapshots an EC2 call names: ImageId,
// SnapshotId and ResourceId.N parameters, and the imageId or snapshotId of
// the answer (the AMI a RegisterImage or CopyImage made). AWS does not
// document which resources each event lists; this is the proxy's rule.
func ec2Resources(form url.Values, response map[string]any) []Resource {
	var names []string
	for key, values := range form {
		base := key
		if i := strings.IndexByte(key, '.'); i > 0 {
			base = key[:i]
		}
		if base == "ImageId" || base == "SnapshotId" || base == "ResourceId" {
			names = append(names, values...)
		}
	}
	for _, k := range []string{"imageId", "snapshotId"} {
		if s, ok := response[k].(string); ok {
			names = append(names, s)
		}
	}
	sort.Strings(names)
	names = slices.Compact(names)
	var out []Resource
	for _, n := range names {
		if t := ec2ResourceType(n); t != "" {
			out = append(out, Resource{Type: t, Name: n})
		}
	}
	return out
}

func ec2ResourceType(id string) string {
	switch {
	case strings.HasPrefix(id, "ami-"):
		return "AWS::EC2::Ami"
	case strings.HasPrefix(id, "snap-"):
		return "AWS::EC2::Snapshot"
	case strings.HasPrefix(id, "vol-"):
		return "AWS::EC2::Volume"
	case strings.HasPrefix(id, "i-"):
		return "AWS::EC2::Instance"
	}
	return ""
}

// ---- LookupEvents ----

// lookupInput is the LookupEvents request (JSON 1.1; timestamps are epoch
// seconds as JSON numbers).
type lookupInput struct {
	LookupAttributes []struct {
		AttributeKey   string
		AttributeValue string
	}
	StartTime     *float64
	EndTime       *float64
	EventCategory *string
	MaxResults    *int
	NextToken     *string
}

// lookupToken is the content of a NextToken: where the previous page ended
// and a digest of the parameters it was issued for.
type lookupToken struct {
	Time   int64  `json:"t"`
	Seq    uint64 `json:"s"`
	Params string `json:"p"`
}

// apiErr is an error answered in the caller's protocol.
type apiErr struct{ code, message string }

// answerLookupEvents serves CloudTrail LookupEvents from the trail of the
// caller's account-region.
func (p *Proxy) answerLookupEvents(w http.ResponseWriter, c *Call, body []byte) bool {
	if c.Service != "cloudtrail" || c.Action != "LookupEvents" {
		return false
	}
	out, e := p.lookupEvents(c, body)
	if e != nil {
		writeErrorMessage(w, c, e.code, e.message)
		return true
	}
	b, err := json.Marshal(out)
	if err != nil {
		panic(err)
	}
	w.Header().Set("X-Amzn-Requestid", requestID())
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusOK)
	w.Write(b)
	return true
}

type lookupOutput struct {
	Events    []lookupEvent
	NextToken string `json:",omitempty"`
}

type lookupEvent struct {
	EventId         string
	EventName       string
	ReadOnly        string
	AccessKeyId     string
	EventTime       int64
	EventSource     string
	Username        string
	Resources       []lookupResource
	CloudTrailEvent string
}

type lookupResource struct {
	ResourceType *string
	ResourceName string
}

func (p *Proxy) lookupEvents(c *Call, body []byte) (*lookupOutput, *apiErr) {
	var in lookupInput
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, &apiErr{"SerializationException", "LookupEvents request: " + err.Error()}
		}
	}
	if len(in.LookupAttributes) > 1 {
		return nil, &apiErr{"InvalidLookupAttributesException", "You cannot specify more than one lookup attribute."}
	}
	var match func(storedEvent) bool
	if len(in.LookupAttributes) == 1 {
		a := in.LookupAttributes[0]
		if a.AttributeValue == "" {
			return nil, &apiErr{"InvalidLookupAttributesException", "AttributeValue must not be empty."}
		}
		var err error
		if match, err = attributeMatcher(a.AttributeKey, a.AttributeValue); err != nil {
			return nil, &apiErr{"InvalidLookupAttributesException", err.Error()}
		}
	}
	if in.EventCategory != nil && *in.EventCategory != "insight" {
		return nil, &apiErr{"InvalidEventCategoryException", fmt.Sprintf("Event category %q is not valid; the only value is insight.", *in.EventCategory)}
	}
	limit := 50
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 50 {
			return nil, &apiErr{"InvalidMaxResultsException", fmt.Sprintf("MaxResults %d is not valid: it must be between 1 and 50.", *in.MaxResults)}
		}
		limit = *in.MaxResults
	}
	now := p.now()
	start, end := now.Add(-lookupRetention), now
	if in.StartTime != nil {
		start = epoch(*in.StartTime)
	}
	if in.EndTime != nil {
		end = epoch(*in.EndTime)
	}
	if start.After(end) {
		return nil, &apiErr{"InvalidTimeRangeException", "The start time must not be after the end time."}
	}
	digest := p.paramsDigest(c, in)
	var after *lookupToken
	if in.NextToken != nil {
		tok, err := p.decodeToken(*in.NextToken)
		if err != nil || tok.Params != digest {
			return nil, &apiErr{"InvalidNextTokenException", "The NextToken is not valid or was issued for other parameters."}
		}
		after = tok
	}

	out := &lookupOutput{Events: []lookupEvent{}}
	if in.EventCategory != nil {
		return out, nil // no Insights events in the test bed
	}
	var last storedEvent
	more := false
	for _, s := range p.trail.sorted(trailKey{c.Account, c.Region}) {
		if after != nil && !newer(storedEvent{Event: Event{Time: time.Unix(after.Time, 0)}, seq: after.Seq}, s) {
			continue
		}
		if s.Time.Before(start) || s.Time.After(end) || s.Time.Before(now.Add(-lookupRetention)) {
			continue
		}
		if match != nil && !match(s) {
			continue
		}
		if len(out.Events) == limit {
			more = true
			break
		}
		out.Events = append(out.Events, toLookupEvent(s.Event))
		last = s
	}
	if more {
		out.NextToken = p.encodeToken(lookupToken{Time: last.Time.Unix(), Seq: last.seq, Params: digest})
	}
	return out, nil
}

func epoch(sec float64) time.Time {
	whole := int64(sec)
	return time.Unix(whole, int64((sec-float64(whole))*1e9)).UTC()
}

func toLookupEvent(e Event) lookupEvent {
	out := lookupEvent{
		EventId:         e.ID,
		EventName:       e.Name,
		ReadOnly:        strconv.FormatBool(e.ReadOnly),
		AccessKeyId:     e.AccessKeyID,
		EventTime:       e.Time.Unix(),
		EventSource:     e.Source,
		Username:        e.Username,
		Resources:       []lookupResource{},
		CloudTrailEvent: e.Record,
	}
	for _, r := range e.Resources {
		lr := lookupResource{ResourceName: r.Name}
		if r.Type != "" {
			lr.ResourceType = &r.Type
		}
		out.Resources = append(out.Resources, lr)
	}
	return out
}

// attributeMatcher is the test of one LookupAttribute (API_LookupAttribute:
// EventId, EventName, ReadOnly, Username, ResourceType, ResourceName,
// EventSource, AccessKeyId).
func attributeMatcher(key, value string) (func(storedEvent) bool, error) {
	anyResource := func(f func(Resource) bool) func(storedEvent) bool {
		return func(s storedEvent) bool { return slices.ContainsFunc(s.Resources, f) }
	}
	switch key {
	case "EventId":
		return func(s storedEvent) bool { return s.ID == value }, nil
	case "EventName":
		return func(s storedEvent) bool { return s.Name == value }, nil
	case "ReadOnly":
		return func(s storedEvent) bool { return strconv.FormatBool(s.ReadOnly) == value }, nil
	case "Username":
		return func(s storedEvent) bool { return s.Username == value }, nil
	case "EventSource":
		return func(s storedEvent) bool { return s.Source == value }, nil
	case "AccessKeyId":
		return func(s storedEvent) bool { return s.AccessKeyID == value }, nil
	case "ResourceType":
		return anyResource(func(r Resource) bool { return r.Type == value }), nil
	case "ResourceName":
		return anyResource(func(r Resource) bool { return r.Name == value }), nil
	}
	return nil, fmt.Errorf("AttributeKey %q is not valid: want EventId, EventName, ReadOnly, Username, ResourceType, ResourceName, EventSource or AccessKeyId", key)
}

// paramsDigest fixes the parameters a NextToken is valid with: the caller's
// trail, the lookup attribute, the time range and the category as sent
// (MaxResults may change between pages).
func (p *Proxy) paramsDigest(c *Call, in lookupInput) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", c.Account, c.Region)
	for _, a := range in.LookupAttributes {
		fmt.Fprintf(h, "%s\x00%s\x00", a.AttributeKey, a.AttributeValue)
	}
	for _, f := range []*float64{in.StartTime, in.EndTime} {
		if f == nil {
			h.Write([]byte("-\x00"))
		} else {
			fmt.Fprintf(h, "%v\x00", *f)
		}
	}
	if in.EventCategory != nil {
		h.Write([]byte(*in.EventCategory))
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

func (p *Proxy) encodeToken(t lookupToken) string {
	b, _ := json.Marshal(t)
	mac := sha256.Sum256(append(p.trail.key(), b...))
	return base64.RawURLEncoding.EncodeToString(append(mac[:8], b...))
}

func (p *Proxy) decodeToken(s string) (*lookupToken, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(raw) < 9 {
		return nil, errors.New("malformed token")
	}
	mac := sha256.Sum256(append(p.trail.key(), raw[8:]...))
	if !bytes.Equal(mac[:8], raw[:8]) {
		return nil, errors.New("token not issued by this proxy")
	}
	var t lookupToken
	if err := json.Unmarshal(raw[8:], &t); err != nil {
		return nil, err
	}
	return &t, nil
}
