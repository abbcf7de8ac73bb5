package rules

import (
	"fmt"
	"iter"
	"strings"
	"unicode"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/types"

	"github.com/amiaudit/amiaudit/internal/awsid"
	"github.com/amiaudit/amiaudit/secrets"
)

// Rego functions backed by amiaudit's credential detectors (package secrets).
// Detection lives in Go so that the metadata rules (AMI-007, SNAP-004) and the
// deep scan (AMI-008) share one implementation, and so that a whole resource is
// scanned in one call. Results hold only redacted secrets.
//
//	amiaudit.detect_secrets(text)       → [{"detector", "description", "redacted", "offset", "line"}]
//	amiaudit.metadata_secrets(resource) → the same, each with "field": the resource's
//	                                       name, description, and tags[i].key / tags[i].value
//	                                       (a tag's value is read with its key as context,
//	                                       so {"key": "DB_PASSWORD", "value": "…"} is found),
//	                                       and the resource's detections: the credentials
//	                                       the collector masked (snapshot.Detection)
const (
	DetectSecretsBuiltin   = "amiaudit.detect_secrets"
	MetadataSecretsBuiltin = "amiaudit.metadata_secrets"
)

var emptyArray = ast.ArrayTerm()

func init() {
	props := []*types.StaticProperty{
		types.NewStaticProperty("detector", types.S),
		types.NewStaticProperty("description", types.S),
		types.NewStaticProperty("redacted", types.S),
		types.NewStaticProperty("offset", types.N),
		types.NewStaticProperty("line", types.N),
	}
	hit := types.NewObject(props, nil)
	fieldHit := types.NewObject(append([]*types.StaticProperty{types.NewStaticProperty("field", types.S)}, props...), nil)

	rego.RegisterBuiltin1(&rego.Function{
		Name:        DetectSecretsBuiltin,
		Description: "Returns the credentials found in a string, redacted.",
		Decl:        types.NewFunction(types.Args(types.S), types.NewArray(nil, hit)),
	}, func(_ rego.BuiltinContext, text *ast.Term) (*ast.Term, error) {
		s, ok := text.Value.(ast.String)
		if !ok {
			return emptyArray, nil
		}
		return arrayOf(appendHits(nil, "", secrets.Detect(string(s)))), nil
	})

	rego.RegisterBuiltin1(&rego.Function{
		Name:        MetadataSecretsBuiltin,
		Description: "Returns the credentials found in a resource's name, description and tags, redacted, with the field each was found in.",
		Decl:        types.NewFunction(types.Args(types.A), types.NewArray(nil, fieldHit)),
	}, func(_ rego.BuiltinContext, resource *ast.Term) (*ast.Term, error) {
		obj, ok := resource.Value.(ast.Object)
		if !ok {
			return emptyArray, nil
		}
		// What the collector masked is found in detections, not in the
		// text, which holds only its redacted form. Most resources have none:
		// they take the path without bookkeeping.
		dets := detectionsOf(obj)
		var texts map[string]string
		var seen map[[3]string]bool
		if len(dets) > 0 {
			texts, seen = map[string]string{}, map[[3]string]bool{}
		}
		var out []*ast.Term
		add := func(field, text string, hits []secrets.Hit) {
			if seen != nil {
				texts[field] = text
				for _, h := range hits {
					seen[[3]string{field, h.Detector, h.Redacted}] = true
				}
			}
			out = appendHits(out, field, hits)
		}
		for _, field := range []string{"name", "description"} {
			text := stringField(obj, field)
			add(field, text, secrets.Detect(text))
		}
		for i, tag := range tagsOf(obj) {
			add(fmt.Sprintf("tags[%d].key", i), tag.key, secrets.Detect(tag.key))
			add(fmt.Sprintf("tags[%d].value", i), tag.value, secrets.DetectKeyValue(tag.key, tag.value))
		}
		for _, d := range dets {
			k := [3]string{d.field, d.hit.Detector, d.hit.Redacted}
			if seen[k] {
				continue
			}
			seen[k] = true
			d.hit.Offset = strings.Index(texts[d.field], d.hit.Redacted)
			out = appendHits(out, d.field, []secrets.Hit{d.hit})
		}
		return arrayOf(out), nil
	})
}

type detection struct {
	field string
	hit   secrets.Hit
}

// detectionsOf reads a resource's detections (snapshot.Detection), the
// credentials the collector masked in its metadata.
func detectionsOf(obj ast.Object) []detection {
	t := obj.Get(keyTerm("detections"))
	if t == nil {
		return nil
	}
	arr, ok := t.Value.(*ast.Array)
	if !ok {
		return nil
	}
	var out []detection
	for i := 0; i < arr.Len(); i++ {
		d, ok := arr.Elem(i).Value.(ast.Object)
		if !ok {
			continue
		}
		h := secrets.Hit{Detector: stringField(d, "detector"), Description: stringField(d, "description"), Redacted: stringField(d, "redacted")}
		if lt := d.Get(keyTerm("line")); lt != nil {
			if n, ok := lt.Value.(ast.Number); ok {
				h.Line, _ = n.Int()
			}
		}
		field := stringField(d, "field")
		if field == "" || h.Detector == "" || h.Redacted == "" {
			continue
		}
		out = append(out, detection{field: field, hit: h})
	}
	return out
}

type tag struct{ key, value string }

