package snapshot_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/amiaudit/amiaudit/internal/awsid"
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
}

// TestSchemaIdentifierPatterns holds the patterns that struct tags give the
// schema (a tag cannot name a Go constant) equal to package awsid's, the one
// definition of an account, an organization, an AMI and a snapshot ID; Go
// code checks those IDs with awsid too (Validate, the gate's --image).
func TestSchemaIdentifierPatterns(t *testing.T) {
	b, err := schemagen.Generate(".")
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	accounts, images, snapshots := 0, 0, 0
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if p, ok := v["pattern"].(string); ok {
				switch {
				case strings.Contains(p, "{12}"):
					accounts++
					if p != awsid.AccountIDPattern {
						t.Errorf("%s: pattern %q, want awsid.AccountIDPattern %q", path, p, awsid.AccountIDPattern)
					}
				case strings.HasPrefix(p, "^ami-"):
					images++
					if p != awsid.ImageIDPattern {
						t.Errorf("%s: pattern %q, want awsid.ImageIDPattern %q", path, p, awsid.ImageIDPattern)
					}
				case strings.HasPrefix(p, "^snap-"):
					snapshots++
					if p != awsid.SnapshotIDPattern {
						t.Errorf("%s: pattern %q, want awsid.SnapshotIDPattern %q", path, p, awsid.SnapshotIDPattern)
					}
				case strings.HasPrefix(p, "^o-"):
					if p != awsid.OrgIDPattern {
						t.Errorf("%s: pattern %q, want awsid.OrgIDPattern %q", path, p, awsid.OrgIDPattern)
					}
				}
			}
			for k, x := range v {
				walk(path+"/"+k, x)
			}
		case []any:
			for i, x := range v {
				walk(fmt.Sprintf("%s/%d", path, i), x)
			}
		}
	}
	walk("", doc)
	if accounts == 0 || images == 0 || snapshots == 0 {
		t.Fatalf("the schema has %d account, %d AMI and %d snapshot ID patterns; want each", accounts, images, snapshots)
	}
}
