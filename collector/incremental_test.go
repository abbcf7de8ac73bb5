package collector

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/amiaudit/amiaudit/snapshot"
)

// The resources an event names come from its Resources and from its
// request parameters (LookupEvents does not always fill Resources:
// https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_Event.html).
// An event that names nothing the collector can tell makes it read every
// resource of that kind again.
func TestChangesNote(t *testing.T) {
	ev := func(record string, resources ...string) cttypes.Event {
		e := cttypes.Event{CloudTrailEvent: aws.String(record)}
		for _, r := range resources {
			e.Resources = append(e.Resources, cttypes.Resource{ResourceName: aws.String(r)})
		}
		return e
	}
	ch := &changes{images: map[string]bool{}, snapshots: map[string]bool{}, keys: map[string]bool{}}
	ch.note("ModifyImageAttribute", ev(`{"requestParameters":{"imageId":"ami-0a"}}`))
	ch.note("ModifySnapshotAttribute", ev(`{}`, "snap-0b"))
	ch.note("PutKeyPolicy", ev(`{"requestParameters":{"keyId":"1234abcd-12ab-34cd-56ef-1234567890ab"}}`))
	ch.note("DisableKey", ev(`{}`, "arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321"))
	ch.note("EnableImageBlockPublicAccess", ev(`{}`))
	if !ch.images["ami-0a"] || !ch.snapshots["snap-0b"] || !ch.keys["1234abcd-12ab-34cd-56ef-1234567890ab"] || !ch.keys["0987dcba-09fe-87dc-65ba-ab0987654321"] || !ch.settings {
		t.Errorf("changes %+v", ch)
	}
	if ch.allImages || ch.allSnapshots || ch.allKeys {
		t.Errorf("a resource that was named made a whole kind be read again: %+v", ch)
	}
	ch.note("ScheduleKeyDeletion", ev(`{"requestParameters":{"keyId":"alias/orders"}}`))
	ch.note("ResetImageAttribute", ev(`not json`))
	if !ch.allKeys || !ch.allImages || ch.allSnapshots {
		t.Errorf("an alias or an unreadable record must make its kind be read again: %+v", ch)
	}
}

func TestKeyIDOf(t *testing.T) {
	for in, want := range map[string]string{
		"arn:aws:kms:us-east-1:111122223333:key/k-1": "k-1",
		"k-1":          "k-1",
		"alias/orders": "",
		"arn:aws:kms:us-east-1:111122223333:alias/orders": "",
		"": "",
	} {
		if got := keyIDOf(in); got != want {
			t.Errorf("keyIDOf(%q) = %q, want %q", in, got, want)
		}
	}
}

// What the baseline could not read decides what is read again: a failed
// listing or attribute call (or a gap) makes its account-region be read in
// full, a failed settings call the settings, a failed call on one resource
// that resource; failures of what is read afresh every night change nothing.
func TestBaselineErrors(t *testing.T) {
	doc := &snapshot.Document{SchemaVersion: snapshot.SchemaVersion, CollectedAt: time.Now(), Errors: []snapshot.CollectionError{
		{Account: "111111111111", Region: "us-east-1", Service: "ec2", Action: "DescribeSnapshots", Code: "UnauthorizedOperation"},
		{Account: "111111111111", Region: "eu-west-1", Service: "ec2", Action: "GetAllowedImagesSettings", Code: "UnauthorizedOperation"},
		{Account: "111111111111", Region: "eu-west-1", Service: "ec2", Action: "ListImagesInRecycleBin", Code: "UnauthorizedOperation"},
		{Account: "222222222222", Region: "eu-west-1", Service: "ec2", Action: "DescribeImages", Code: CodeEndpointUnreachable},
		{Account: "222222222222", Region: "us-east-1", Service: "kms", Action: "GetKeyPolicy", Resource: "k-1", Code: "AccessDeniedException"},
	}}
	opts := &Options{Baseline: doc}
	opts.defaults()
	b := newBaseline(opts)
	if b.gaps["111111111111/us-east-1"] == "" || b.gaps["222222222222/eu-west-1"] == "" {
		t.Errorf("gaps %v", b.gaps)
	}
	if b.gaps["111111111111/eu-west-1"] != "" || !b.settingsUnread["111111111111/eu-west-1"] {
		t.Errorf("a failed settings call: gaps %v, settings unread %v", b.gaps, b.settingsUnread)
	}
	if !b.unread["k-1"] || len(b.gaps) != 2 {
		t.Errorf("unread %v, gaps %v", b.unread, b.gaps)
	}
}