// tagsOf yields the index, key and value of each of a resource's tags.
func tagsOf(obj ast.Object) iter.Seq2[int, tag] {
	return func(yield func(int, tag) bool) {
		t := obj.Get(keyTerm("tags"))
		if t == nil {
			return
		}
		tags, ok := t.Value.(*ast.Array)
		if !ok {
			return
		}
		for i := 0; i < tags.Len(); i++ {
			if t, ok := tags.Elem(i).Value.(ast.Object); ok {
				if !yield(i, tag{stringField(t, "key"), stringField(t, "value")}) {
					return
				}
			}
		}
	}
}

func stringField(obj ast.Object, key string) string {
	if t := obj.Get(keyTerm(key)); t != nil {
		if s, ok := t.Value.(ast.String); ok {
			return string(s)
		}
	}
	return ""
}

// keyTerms are the object keys the builtins read, built once: a lookup
// would otherwise allocate its key term on every call. Read-only after init.
var keyTerms = map[string]*ast.Term{}

func init() {
	for _, k := range []string{
		"description", "name", "tags", "key", "value", "detections", "detector", "redacted", "line", "field",
		"kind", "arn", "id", "account", "region", "policy", "policy_statements", "grants", "grant_id",
		"grantee_principal", "grantee_account", "operations", "constraints", "offset", "witness", "maybe",
		"subject", "outcome", "principal", "missing", "undetermined", "statement", "condition", "reason",
		"via", "org_id", "actions", "channel",
	} {
		keyTerms[k] = ast.StringTerm(k)
	}
}

// keyTerm is key as a term, shared when it is one of keyTerms.
func keyTerm(key string) *ast.Term {
	if t, ok := keyTerms[key]; ok {
		return t
	}
	return ast.StringTerm(key)
}

func arrayOf(terms []*ast.Term) *ast.Term {
	if len(terms) == 0 {
		return emptyArray
	}
	return ast.ArrayTerm(terms...)
}

// appendHits appends hits as objects; field is added when not empty.
func appendHits(out []*ast.Term, field string, hits []secrets.Hit) []*ast.Term {
	for _, h := range hits {
		items := [][2]*ast.Term{
			ast.Item(keyTerm("detector"), ast.StringTerm(h.Detector)),
			ast.Item(keyTerm("description"), ast.StringTerm(h.Description)),
			ast.Item(keyTerm("redacted"), ast.StringTerm(h.Redacted)),
			ast.Item(keyTerm("offset"), ast.IntNumberTerm(h.Offset)),
			ast.Item(keyTerm("line"), ast.IntNumberTerm(h.Line)),
		}
		if field != "" {
			items = append(items, ast.Item(keyTerm("field"), ast.StringTerm(field)))
		}
		out = append(out, ast.ObjectTerm(items...))
	}
	return out
}

// ImageReferencesBuiltin reads, from a snapshot's description, the AMI it was
// made for (SNAP-003). Parsing lives in Go because Rego function calls cost
// microseconds each, and this runs on every snapshot of an organization.
//
//	amiaudit.image_references(snapshot) → [{"id": "ami-…", "source": "description"}]
//
// Only AWS's own description formats are evidence:
//
//	Created by CreateImage(i-…) for ami-… [from vol-…]
//	Copied for DestinationAmi ami-… from SourceAmi ami-… for SourceSnapshot snap-…
//
// Tags are not: the tags image builders write (Packer's SourceAMI,
// source_ami, and the like) name the *base* image a build started from, not
// the AMI the snapshot backs, and calling a snapshot orphaned because its base
// image is gone sends people to delete the disks of live AMIs.
const ImageReferencesBuiltin = "amiaudit.image_references"

func init() {
	ref := types.NewObject([]*types.StaticProperty{
		types.NewStaticProperty("id", types.S),
		types.NewStaticProperty("source", types.S),
	}, nil)
	rego.RegisterBuiltin1(&rego.Function{
		Name:        ImageReferencesBuiltin,
		Description: "Returns the AMI a snapshot was made for, read from its description in AWS's own formats.",
		Decl:        types.NewFunction(types.Args(types.A), types.NewArray(nil, ref)),
	}, func(_ rego.BuiltinContext, snap *ast.Term) (*ast.Term, error) {
		obj, ok := snap.Value.(ast.Object)
		if !ok {
			return emptyArray, nil
		}
		id := imageOfDescription(stringField(obj, "description"))
		if id == "" {
			return emptyArray, nil
		}
		return ast.ArrayTerm(ast.ObjectTerm(
			ast.Item(idKey, ast.StringTerm(id)),
			ast.Item(sourceKey, descriptionSource),
		)), nil
	})
}

var (
	idKey             = ast.StringTerm("id")
	sourceKey         = ast.StringTerm("source")
	descriptionSource = ast.StringTerm("description")
)

// imageOfDescription returns the AMI named by a description in one of AWS's
// formats, or "".
func imageOfDescription(d string) string {
	var id string
	switch {
	case strings.HasPrefix(d, "Created by CreateImage("):
		if w, ok := nthField(d, 3); ok && w == "for" {
			id, _ = nthField(d, 4)
		}
	case strings.HasPrefix(d, "Copied for DestinationAmi "):
		id, _ = nthField(d, 3)
	}
	if awsid.IsIssuedImageID(id) {
		return id
	}
	return ""
}

// nthField is strings.Fields(s)[n] (fields separated by unicode.IsSpace
// runs), without building the slice: this runs on every snapshot.
func nthField(s string, n int) (string, bool) {
	start := -1
	for i, r := range s {
		if unicode.IsSpace(r) {
			if start >= 0 {
				if n == 0 {
					return s[start:i], true
				}
				n--
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	if start >= 0 && n == 0 {
		return s[start:], true
	}
	return "", false
}
