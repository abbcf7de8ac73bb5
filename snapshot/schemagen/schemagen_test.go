package schemagen

import (
	"strings"
	"testing"
)

// TestReferenceRefusesUndocumentedFields: a field whose Go comment is
// missing makes the reference (and so go generate) fail, naming the field,
// instead of writing a row that says nothing.
func TestReferenceRefusesUndocumentedFields(t *testing.T) {
	t.Chdir("..") // comments are read from the snapshot package, keyed by its import path
	s, err := build(".")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reference(s); err != nil {
		t.Fatalf("the snapshot types as committed: %v", err)
	}
	name, ok := s.Definitions["Image"].Properties.Get("name")
	if !ok || name.Description == "" {
		t.Fatal("Image.name has no description to remove; the test is stale")
	}
	name.Description = ""
	_, err = reference(s)
	if err == nil {
		t.Fatal("reference written with Image.name undocumented")
	}
	if msg := err.Error(); !strings.Contains(msg, `Image.Name (json "name")`) || !strings.Contains(msg, "1 snapshot fields") {
		t.Errorf("error %q does not name the one undocumented field", msg)
	}
}
