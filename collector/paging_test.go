package collector

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// pagingServer answers the EC2, STS and Organizations calls of a collection in
// AWS's wire formats (as moto answers them), but pages DescribeImages and
// DescribeSnapshots by MaxResults and NextToken, which moto ignores: the
// SDK's paginators are exercised over HTTP.
type pagingServer struct {
	images, snapshots int
	binned, locked    int // Recycle Bin AMIs, locked snapshots
	mu                sync.Mutex
	calls             map[string]int
	maxResults        map[string]string
	pages             map[string]map[string]bool // action → NextToken values asked for
}

const ec2NS = `xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"`

func (s *pagingServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		s.count(target)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-Errortype", "AWSOrganizationsNotInUseException")
		w.WriteHeader(400)
		fmt.Fprint(w, `{"__type":"AWSOrganizationsNotInUseException","message":"Your account is not a member of an organization."}`)
		return
	}
	form, _ := url.ParseQuery(string(body))
	action := form.Get("Action")
	s.count(action)
	page := func(total int, item func(i int) string, set string) {
		s.mu.Lock()
		s.maxResults[action] = form.Get("MaxResults")
		if s.pages[action] == nil {
			s.pages[action] = map[string]bool{}
		}
		s.pages[action][form.Get("NextToken")] = true
		s.mu.Unlock()
		max, _ := strconv.Atoi(form.Get("MaxResults"))
		if max == 0 {
			max = total
		}
		start, _ := strconv.Atoi(form.Get("NextToken"))
		end := min(start+max, total)
		var b strings.Builder
		fmt.Fprintf(&b, `<%sResponse %s><requestId>r</requestId><%s>`, action, ec2NS, set)
		for i := start; i < end; i++ {
			b.WriteString("<item>" + item(i) + "</item>")
		}
		fmt.Fprintf(&b, `</%s>`, set)
		if end < total {
			fmt.Fprintf(&b, `<nextToken>%d</nextToken>`, end)
		}
		fmt.Fprintf(&b, `</%sResponse>`, action)
		w.Write([]byte(b.String()))
	}
	switch action {
	case "GetCallerIdentity":
		fmt.Fprint(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:root</Arn><UserId>AKIA</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)
	case "DescribeImages":
		page(s.images, func(i int) string {
			return fmt.Sprintf(`<imageId>ami-%017x</imageId><imageOwnerId>123456789012</imageOwnerId><name>img-%d</name><imageState>available</imageState><isPublic>false</isPublic><blockDeviceMapping><item><deviceName>/dev/xvda</deviceName><ebs><snapshotId>snap-%017x</snapshotId><volumeSize>8</volumeSize><encrypted>false</encrypted></ebs></item></blockDeviceMapping>`, i, i, i)
		}, "imagesSet")
	case "DescribeSnapshots":
		page(s.snapshots, func(i int) string {
			return fmt.Sprintf(`<snapshotId>snap-%017x</snapshotId><ownerId>123456789012</ownerId><volumeSize>8</volumeSize><status>completed</status><encrypted>false</encrypted><description>d%d</description>`, i, i)
		}, "snapshotSet")
	case "ListImagesInRecycleBin":
		page(s.binned, func(i int) string {
			return fmt.Sprintf(`<imageId>ami-%017x</imageId><name>binned-%d</name><recycleBinEnterTime>2026-11-01T00:00:00.000Z</recycleBinEnterTime><recycleBinExitTime>2026-12-01T00:00:00.000Z</recycleBinExitTime>`, 0xb000000+i, i)
		}, "imageSet")
	case "ListSnapshotsInRecycleBin":
		page(s.binned, func(i int) string {
			return fmt.Sprintf(`<snapshotId>snap-%017x</snapshotId><recycleBinExitTime>2026-12-01T00:00:00.000Z</recycleBinExitTime>`, 0xb000000+i)
		}, "snapshotSet")
	case "DescribeLockedSnapshots":
		// Locks on the first snapshots the collector lists.
		page(s.locked, func(i int) string {
			return fmt.Sprintf(`<ownerId>123456789012</ownerId><snapshotId>snap-%017x</snapshotId><lockState>governance</lockState><lockExpiresOn>2027-01-01T00:00:00.000Z</lockExpiresOn>`, i)
		}, "snapshotSet")
	case "DescribeImageAttribute":
		fmt.Fprintf(w, `<DescribeImageAttributeResponse %s><requestId>r</requestId><imageId>%s</imageId><launchPermission/></DescribeImageAttributeResponse>`, ec2NS, form.Get("ImageId"))
	case "DescribeSnapshotAttribute":
		fmt.Fprintf(w, `<DescribeSnapshotAttributeResponse %s><requestId>r</requestId><snapshotId>%s</snapshotId><createVolumePermission/></DescribeSnapshotAttributeResponse>`, ec2NS, form.Get("SnapshotId"))
	case "GetImageBlockPublicAccessState":
		fmt.Fprintf(w, `<%sResponse %s><requestId>r</requestId><imageBlockPublicAccessState>block-new-sharing</imageBlockPublicAccessState></%sResponse>`, action, ec2NS, action)
	case "GetSnapshotBlockPublicAccessState":
		fmt.Fprintf(w, `<%sResponse %s><requestId>r</requestId><state>block-all-sharing</state></%sResponse>`, action, ec2NS, action)
	case "GetAllowedImagesSettings":
		fmt.Fprintf(w, `<%sResponse %s><requestId>r</requestId><state>enabled</state></%sResponse>`, action, ec2NS, action)
	case "GetEbsEncryptionByDefault":
		fmt.Fprintf(w, `<%sResponse %s><requestId>r</requestId><ebsEncryptionByDefault>true</ebsEncryptionByDefault></%sResponse>`, action, ec2NS, action)
	case "GetEbsDefaultKmsKeyId":
		fmt.Fprintf(w, `<%sResponse %s><requestId>r</requestId><kmsKeyId>alias/aws/ebs</kmsKeyId></%sResponse>`, action, ec2NS, action)
	default:
		w.WriteHeader(400)
		fmt.Fprintf(w, `<Response><Errors><Error><Code>InvalidAction</Code><Message>%s</Message></Error></Errors><RequestID>r</RequestID></Response>`, action)
	}
}

