package proxy

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// The CloudTrail emulation (cloudtrail.go) through the real SDK clients. The
// shapes checked come from the CloudTrail API reference
// (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html,
// API_Event.html, API_Resource.html, API_LookupAttribute.html) and the record
// contents page
// (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html).

// trailProxy is a proxy on a fake clock (through an unlimited throttle, the
// proxy's one clock hook).
func trailProxy(t *testing.T, faults ...Fault) (*Proxy, *fakeClock) {
	t.Helper()
	clock := &fakeClock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	p := startProxy(t, Config{Faults: faults, Throttle: &Throttle{RatePerSecond: 1e9, Burst: 1 << 30, Now: clock.now}})
	return p, clock
}

// lookupName is what the collector does: one EventName per call.
func lookupName(t *testing.T, cfg aws.Config, name string, start, end time.Time) []cttypes.Event {
	t.Helper()
	out, err := cloudtrail.NewFromConfig(cfg).LookupEvents(context.Background(), &cloudtrail.LookupEventsInput{
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String(name)}},
		StartTime:        aws.Time(start), EndTime: aws.Time(end), MaxResults: aws.Int32(50),
	})
	if err != nil {
		t.Fatalf("LookupEvents %s: %v", name, err)
	}
	return out.Events
}

// record decodes an event's CloudTrailEvent string.
func record(t *testing.T, e cttypes.Event) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(e.CloudTrailEvent)), &m); err != nil {
		t.Fatalf("CloudTrailEvent %q: %v", aws.ToString(e.CloudTrailEvent), err)
	}
	return m
}

