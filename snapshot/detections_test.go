package snapshot_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/amiaudit/amiaudit/internal/synth"
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
	samples := secretstest.Samples(3)
	where := doc.Mask()
	if want := 2 * len(samples); len(where) != want {
		t.Errorf("masked %d credentials, want %d: %v", len(where), want, where)
	}
	for _, w := range []string{"/images/0/name: aws-access-key-id", "/images/0/tags/1/value: password-assignment", "/snapshots/0/tags/0/key: aws-secret-access-key"} {
		if !slices.Contains(where, w) {
			t.Errorf("Mask does not say %q: %v", w, where)
		}
	}
	for _, w := range where {
		for _, s := range samples {
			if strings.Contains(w, s.Secret) {
				t.Errorf("Mask's report %q holds a secret", w)
			}
		}
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
	if again := doc.Mask(); len(again) != 0 {
		t.Errorf("masking a masked document masked more: %v", again)
	}
	after, _ := json.Marshal(doc)
	if string(after) != before {
		t.Error("masking a masked document changed it")
	}
}

// BenchmarkMaskLarge masks the metadata of a generated organization of
// 100,000 AMIs and 300,000 snapshots, as the collector does before writing
// it: the cost masking adds to a collection.
func BenchmarkMaskLarge(b *testing.B) {
	base := synth.Generate(synth.Large)
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		doc := *base
		doc.Images = slices.Clone(base.Images)
		doc.Snapshots = slices.Clone(base.Snapshots)
		b.StartTimer()
		doc.Mask()
	}
	b.ReportMetric(float64(len(base.Images)+len(base.Snapshots)), "resources")
}

// TestMaskKeyDescriptions: a KMS key's description is free text written into
// the snapshot like an AMI's, so a credential in it is masked and said too.
func TestMaskKeyDescriptions(t *testing.T) {
	s := secretstest.Samples(1)[0]
	doc := &snapshot.Document{Keys: []snapshot.Key{{ARN: "arn:aws:kms:us-east-1:111111111111:key/k", Description: "deploy key " + s.Text}}}
	where := doc.Mask()
	if len(where) != 1 || !strings.HasPrefix(where[0], "/keys/0/description: ") {
		t.Errorf("Mask says %v, want the key's description", where)
	}
	if strings.Contains(doc.Keys[0].Description, s.Secret) {
		t.Errorf("the key's description still holds the %s secret", s.Detector)
	}
	if again := doc.Mask(); len(again) != 0 {
		t.Errorf("a masked key is masked again: %v", again)
	}
}
