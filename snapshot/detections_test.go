package snapshot_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/amiaudit/amiaudit/secrets/secretstest"
	"github.com/amiaudit/amiaudit/snapshot"
)

// SecretDocument holds every sample credential in the metadata of one AMI
// and one snapshot: names, descriptions, tag keys and values.
func secretDocument() *snapshot.Document {
	img := snapshot.Image{ID: "ami-0123456789abcdef0", Account: "111122223333", Region: "eu-west-1"}
	snap := snapshot.Snapshot{ID: "snap-0123456789abcdef0", Account: "111122223333", Region: "eu-west-1"}
	for i, s := range secretstest.Samples(3) {
		switch {
		case s.TagKey != "":
			img.Tags = append(img.Tags, snapshot.Tag{Key: s.TagKey, Value: s.Text})
			snap.Tags = append(snap.Tags, snapshot.Tag{Key: s.TagKey, Value: s.Text})
		case i == 0:
			img.Name = s.Text
			snap.Description = s.Text
		case i == 1:
			img.Description = s.Text
			snap.Tags = append(snap.Tags, snapshot.Tag{Key: s.Text, Value: "v"})
		default:
			img.Tags = append(img.Tags, snapshot.Tag{Key: fmt.Sprintf("note%d", i), Value: s.Text})
			snap.Tags = append(snap.Tags, snapshot.Tag{Key: fmt.Sprintf("note%d", i), Value: s.Text})
		}
	}
	return &snapshot.Document{SchemaVersion: "1", CollectedAt: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC),
		Images: []snapshot.Image{img}, Snapshots: []snapshot.Snapshot{snap}}
}

func TestMaskRemovesEverySecret(t *testing.T) {
	doc := secretDocument()
	if got := len(doc.Unmasked()); got == 0 {
		t.Fatal("Unmasked finds nothing in a raw document")
	}
	samples := secretstest.Samples(3)
	n := doc.Mask()
	if want := 2 * len(samples); n != want {
		t.Errorf("masked %d credentials, want %d", n, want)
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range samples {
		if strings.Contains(string(raw), s.Secret) {
			t.Errorf("the masked document still holds the %s secret", s.Detector)
		}
	}
	if u := doc.Unmasked(); len(u) != 0 {
		t.Errorf("Unmasked after Mask: %v", u)
	}
	img := doc.Images[0]
	if len(img.Detections) != len(samples) {
		t.Errorf("image has %d detections, want %d", len(img.Detections), len(samples))
	}
	for _, d := range img.Detections {
		if d.Field == "" || d.Detector == "" || d.Redacted == "" || d.Line < 1 {
			t.Errorf("incomplete detection %+v", d)
		}
	}
	// The tag key that held a credential is masked, and its detection names it.
	var keyDetections int
	for _, d := range doc.Snapshots[0].Detections {
		if strings.HasSuffix(d.Field, ".key") {
			keyDetections++
		}
	}
	if keyDetections != 1 {
		t.Errorf("snapshot has %d tag key detections, want 1", keyDetections)
	}

	before := string(raw)
	if again := doc.Mask(); again != 0 {
		t.Errorf("masking a masked document masked %d more", again)
	}
	after, _ := json.Marshal(doc)
	if string(after) != before {
		t.Error("masking a masked document changed it")
	}
}
