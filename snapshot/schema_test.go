package snapshot_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/amiaudit/amiaudit/snapshot/schemagen"
)

const schemaFile = "../schema/snapshot.schema.json"

// TestSchemaUpToDate fails when the committed JSON Schema no longer matches the
// Go types; run 'make generate'.
func TestSchemaUpToDate(t *testing.T) { upToDate(t, schemaFile, schemagen.Generate) }

// TestFieldReferenceUpToDate fails when docs/snapshot-fields.md, the field
// reference generated with the schema, no longer matches the Go types; run
// 'make generate'.
func TestFieldReferenceUpToDate(t *testing.T) {
	upToDate(t, "../docs/snapshot-fields.md", schemagen.Reference)
}

// upToDate compares a committed file with what its generator writes now.
func upToDate(t *testing.T, file string, generate func(pkgDir string) ([]byte, error)) {
	t.Helper()
	want, err := generate(".")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is out of date: run 'make generate'", file)
	}
}

// TestExampleValidatesAgainstSchema checks the example snapshot against the
// published schema, and that the schema rejects what the decoder rejects.
func TestExampleValidatesAgainstSchema(t *testing.T) {
	c := jsonschema.NewCompiler()
	sch, err := c.Compile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	load := func(p string) any {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		v, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	example := load(filepath.Join("..", "examples", "snapshot.json"))
	if err := sch.Validate(example); err != nil {
		t.Fatalf("example snapshot does not validate: %v", err)
	}
	bad := example.(map[string]any)
	bad["surprise"] = true
	if err := sch.Validate(bad); err == nil {
		t.Fatal("schema accepts an unknown top-level field")
	}
	delete(bad, "surprise")
	bad["schema_version"] = "2"
	if err := sch.Validate(bad); err == nil {
		t.Fatal("schema accepts schema_version 2")
	}
	_ = json.Valid
}
