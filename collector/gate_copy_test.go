package collector

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/amiaudit/amiaudit/snapshot"
)

// TestCopyContext: as the copying account, a snapshot it may restore is
// answered, one it may not is InvalidSnapshot.NotFound (AWS's answer for a
// snapshot the caller cannot see), any other error is a collection error;
// the destination region's EBS defaults are read there. The access is
// recorded on every copy of the AMI, each snapshot probed once.
func TestCopyContext(t *testing.T) {
	var mu sync.Mutex
	regions := map[string][]string{} // action → regions called
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		action := form.Get("Action")
		mu.Lock()
		regions[action] = append(regions[action], regionOf(r))
		mu.Unlock()
		switch action {
		case "DescribeSnapshots":
			switch id := form.Get("SnapshotId.1"); id {
			case "snap-0aaaaaaaaaaaaaaa1":
				fmt.Fprintf(w, `<DescribeSnapshotsResponse %s><requestId>r</requestId><snapshotSet><item><snapshotId>%s</snapshotId><ownerId>777788889999</ownerId></item></snapshotSet></DescribeSnapshotsResponse>`, ec2NS, id)
			case "snap-0aaaaaaaaaaaaaaa2":
				w.WriteHeader(400)
				fmt.Fprintf(w, `<Response><Errors><Error><Code>InvalidSnapshot.NotFound</Code><Message>The snapshot '%s' does not exist.</Message></Error></Errors><RequestID>r</RequestID></Response>`, id)
			default:
				w.WriteHeader(403)
				fmt.Fprint(w, `<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>denied</Message></Error></Errors><RequestID>r</RequestID></Response>`)
			}
		case "GetEbsEncryptionByDefault":
			fmt.Fprintf(w, `<%sResponse %s><requestId>r</requestId><ebsEncryptionByDefault>true</ebsEncryptionByDefault></%sResponse>`, action, ec2NS, action)
		case "GetEbsDefaultKmsKeyId":
			fmt.Fprintf(w, `<%sResponse %s><requestId>r</requestId><kmsKeyId>arn:aws:kms:eu-west-1:123456789012:key/default</kmsKeyId></%sResponse>`, action, ec2NS, action)
		default:
			w.WriteHeader(400)
		}
	}))
	defer srv.Close()
	cfg := testConfig(t, srv.URL)
	doc := &snapshot.Document{
		Scope: snapshot.Scope{Accounts: []string{"123456789012"}, Regions: []string{"us-east-1"}},
		Images: []snapshot.Image{{ID: "ami-0aaaaaaaaaaaaaaa1", Account: "777788889999", Region: "us-east-1", BlockDeviceMappings: []snapshot.BlockDeviceMapping{
			{SnapshotID: "snap-0aaaaaaaaaaaaaaa1"}, {SnapshotID: "snap-0aaaaaaaaaaaaaaa2"}, {SnapshotID: "snap-0aaaaaaaaaaaaaaa3"},
		}}},
	}
	cp := snapshot.ProposedChange{Kind: snapshot.ChangeCopy, ImageID: "ami-0aaaaaaaaaaaaaaa1", Region: "us-east-1", DestinationRegion: "eu-west-1"}
	changes := []snapshot.ProposedChange{
		cp,
		{Kind: snapshot.ChangeLaunchPermission, ImageID: "ami-0aaaaaaaaaaaaaaa1", Region: "us-east-1", Grantee: "111122223333"},
		cp,
	}
	(&GateReader{Config: cfg, Options: Options{MaxAttempts: 1, RatePerSecond: 1e6, Burst: 1e6}}).CopyContext(context.Background(), doc, changes)
	for _, i := range []int{0, 2} {
		if a := changes[i]; !slices.Equal(a.RestorableSnapshots, []string{"snap-0aaaaaaaaaaaaaaa1"}) || !slices.Equal(a.UnrestorableSnapshots, []string{"snap-0aaaaaaaaaaaaaaa2"}) {
			t.Errorf("copy %d: restorable %v, unrestorable %v", i, a.RestorableSnapshots, a.UnrestorableSnapshots)
		}
	}
	if lp := changes[1]; lp.RestorableSnapshots != nil || lp.UnrestorableSnapshots != nil {
		t.Errorf("a launch permission was given the copy's snapshot access: %+v", lp)
	}
	if len(doc.Errors) != 1 || doc.Errors[0].Resource != "snap-0aaaaaaaaaaaaaaa3" || doc.Errors[0].Code != "UnauthorizedOperation" {
		t.Errorf("errors %+v", doc.Errors)
	}
	if len(doc.AccountRegions) != 1 || doc.AccountRegions[0].Region != "eu-west-1" || !aws.ToBool(doc.AccountRegions[0].EBSEncryptionByDefault) ||
		aws.ToString(doc.AccountRegions[0].EBSDefaultKMSKeyID) != "arn:aws:kms:eu-west-1:123456789012:key/default" {
		t.Errorf("destination settings %+v", doc.AccountRegions)
	}
	if got := regions["GetEbsDefaultKmsKeyId"]; !slices.Equal(got, []string{"eu-west-1"}) {
		t.Errorf("GetEbsDefaultKmsKeyId called in %v, want eu-west-1", got)
	}
	if got := regions["DescribeSnapshots"]; len(got) != 3 || got[0] != "us-east-1" {
		t.Errorf("DescribeSnapshots called in %v, want the source region", got)
	}
}

// regionOf reads the SigV4 credential scope's region
// (Credential=AKID/DATE/REGION/SERVICE/aws4_request).
func regionOf(r *http.Request) string {
	_, cred, _ := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	if parts := strings.Split(cred, "/"); len(parts) > 2 {
		return parts[2]
	}
	return ""
}

// TestGateReadsShareOneCollector: the gate's reads after Images go through one
// collector, so an account-region the run's deadline cut short is one
// collection error, not one per read that touched it.
func TestGateReadsShareOneCollector(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }))
	defer srv.Close()
	doc := &snapshot.Document{
		Scope:  snapshot.Scope{Accounts: []string{"123456789012"}, Regions: []string{"us-east-1"}},
		Images: []snapshot.Image{{ID: "ami-0aaaaaaaaaaaaaaa1", Account: "123456789012", Region: "us-east-1"}},
	}
	changes := []snapshot.ProposedChange{{Kind: snapshot.ChangeCopy, ImageID: "ami-0aaaaaaaaaaaaaaa1", Region: "us-east-1", DestinationRegion: "eu-west-1"}}
	g := &GateReader{Config: testConfig(t, srv.URL), Options: Options{MaxAttempts: 1, RatePerSecond: 1e6, Burst: 1e6, Deadline: time.Now().Add(-time.Minute)}}
	g.CopyContext(context.Background(), doc, changes)
	g.DestinationKeys(context.Background(), doc, map[string][]string{"eu-west-1": {"arn:aws:kms:eu-west-1:123456789012:key/k"}})
	gaps := 0
	for _, e := range doc.Errors {
		if e.Region == "eu-west-1" {
			gaps++
		}
	}
	if gaps != 1 {
		t.Errorf("%d errors for eu-west-1, want the deadline's one gap: %+v", gaps, doc.Errors)
	}
}