func (s *pagingServer) count(action string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[action]++
}

func TestPaging(t *testing.T) {
	srv := &pagingServer{images: 2345, snapshots: 2345 + 1001, binned: 1500, locked: 1200, calls: map[string]int{}, maxResults: map[string]string{}, pages: map[string]map[string]bool{}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	cfg := testConfig(t, ts.URL)
	doc, err := Collect(context.Background(), cfg, Options{Regions: []string{"us-east-1"}, RatePerSecond: 1e6, Burst: 1e6})
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Images) != srv.images || len(doc.Snapshots) != srv.snapshots {
		t.Fatalf("collected %d images and %d snapshots, want %d and %d", len(doc.Images), len(doc.Snapshots), srv.images, srv.snapshots)
	}
	// Distinct pages asked for (a transient network error may retry one).
	if got, want := len(srv.pages["DescribeImages"]), 3; got != want {
		t.Errorf("DescribeImages pages = %d, want %d", got, want)
	}
	if got, want := len(srv.pages["DescribeSnapshots"]), 4; got != want {
		t.Errorf("DescribeSnapshots pages = %d, want %d", got, want)
	}
	for _, action := range []string{"ListImagesInRecycleBin", "ListSnapshotsInRecycleBin", "DescribeLockedSnapshots"} {
		if got := len(srv.pages[action]); got != 2 {
			t.Errorf("%s pages = %d, want 2", action, got)
		}
	}
	if len(doc.RecycleBinImages) != srv.binned || len(doc.RecycleBinSnapshots) != srv.binned {
		t.Errorf("Recycle Bin: %d AMIs, %d snapshots, want %d each", len(doc.RecycleBinImages), len(doc.RecycleBinSnapshots), srv.binned)
	}
	locked := 0
	for _, sn := range doc.Snapshots {
		if sn.Lock != nil && sn.Lock.State == "governance" && sn.Lock.ExpiresOn != nil {
			locked++
		}
	}
	if locked != srv.locked {
		t.Errorf("%d snapshots carry their lock, want %d", locked, srv.locked)
	}
	if srv.maxResults["DescribeImages"] != "1000" || srv.maxResults["DescribeSnapshots"] != "1000" {
		t.Errorf("MaxResults sent: %v", srv.maxResults)
	}
	if srv.calls["DescribeImageAttribute"] < srv.images || srv.calls["DescribeSnapshotAttribute"] < srv.snapshots {
		t.Errorf("attribute calls: %v", srv.calls)
	}
	if len(doc.Errors) != 0 {
		t.Errorf("errors: %+v", doc.Errors)
	}
	if doc.Organization != nil {
		t.Errorf("organization = %+v, want none (not in an organization)", doc.Organization)
	}
	ar := doc.AccountRegions[0]
	if aws.ToString(ar.ImageBlockPublicAccess) != "block-new-sharing" || aws.ToString(ar.SnapshotBlockPublicAccess) != "block-all-sharing" ||
		aws.ToString(ar.AllowedImages) != "enabled" || !aws.ToBool(ar.EBSEncryptionByDefault) {
		t.Errorf("settings = %+v", ar)
	}
	if doc.Images[0].Region != "us-east-1" || doc.Images[0].BlockDeviceMappings[0].SnapshotID == "" || doc.Images[0].ARN == "" {
		t.Errorf("image = %+v", doc.Images[0])
	}
}
