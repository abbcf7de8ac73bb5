package rules

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/amiaudit/amiaudit/finding"
	"github.com/amiaudit/amiaudit/secrets/secretstest"
	"github.com/amiaudit/amiaudit/snapshot"
)

// TestMaskedDocumentGivesTheSameFindings: AMI-007 and SNAP-004 report from a
// document whose metadata the collector masked exactly what they report from
// the raw document, every detector's credential included, and the findings
// hold no secret.
func TestMaskedDocumentGivesTheSameFindings(t *testing.T) {
	ctx := context.Background()
	e, err := Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	raw := loadExample(t)
	samples := secretstest.Samples(5)
	for i, s := range samples {
		img := &raw.Images[i%len(raw.Images)]
		snap := &raw.Snapshots[i%len(raw.Snapshots)]
		switch {
		case s.TagKey != "":
			img.Tags = append(img.Tags, snapshot.Tag{Key: s.TagKey, Value: s.Text})
			snap.Tags = append(snap.Tags, snapshot.Tag{Key: s.TagKey, Value: s.Text})
		case i%3 == 0:
			// Several lines, so that masking a multi-line key shifts the
			// lines after it: detections keep the original line.
			img.Description += s.Text + "\n"
			snap.Description += s.Text + "\n"
		case i%3 == 1:
			img.Name = s.Text
			snap.Tags = append(snap.Tags, snapshot.Tag{Key: s.Text, Value: "x"})
		default:
			img.Tags = append(img.Tags, snapshot.Tag{Key: fmt.Sprintf("note%d", i), Value: s.Text})
			snap.Tags = append(snap.Tags, snapshot.Tag{Key: fmt.Sprintf("note%d", i), Value: s.Text})
		}
	}
	data, err := json.Marshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	masked, err := snapshot.Decode("masked.json", data)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(masked.Mask()); n == 0 {
		t.Fatal("nothing masked")
	}

	cfg := exampleConfig(t)
	credentialFindings := func(doc *snapshot.Document) []finding.Finding {
		fs, err := e.Evaluate(ctx, doc, cfg)
		if err != nil {
			t.Fatal(err)
		}
		var out []finding.Finding
		for _, f := range fs {
			if f.RuleID == "AMI-007" || f.RuleID == "SNAP-004" {
				out = append(out, f)
			}
		}
		return out
	}
	want, got := credentialFindings(raw), credentialFindings(masked)
	detectors := map[string]bool{}
	for _, f := range want {
		detectors[f.Evidence["detector"].(string)] = true
	}
	for _, s := range samples {
		if !detectors[s.Detector] {
			t.Errorf("no finding of detector %s from the raw document", s.Detector)
		}
	}
	if !reflect.DeepEqual(got, want) {
		for i := range max(len(got), len(want)) {
			var g, w finding.Finding
			if i < len(got) {
				g = got[i]
			}
			if i < len(want) {
				w = want[i]
			}
			if !reflect.DeepEqual(g, w) {
				t.Errorf("finding %d:\nmasked %+v\nraw    %+v", i, g, w)
			}
		}
	}
	out, _ := json.Marshal(got)
	for _, s := range samples {
		if strings.Contains(string(out), s.Secret) {
			t.Errorf("a finding holds the %s secret", s.Detector)
		}
	}
}
