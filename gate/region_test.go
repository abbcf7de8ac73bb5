package gate

import (
	"testing"

	"github.com/amiaudit/amiaudit/snapshot"
)

// TestRegion: --region wins, then a one-region state snapshot, then the SDK's
// region; a snapshot of several regions does not choose one.
func TestRegion(t *testing.T) {
	doc := func(regions ...string) *snapshot.Document {
		d := &snapshot.Document{}
		d.Scope.Regions = regions
		return d
	}
	cases := []struct {
		name, given string
		state       *snapshot.Document
		sdk, want   string
	}{
		{"flag over everything", "eu-west-1", doc("us-east-1"), "ap-south-1", "eu-west-1"},
		{"one-region snapshot over the SDK", "", doc("us-east-1"), "ap-south-1", "us-east-1"},
		{"several regions: the SDK's", "", doc("us-east-1", "eu-west-1"), "ap-south-1", "ap-south-1"},
		{"no snapshot: the SDK's", "", nil, "ap-south-1", "ap-south-1"},
		{"empty snapshot scope: the SDK's", "", doc(), "ap-south-1", "ap-south-1"},
		{"nothing gives one", "", doc("us-east-1", "eu-west-1"), "", ""},
	}
	for _, c := range cases {
		if got := Region(c.given, c.state, c.sdk); got != c.want {
			t.Errorf("%s: Region(%q, %v, %q) = %q, want %q", c.name, c.given, c.state, c.sdk, got, c.want)
		}
	}
}