// field follows a dotted path through decoded JSON (numbers index lists).
func field(v any, path string) any {
	for _, step := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[step]
		case []any:
			var i int
			if _, err := fmt.Sscan(step, &i); err != nil || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func TestCloudTrailRecordsModifyImageAttribute(t *testing.T) {
	ctx := context.Background()
	p, clock := trailProxy(t)
	const region = "eu-west-2"
	cfg := sdkConfig(t, p, region, false)
	ec2c := ec2.NewFromConfig(cfg)
	reg, err := ec2c.RegisterImage(ctx, &ec2.RegisterImageInput{Name: aws.String("trail"), RootDeviceName: aws.String("/dev/sda1")})
	if err != nil {
		t.Fatal(err)
	}
	ami := aws.ToString(reg.ImageId)
	clock.advance(90 * time.Second)
	changed := clock.now()
	if _, err := ec2c.ModifyImageAttribute(ctx, &ec2.ModifyImageAttributeInput{
		ImageId: aws.String(ami),
		LaunchPermission: &ec2types.LaunchPermissionModifications{
			Add: []ec2types.LaunchPermission{{UserId: aws.String("111122223333")}, {Group: ec2types.PermissionGroupAll}},
		},
	}); err != nil {
		t.Fatal(err)
	}
	clock.advance(time.Second)
	// The flat form of the same call (UserId.N with OperationType).
	if _, err := ec2c.ModifyImageAttribute(ctx, &ec2.ModifyImageAttributeInput{
		ImageId: aws.String(ami), Attribute: aws.String("launchPermission"),
		OperationType: ec2types.OperationTypeRemove, UserIds: []string{"111122223333"},
	}); err != nil {
		t.Fatal(err)
	}
	// A read and a failed write leave no event.
	if err := describeImages(cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := ec2c.ModifyImageAttribute(ctx, &ec2.ModifyImageAttributeInput{
		ImageId: aws.String("ami-0000000000000dead"), LaunchPermission: &ec2types.LaunchPermissionModifications{
			Add: []ec2types.LaunchPermission{{Group: ec2types.PermissionGroupAll}},
		},
	}); err == nil {
		t.Fatal("ModifyImageAttribute of a missing AMI succeeded in moto")
	}
	clock.advance(time.Second)

	var names []string
	for _, e := range p.Events(baseAccount, region) {
		names = append(names, e.Name)
	}
	if want := []string{"ModifyImageAttribute", "ModifyImageAttribute", "RegisterImage"}; !slices.Equal(names, want) {
		t.Fatalf("events newest first %v, want %v", names, want)
	}

	events := lookupName(t, cfg, "ModifyImageAttribute", changed.Add(-time.Hour), clock.now())
	if len(events) != 2 {
		t.Fatalf("%d ModifyImageAttribute events, want 2", len(events))
	}
	remove, add := events[0], events[1]
	if got := aws.ToTime(add.EventTime); !got.Equal(changed) {
		t.Errorf("EventTime %v, want the proxy's clock %v", got, changed)
	}
	if !aws.ToTime(remove.EventTime).After(aws.ToTime(add.EventTime)) {
		t.Error("events not newest first")
	}
	for name, got := range map[string]string{
		"EventName":   aws.ToString(add.EventName),
		"ReadOnly":    aws.ToString(add.ReadOnly),
		"AccessKeyId": aws.ToString(add.AccessKeyId),
		"EventSource": aws.ToString(add.EventSource),
		"Username":    aws.ToString(add.Username),
	} {
		want := map[string]string{
			"EventName": "ModifyImageAttribute", "ReadOnly": "false", "AccessKeyId": "AKIAAMIAUDITTEST0001",
			"EventSource": "ec2.amazonaws.com", "Username": "testbed",
		}[name]
		if got != want {
			t.Errorf("%s %q, want %q", name, got, want)
		}
	}
	if len(aws.ToString(add.EventId)) != 36 || aws.ToString(add.EventId) == aws.ToString(remove.EventId) {
		t.Errorf("EventIds %q, %q: want two distinct UUIDs", aws.ToString(add.EventId), aws.ToString(remove.EventId))
	}
	if len(add.Resources) != 1 || aws.ToString(add.Resources[0].ResourceType) != "AWS::EC2::Ami" || aws.ToString(add.Resources[0].ResourceName) != ami {
		t.Errorf("Resources %+v, want the AMI %s", add.Resources, ami)
	}

	rec := record(t, add)
	for path, want := range map[string]any{
		"eventVersion":                    "1.11",
		"eventTime":                       changed.Format("2006-01-02T15:04:05Z"),
		"eventSource":                     "ec2.amazonaws.com",
		"eventName":                       "ModifyImageAttribute",
		"awsRegion":                       region,
		"recipientAccountId":              baseAccount,
		"eventType":                       "AwsApiCall",
		"readOnly":                        false,
		"managementEvent":                 true,
		"eventID":                         aws.ToString(add.EventId),
		"userIdentity.accountId":          baseAccount,
		"userIdentity.accessKeyId":        "AKIAAMIAUDITTEST0001",
		"requestParameters.imageId":       ami,
		"requestParameters.attributeType": "launchPermission",
		"requestParameters.launchPermission.add.items.0.userId": "111122223333",
		"requestParameters.launchPermission.add.items.1.group":  "all",
	} {
		if got := field(rec, path); got != want {
			t.Errorf("record %s = %#v, want %#v", path, got, want)
		}
	}
	// responseElements is moto's answer rendered as CloudTrail does (AWS
	// adds "_return": true, which moto's ModifyImageAttribute leaves out).
	if _, ok := rec["responseElements"].(map[string]any); !ok {
		t.Errorf("responseElements %#v, want an object", rec["responseElements"])
	}
	if t.Failed() {
		t.Logf("record: %s", aws.ToString(add.CloudTrailEvent))
	}
	rec = record(t, remove)
	for path, want := range map[string]any{
		"requestParameters.imageId":                                ami,
		"requestParameters.attributeType":                          "launchPermission",
		"requestParameters.launchPermission.remove.items.0.userId": "111122223333",
	} {
		if got := field(rec, path); got != want {
			t.Errorf("flat form: record %s = %#v, want %#v", path, got, want)
		}
	}
	if field(rec, "requestParameters.operationType") != nil || field(rec, "requestParameters.userId") != nil {
		t.Errorf("flat form left in the record: %v", rec["requestParameters"])
	}

	// RegisterImage names the new AMI (from moto's answer).
	regs := lookupName(t, cfg, "RegisterImage", changed.Add(-time.Hour), clock.now())
	if len(regs) != 1 || len(regs[0].Resources) != 1 || aws.ToString(regs[0].Resources[0].ResourceName) != ami {
		t.Errorf("RegisterImage events %+v, want one naming %s", regs, ami)
	} else if got := field(record(t, regs[0]), "responseElements.imageId"); got != ami {
		t.Errorf("RegisterImage responseElements.imageId %v", got)
	}
}

func TestCloudTrailLookupFilters(t *testing.T) {
	ctx := context.Background()
	p, clock := trailProxy(t)
	const region = "eu-south-1"
	cfg := sdkConfig(t, p, region, false)
	t0 := clock.now()
	add := func(e Event) Event {
		t.Helper()
		e.Account, e.Region = baseAccount, region
		got, err := p.AddEvent(e)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	snap := add(Event{Name: "ModifySnapshotAttribute", Time: t0, Resources: []Resource{{"AWS::EC2::Snapshot", "snap-0aaa"}},
		RequestParameters: map[string]any{"snapshotId": "snap-0aaa"}})
	img := add(Event{Name: "ModifyImageAttribute", Time: t0.Add(10 * time.Second), Resources: []Resource{{"AWS::EC2::Ami", "ami-0bbb"}}})
	key := add(Event{Name: "PutKeyPolicy", Time: t0.Add(20 * time.Second), Username: "alice",
		Resources: []Resource{{"AWS::KMS::Key", "arn:aws:kms:eu-south-1:123456789012:key/k1"}}})
	read := add(Event{Name: "DescribeImages", Time: t0.Add(30 * time.Second), ReadOnly: true})
	if key.Source != "kms.amazonaws.com" || snap.Source != "ec2.amazonaws.com" {
		t.Errorf("default sources %q, %q", key.Source, snap.Source)
	}
	if _, err := p.AddEvent(Event{Name: "X"}); err == nil {
		t.Error("AddEvent without account and region accepted")
	}
	clock.advance(time.Minute) // LookupEvents' default EndTime is now

	ids := func(t *testing.T, in *cloudtrail.LookupEventsInput) []string {
		t.Helper()
		out, err := cloudtrail.NewFromConfig(cfg).LookupEvents(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range out.Events {
			got = append(got, aws.ToString(e.EventId))
		}
		return got
	}
	attr := func(k cttypes.LookupAttributeKey, v string) []cttypes.LookupAttribute {
		return []cttypes.LookupAttribute{{AttributeKey: k, AttributeValue: aws.String(v)}}
	}
	for _, tc := range []struct {
		name string
		in   cloudtrail.LookupEventsInput
		want []Event
	}{
		{"all, newest first", cloudtrail.LookupEventsInput{}, []Event{read, key, img, snap}},
		{"EventName", cloudtrail.LookupEventsInput{LookupAttributes: attr(cttypes.LookupAttributeKeyEventName, "ModifyImageAttribute")}, []Event{img}},
		{"EventName is exact", cloudtrail.LookupEventsInput{LookupAttributes: attr(cttypes.LookupAttributeKeyEventName, "modifyimageattribute")}, nil},
		{"ReadOnly false", cloudtrail.LookupEventsInput{LookupAttributes: attr(cttypes.LookupAttributeKeyReadOnly, "false")}, []Event{key, img, snap}},
		{"ResourceName", cloudtrail.LookupEventsInput{LookupAttributes: attr(cttypes.LookupAttributeKeyResourceName, "snap-0aaa")}, []Event{snap}},
		{"ResourceType", cloudtrail.LookupEventsInput{LookupAttributes: attr(cttypes.LookupAttributeKeyResourceType, "AWS::KMS::Key")}, []Event{key}},
		{"EventSource", cloudtrail.LookupEventsInput{LookupAttributes: attr(cttypes.LookupAttributeKeyEventSource, "kms.amazonaws.com")}, []Event{key}},
		{"Username", cloudtrail.LookupEventsInput{LookupAttributes: attr(cttypes.LookupAttributeKeyUsername, "alice")}, []Event{key}},
		{"EventId", cloudtrail.LookupEventsInput{LookupAttributes: attr(cttypes.LookupAttributeKeyEventId, img.ID)}, []Event{img}},
		// StartTime and EndTime are inclusive (API_LookupEvents).
		{"window inclusive", cloudtrail.LookupEventsInput{StartTime: aws.Time(t0.Add(10 * time.Second)), EndTime: aws.Time(t0.Add(20 * time.Second))}, []Event{key, img}},
		{"window excludes", cloudtrail.LookupEventsInput{StartTime: aws.Time(t0.Add(11 * time.Second)), EndTime: aws.Time(t0.Add(19 * time.Second))}, nil},
		{"start only", cloudtrail.LookupEventsInput{StartTime: aws.Time(t0.Add(25 * time.Second))}, []Event{read}},
		{"insight category", cloudtrail.LookupEventsInput{EventCategory: cttypes.EventCategoryInsight}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want []string
			for _, e := range tc.want {
				want = append(want, e.ID)
			}
			if got := ids(t, &tc.in); !slices.Equal(got, want) {
				t.Errorf("events %v, want %v", got, want)
			}
		})
	}

	// Older than LookupEvents' 90 days: gone, even when asked for.
	old := add(Event{Name: "DisableKey", Time: t0.Add(-91 * 24 * time.Hour)})
	if got := ids(t, &cloudtrail.LookupEventsInput{StartTime: aws.Time(old.Time.Add(-time.Hour))}); slices.Contains(got, old.ID) {
		t.Error("an event older than 90 days was returned")
	}

	for _, tc := range []struct {
		name, code string
		in         cloudtrail.LookupEventsInput
	}{
		{"two attributes", "InvalidLookupAttributesException", cloudtrail.LookupEventsInput{LookupAttributes: append(
			attr(cttypes.LookupAttributeKeyEventName, "ModifyImageAttribute"), attr(cttypes.LookupAttributeKeyReadOnly, "false")...)}},
		{"unknown attribute", "InvalidLookupAttributesException", cloudtrail.LookupEventsInput{LookupAttributes: attr("Colour", "red")}},
		{"MaxResults 51", "InvalidMaxResultsException", cloudtrail.LookupEventsInput{MaxResults: aws.Int32(51)}},
		{"MaxResults 0", "InvalidMaxResultsException", cloudtrail.LookupEventsInput{MaxResults: aws.Int32(0)}},
		{"start after end", "InvalidTimeRangeException", cloudtrail.LookupEventsInput{StartTime: aws.Time(t0), EndTime: aws.Time(t0.Add(-time.Second))}},
		{"made-up token", "InvalidNextTokenException", cloudtrail.LookupEventsInput{NextToken: aws.String("bm90LWEtdG9rZW4")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cloudtrail.NewFromConfig(cfg).LookupEvents(ctx, &tc.in)
			if err == nil {
				t.Fatal("no error")
			}
			if code, status := apiError(t, err); code != tc.code || status != 400 {
				t.Errorf("got %s %d, want %s 400", code, status, tc.code)
			}
		})
	}
}

func TestCloudTrailPaging(t *testing.T) {
	ctx := context.Background()
	p, clock := trailProxy(t)
	const region = "eu-central-2"
	cfg := sdkConfig(t, p, region, false)
	// Five events, three within one second (ordered by arrival).
	var want []string
	for i, d := range []time.Duration{0, 0, 0, time.Second, 2 * time.Second} {
		e, err := p.AddEvent(Event{Account: baseAccount, Region: region, Name: "ModifySnapshotAttribute",
			Time: clock.now().Add(d), Resources: []Resource{{"AWS::EC2::Snapshot", fmt.Sprintf("snap-%d", i)}}})
		if err != nil {
			t.Fatal(err)
		}
		want = append([]string{e.ID}, want...)
	}
	var stored []string
	for _, e := range p.Events(baseAccount, region) {
		stored = append(stored, e.ID)
	}
	if !slices.Equal(stored, want) {
		t.Fatalf("Events() %v, want newest first %v", stored, want)
	}

	client := cloudtrail.NewFromConfig(cfg)
	in := &cloudtrail.LookupEventsInput{
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("ModifySnapshotAttribute")}},
		StartTime:        aws.Time(clock.now().Add(-time.Hour)), EndTime: aws.Time(clock.now().Add(time.Hour)),
		MaxResults: aws.Int32(1),
	}
	pages := cloudtrail.NewLookupEventsPaginator(client, in)
	var got []string
	var token *string
	for n := 0; pages.HasMorePages(); n++ {
		out, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Events) != 1 {
			t.Fatalf("page %d: %d events with MaxResults 1", n+1, len(out.Events))
		}
		got = append(got, aws.ToString(out.Events[0].EventId))
		if n == 1 {
			token = out.NextToken
			// An event recorded between pages is newer than the first page:
			// it neither shifts nor repeats what follows.
			if _, err := p.AddEvent(Event{Account: baseAccount, Region: region, Name: "ModifySnapshotAttribute", Time: clock.now().Add(3 * time.Second)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("paged events %v, want %v", got, want)
	}

	// The token is only good with the parameters that produced it.
	if token == nil {
		t.Fatal("no NextToken after the second page")
	}
	other := *in
	other.NextToken = token
	other.LookupAttributes = []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("ModifyImageAttribute")}}
	if _, err := client.LookupEvents(ctx, &other); err == nil {
		t.Error("a token accepted with another attribute")
	} else if code, _ := apiError(t, err); code != "InvalidNextTokenException" {
		t.Errorf("token with another attribute: %s", code)
	}
	same := *in
	same.NextToken = token
	if out, err := client.LookupEvents(ctx, &same); err != nil {
		t.Errorf("token with its own parameters: %v", err)
	} else if len(out.Events) != 1 || aws.ToString(out.Events[0].EventId) != want[2] {
		t.Errorf("token replayed: %+v, want %s", out.Events, want[2])
	}
}

func TestCloudTrailAccountIsolation(t *testing.T) {
	ctx := context.Background()
	p, clock := trailProxy(t)
	const region = "ap-south-2"
	base := sdkConfig(t, p, region, false)
	target := assumed(base, targetRole)

	// A snapshot shared in the role's account, through the role's session.
	ec2t := ec2.NewFromConfig(target)
	vol, err := ec2t.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: aws.String(region + "a"), Size: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := ec2t.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: vol.VolumeId})
	if err != nil {
		t.Fatal(err)
	}
	// The flat form (OperationType + GroupNames): moto ignores the structured
	// CreateVolumePermission form (testbed/README.md), AWS records both alike.
	if _, err := ec2t.ModifySnapshotAttribute(ctx, &ec2.ModifySnapshotAttributeInput{
		SnapshotId: snap.SnapshotId, Attribute: ec2types.SnapshotAttributeNameCreateVolumePermission,
		OperationType: ec2types.OperationTypeAdd, GroupNames: []string{"all"},
	}); err != nil {
		t.Fatal(err)
	}
	// The base account changes something too, in the same region and in another.
	if _, err := ec2.NewFromConfig(base).CreateKeyPair(ctx, &ec2.CreateKeyPairInput{KeyName: aws.String(fmt.Sprintf("iso-%d", time.Now().UnixNano()))}); err != nil {
		t.Fatal(err)
	}
	elsewhere := sdkConfig(t, p, "ap-southeast-3", false)
	if _, err := ec2.NewFromConfig(elsewhere).CreateKeyPair(ctx, &ec2.CreateKeyPairInput{KeyName: aws.String(fmt.Sprintf("iso-%d", time.Now().UnixNano()))}); err != nil {
		t.Fatal(err)
	}
	from, to := clock.now().Add(-time.Hour), clock.now().Add(time.Hour)

	if got := lookupName(t, base, "ModifySnapshotAttribute", from, to); len(got) != 0 {
		t.Errorf("the base account sees the role account's event: %+v", got)
	}
	if got := lookupName(t, base, "CreateKeyPair", from, to); len(got) != 1 {
		t.Errorf("base account %s: %d CreateKeyPair events, want its own one", region, len(got))
	}
	if got := lookupName(t, target, "CreateKeyPair", from, to); len(got) != 0 {
		t.Errorf("the role account sees the base account's events: %+v", got)
	}
	got := lookupName(t, target, "ModifySnapshotAttribute", from, to)
	if len(got) != 1 {
		t.Fatalf("role account: %d ModifySnapshotAttribute events, want 1", len(got))
	}
	e := got[0]
	if k := aws.ToString(e.AccessKeyId); k == "" || k == "AKIAAMIAUDITTEST0001" {
		t.Errorf("AccessKeyId %q is not the session's", aws.ToString(e.AccessKeyId))
	}
	if len(e.Resources) != 1 || aws.ToString(e.Resources[0].ResourceType) != "AWS::EC2::Snapshot" || aws.ToString(e.Resources[0].ResourceName) != aws.ToString(snap.SnapshotId) {
		t.Errorf("Resources %+v, want snapshot %s", e.Resources, aws.ToString(snap.SnapshotId))
	}
	rec := record(t, e)
	for path, want := range map[string]any{
		"recipientAccountId":                                         targetAccount,
		"userIdentity.type":                                          "AssumedRole",
		"userIdentity.accountId":                                     targetAccount,
		"userIdentity.sessionContext.sessionIssuer.arn":              targetRole,
		"requestParameters.snapshotId":                               aws.ToString(snap.SnapshotId),
		"requestParameters.attributeType":                            "CREATE_VOLUME_PERMISSION",
		"requestParameters.createVolumePermission.add.items.0.group": "all",
	} {
		if got := field(rec, path); got != want {
			t.Errorf("record %s = %#v, want %#v", path, got, want)
		}
	}
	if arn, _ := field(rec, "userIdentity.arn").(string); !strings.HasSuffix(arn, "/"+aws.ToString(e.Username)) || aws.ToString(e.Username) == "" {
		t.Errorf("Username %q is not the session name of %q", aws.ToString(e.Username), arn)
	}
	if n := len(p.Events(targetAccount, region)); n < 3 {
		t.Errorf("role account has %d events, want CreateVolume, CreateSnapshot and ModifySnapshotAttribute", n)
	}
}

