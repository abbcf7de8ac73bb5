package snapshot

import (
	"fmt"
	"strings"

	"github.com/amiaudit/amiaudit/secrets"
)

// Secrets at rest. The interface contract says that no snapshot document ever
// holds a whole secret found in an AMI or snapshot: the collector masks the
// metadata it records (Mask) and keeps what it found as Detections, so that
// AMI-007 and SNAP-004 report from a masked document exactly what they would
// report from the raw one. A document written before masking existed (or by
// hand) may still hold raw secrets: evaluation masks them in memory, before
// anything is evaluated or written, and warns about the file.

// Detection is one credential found in a resource's metadata and masked there:
// the field it was in, what it was, and its redacted form, which the field
// now holds in its place. Never the secret.
type Detection struct {
	// Field is where the credential was: name, description, tags[N].key or
	// tags[N].value, N indexing the resource's Tags.
	Field string `json:"field" jsonschema:"required"`
	// Detector is the ID of the detector that fired (amiaudit's secrets
	// package: aws-access-key-id, private-key, password-assignment, …).
	Detector string `json:"detector" jsonschema:"required"`
	// Description says in words what was found.
	Description string `json:"description"`
	// Redacted is the redacted form of the secret: its first 4 characters (for
	// secrets of 8 or more) and the first 12 hex digits of its SHA-256.
	Redacted string `json:"redacted" jsonschema:"required"`
	// Line is the 1-based line of the secret in the field's original text.
	Line int `json:"line,omitempty"`
}

// Mask replaces every credential in the names, descriptions and tags of the
// document's images and snapshots, and in its KMS keys' descriptions, with its
// redacted form, and records each one found on an image or snapshot in the
// resource's Detections. It returns where it masked them, as JSON
// pointers with the detector (/images/3/description: aws-access-key-id),
// never what; a document already masked is left as it is and gives none.
func (d *Document) Mask() []string {
	var where []string
	record := func(base string, found []Detection) {
		for _, f := range found {
			where = append(where, base+"/"+pointerOf(f.Field)+": "+f.Detector)
		}
	}
	for i := range d.Images {
		img := &d.Images[i]
		var found []Detection
		img.Name, found = maskField("name", img.Name, found)
		img.Description, found = maskField("description", img.Description, found)
		found = maskTags(img.Tags, found)
		if len(found) > 0 {
			record(fmt.Sprintf("/images/%d", i), found)
			img.Detections = append(img.Detections, found...)
		}
	}
	for i := range d.Snapshots {
		s := &d.Snapshots[i]
		var found []Detection
		s.Description, found = maskField("description", s.Description, found)
		found = maskTags(s.Tags, found)
		if len(found) > 0 {
			record(fmt.Sprintf("/snapshots/%d", i), found)
			s.Detections = append(s.Detections, found...)
		}
	}
	// A KMS key's description is free text too. No rule reports on it, so
	// the key keeps no detections: the credential is masked, and said.
	for i := range d.Keys {
		k := &d.Keys[i]
		var found []Detection
		k.Description, found = maskField("description", k.Description, found)
		record(fmt.Sprintf("/keys/%d", i), found)
	}
	return where
}

// pointerOf turns a Detection field (tags[2].value) into JSON pointer
// segments (tags/2/value).
func pointerOf(field string) string {
	return strings.NewReplacer("[", "/", "].", "/").Replace(field)
}

func maskField(field, text string, found []Detection) (string, []Detection) {
	masked, hits := secrets.Mask(text)
	return masked, appendDetections(found, field, hits)
}

// maskTags masks each tag's value read with its key as context, then the key.
func maskTags(tags []Tag, found []Detection) []Detection {
	for j := range tags {
		t := &tags[j]
		var hits []secrets.Hit
		t.Value, hits = secrets.MaskKeyValue(t.Key, t.Value)
		valueHits := hits
		t.Key, hits = secrets.Mask(t.Key)
		found = appendDetections(found, fmt.Sprintf("tags[%d].key", j), hits)
		found = appendDetections(found, fmt.Sprintf("tags[%d].value", j), valueHits)
	}
	return found
}

func appendDetections(found []Detection, field string, hits []secrets.Hit) []Detection {
	for _, h := range hits {
		found = append(found, Detection{Field: field, Detector: h.Detector, Description: h.Description, Redacted: h.Redacted, Line: h.Line})
	}
	return found
}
