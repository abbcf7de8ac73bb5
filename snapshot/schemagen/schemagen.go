// Package schemagen builds the JSON Schema of the snapshot document from the
// Go types of package snapshot, with their doc comments as descriptions.
package schemagen

import (
	"encoding/json"
	"path/filepath"

	"github.com/invopop/jsonschema"

	"github.com/amiaudit/amiaudit/snapshot"
)

// SchemaID is the $id of the published schema.
const SchemaID = "https://github.com/amiaudit/amiaudit/schema/snapshot.schema.json"

// Generate returns the schema, indented, reading comments from the source in pkgDir.
func Generate(pkgDir string) ([]byte, error) {
	r := &jsonschema.Reflector{RequiredFromJSONSchemaTags: true}
	// Comments are keyed by base joined with the walked directory, so walk pkgDir
	// as given (relative to the working directory) with the package path as base.
	if err := r.AddGoComments("github.com/amiaudit/amiaudit/snapshot", filepath.Clean(pkgDir)); err != nil {
		return nil, err
	}
	s := r.Reflect(&snapshot.Document{})
	s.ID = SchemaID
	s.Title = "amiaudit snapshot document, schema_version " + snapshot.SchemaVersion
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