func TestCloudTrailFaultsAndThrottle(t *testing.T) {
	ctx := context.Background()
	for _, action := range []string{"cloudtrail:LookupEvents", "LookupEvents"} {
		t.Run(action, func(t *testing.T) {
			p, _ := trailProxy(t, Fault{Action: action, Code: "AccessDeniedException"})
			_, err := cloudtrail.NewFromConfig(sdkConfig(t, p, "us-east-2", false)).LookupEvents(ctx, &cloudtrail.LookupEventsInput{})
			if err == nil {
				t.Fatal("no error")
			}
			if code, status := apiError(t, err); code != "AccessDeniedException" || status != 400 {
				t.Errorf("got %s %d, want AccessDeniedException 400", code, status)
			}
			if calls := p.Calls(); len(calls) != 1 || calls[0].Service != "cloudtrail" || calls[0].Fault != "AccessDeniedException" {
				t.Errorf("calls %+v", calls)
			}
		})
	}

	// LookupEvents is a read in its own bucket (service cloudtrail).
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	p := startProxy(t, Config{Throttle: &Throttle{RatePerSecond: 2, Burst: 2, Now: clock.now}})
	cfg := sdkConfig(t, p, "us-east-2", false)
	ct := cloudtrail.NewFromConfig(cfg)
	for i := range 2 {
		if _, err := ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{}); err != nil {
			t.Fatalf("call %d within the burst: %v", i+1, err)
		}
	}
	if err := describeImages(cfg); err != nil {
		t.Errorf("EC2 shares CloudTrail's bucket: %v", err)
	}
	_, err := ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{})
	if err == nil {
		t.Fatal("third call not throttled")
	}
	if code, status := apiError(t, err); code != "ThrottlingException" || status != 400 {
		t.Errorf("got %s %d, want ThrottlingException 400", code, status)
	}
}

func TestCloudTrailKMS(t *testing.T) {
	ctx := context.Background()
	p, clock := trailProxy(t)
	const region = "me-central-1"
	cfg := sdkConfig(t, p, region, false)
	kc := kms.NewFromConfig(cfg)
	key, err := kc.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("trail")})
	if err != nil {
		t.Fatal(err)
	}
	id, arn := aws.ToString(key.KeyMetadata.KeyId), aws.ToString(key.KeyMetadata.Arn)
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"}]}`
	if _, err := kc.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: aws.String(id), PolicyName: aws.String("default"), Policy: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	if _, err := kc.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: aws.String(arn), GranteePrincipal: aws.String("arn:aws:iam::444455556666:root"),
		Operations: []kmstypes.GrantOperation{kmstypes.GrantOperationDecrypt}}); err != nil {
		t.Fatal(err)
	}
	// DisableKey (like PutKeyPolicy, CreateGrant, ScheduleKeyDeletion) takes a
	// key ID or ARN, not an alias (API_DisableKey.html).
	if _, err := kc.DisableKey(ctx, &kms.DisableKeyInput{KeyId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	if _, err := kc.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: aws.String(id), PendingWindowInDays: aws.Int32(7)}); err != nil {
		t.Fatal(err)
	}
	from, to := clock.now().Add(-time.Hour), clock.now().Add(time.Hour)

	put := lookupName(t, cfg, "PutKeyPolicy", from, to)
	if len(put) != 1 {
		t.Fatalf("%d PutKeyPolicy events, want 1", len(put))
	}
	e := put[0]
	if aws.ToString(e.EventSource) != "kms.amazonaws.com" || aws.ToString(e.ReadOnly) != "false" {
		t.Errorf("EventSource %q ReadOnly %q", aws.ToString(e.EventSource), aws.ToString(e.ReadOnly))
	}
	if len(e.Resources) != 1 || aws.ToString(e.Resources[0].ResourceType) != "AWS::KMS::Key" || aws.ToString(e.Resources[0].ResourceName) != arn {
		t.Errorf("Resources %+v, want the key ARN %s (built from the ID)", e.Resources, arn)
	}
	rec := record(t, e)
	for path, want := range map[string]any{
		// ct-put-key-policy.html: keyId as the caller wrote it, policyName, policy.
		"requestParameters.keyId":      id,
		"requestParameters.policyName": "default",
		"requestParameters.policy":     policy,
		"resources.0.ARN":              arn,
		"resources.0.accountId":        baseAccount,
		"eventSource":                  "kms.amazonaws.com",
	} {
		if got := field(rec, path); got != want {
			t.Errorf("PutKeyPolicy record %s = %#v, want %#v", path, got, want)
		}
	}

	grant := lookupName(t, cfg, "CreateGrant", from, to)
	if len(grant) != 1 {
		t.Fatalf("%d CreateGrant events", len(grant))
	}
	rec = record(t, grant[0])
	for path, want := range map[string]any{
		"requestParameters.keyId":            arn,
		"requestParameters.granteePrincipal": "arn:aws:iam::444455556666:root",
		"requestParameters.operations.0":     "Decrypt",
		"responseElements.keyId":             arn,
	} {
		if got := field(rec, path); got != want {
			t.Errorf("CreateGrant record %s = %#v, want %#v", path, got, want)
		}
	}
	if field(rec, "responseElements.grantToken") != nil {
		t.Error("the grant token was recorded")
	}

	if del := lookupName(t, cfg, "ScheduleKeyDeletion", from, to); len(del) != 1 {
		t.Errorf("%d ScheduleKeyDeletion events", len(del))
	} else if got := field(record(t, del[0]), "requestParameters.pendingWindowInDays"); got != float64(7) {
		t.Errorf("pendingWindowInDays %#v", got)
	}
	if dis := lookupName(t, cfg, "DisableKey", from, to); len(dis) != 1 || len(dis[0].Resources) != 1 || aws.ToString(dis[0].Resources[0].ResourceName) != arn {
		t.Errorf("DisableKey events %+v, want one naming %s", dis, arn)
	}
	// CreateKey names the new key (from moto's answer).
	if ck := lookupName(t, cfg, "CreateKey", from, to); len(ck) != 1 || len(ck[0].Resources) != 1 || aws.ToString(ck[0].Resources[0].ResourceName) != arn {
		t.Errorf("CreateKey events %+v", ck)
	}
}

// TestKMSKeyARN: the Resources entry of a KMS event is the key ARN; an alias
// (which calls like Encrypt accept) is left unresolved.
func TestKMSKeyARN(t *testing.T) {
	const arn = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	for in, want := range map[any]string{
		"1234abcd-12ab-34cd-56ef-1234567890ab": arn,
		arn:                                    arn,
		"alias/backup":                         "",
		"arn:aws:kms:eu-west-1:111122223333:alias/backup": "",
		"":  "",
		nil: "",
	} {
		if got := kmsKeyARN("111122223333", "eu-west-1", in); got != want {
			t.Errorf("kmsKeyARN(%v) = %q, want %q", in, got, want)
		}
	}
}

// TestCloudTrailCrossAccountKMS: a KMS call on another account's key is in
// both trails ("Cross-account operations on KMS keys are logged in both the
// caller account and the KMS key owner account",
// https://docs.aws.amazon.com/kms/latest/developerguide/logging-using-cloudtrail.html).
// moto keeps keys per account and refuses such calls, so the call is handed
// to the recorder directly.
func TestCloudTrailCrossAccountKMS(t *testing.T) {
	p, _ := trailProxy(t)
	const ownerARN = "arn:aws:kms:eu-west-1:" + targetAccount + ":key/1234abcd-12ab-34cd-56ef-1234567890ab"
	body := `{"KeyId":"` + ownerARN + `","GranteePrincipal":"arn:aws:iam::` + baseAccount + `:root","Operations":["Decrypt"]}`
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	r.Header.Set("X-Amz-Target", "TrentService.CreateGrant")
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAAMIAUDITTEST0001/20260302/eu-west-1/kms/aws4_request, SignedHeaders=host, Signature=0")
	c := &Call{Account: baseAccount, Region: "eu-west-1", Service: "kms", Action: "CreateGrant"}
	p.recordCall(c, r, []byte(body), http.Header{}, []byte(`{"GrantId":"g1","GrantToken":"secret-token"}`))

	mine, theirs := p.Events(baseAccount, "eu-west-1"), p.Events(targetAccount, "eu-west-1")
	if len(mine) != 1 || len(theirs) != 1 {
		t.Fatalf("caller's trail %d events, owner's %d: want one each", len(mine), len(theirs))
	}
	for _, e := range []Event{mine[0], theirs[0]} {
		if len(e.Resources) != 1 || e.Resources[0].Name != ownerARN || e.Name != "CreateGrant" {
			t.Errorf("event %+v", e)
		}
		if strings.Contains(e.Record, "secret-token") {
			t.Error("grant token recorded")
		}
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(theirs[0].Record), &rec); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]any{
		"recipientAccountId":     targetAccount,
		"userIdentity.accountId": baseAccount,
		"resources.0.accountId":  targetAccount,
		"responseElements.keyId": ownerARN,
	} {
		if got := field(rec, path); got != want {
			t.Errorf("owner's record %s = %#v, want %#v", path, got, want)
		}
	}
}
