// Package strictyaml decodes the YAML files people write for amiaudit (the
// configuration, the test bed's scenarios) strictly: a key the Go type does
// not define is an error, and every error names the file, the line and what
// was expected, in one form (file:line: key: message).
package strictyaml

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Error is a problem in a YAML file, located.
type Error struct {
	File string
	// Line is 1-based; 0 when the problem has no line (the file as a whole).
	Line int
	// Key is the key at fault: an unknown key, or the path of a value such
	// as waivers[0].rule (see Path).
	Key string
	Msg string
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc += ":" + strconv.Itoa(e.Line)
	}
	if e.Key != "" {
		return loc + ": " + e.Key + ": " + e.Msg
	}
	return loc + ": " + e.Msg
}

// ErrEmpty is returned for a document with nothing in it (or only comments).
var ErrEmpty = errors.New("empty YAML document")

// UnknownKey says what a key that the Go type typeName (unqualified, such as
// Waiver) does not define should have been; the message of its Error. keys
// are the keys that type defines, read from its yaml tags in the order of its
// fields, so the message can list them without a second list to keep equal.
type UnknownKey func(typeName string, keys []string) string

var (
	lineRe    = regexp.MustCompile(`(?s)^line (\d+): (.*)$`) // a quoted value may span lines
	unknownRe = regexp.MustCompile(`^field (\S+) not found in type (\S+)$`)
	// yaml.v3 shortens a value longer than 10 bytes to its first 7 and "...".
	typeRe  = regexp.MustCompile("(?s)^cannot unmarshal (\\S+?)(?: `(.*)`)? into (.+)$")
	twiceRe = regexp.MustCompile(`(?s)^mapping key "(.*)" already defined at line (\d+)$`)
)

// Decode decodes the first document of data into v, refusing keys that v's
// types do not define, and returns the document's node tree for the lines of
// its values (Line). name is the file name errors give. Every problem yaml.v3
// reports is one *Error, joined with errors.Join: an unknown key's Key is
// its path (waivers[1].ticket) and its message is unknown's; a value of the wrong type has the
// path of its key (waivers[0].expires) and says what was expected and found.
// A document with nothing in it is ErrEmpty, and v is left as it was.
func Decode(name string, data []byte, v any, unknown UnknownKey) (*yaml.Node, error) {
	var root yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, ErrEmpty
		}
		return nil, located(name, err, nil, nil, nil)
	}
	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	if err := strict.Decode(v); err != nil {
		var keys map[string][]string
		if unknown != nil {
			keys = Keys(v)
		}
		return nil, located(name, err, &root, reflect.TypeOf(v), func(typ string) string {
			if unknown == nil {
				return ""
			}
			return unknown(typ[strings.LastIndex(typ, ".")+1:], keys[typ])
		})
	}
	return &root, nil
}

// located turns yaml.v3's messages ("yaml: line 3: …", or a list of "line N:
// …" for type errors) into one *Error each. root, when there is one, gives
// the key path of a value yaml.v3 only locates by line, and typ (the type
// decoded into) tells apart the values of one line; unknown gives the
// message for an unknown key of a type ("" keeps yaml.v3's).
func located(name string, err error, root *yaml.Node, typ reflect.Type, unknown func(qualifiedType string) string) error {
	var te *yaml.TypeError
	var lines []string
	if errors.As(err, &te) {
		lines = te.Errors
	} else {
		lines = []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	used := map[*yaml.Node]bool{} // two equal values on one line are two errors
	errs := make([]error, 0, len(lines))
	for _, l := range lines {
		e := &Error{File: name, Msg: l}
		if m := lineRe.FindStringSubmatch(l); m != nil {
			e.Line, _ = strconv.Atoi(m[1])
			e.Msg = m[2]
			if f := unknownRe.FindStringSubmatch(e.Msg); f != nil && unknown != nil {
				if msg := unknown(f[2]); msg != "" {
					e.Key, e.Msg = f[1], msg
					// The key's path (waivers[1].ticket) says which of several.
					if path, _ := find(root, typ, func(_, key *yaml.Node, _ reflect.Type) bool {
						return key != nil && key.Line == e.Line && key.Value == f[1]
					}, used); path != nil {
						e.Key = Path(path...)
					}
				}
			} else if f := typeRe.FindStringSubmatch(e.Msg); f != nil && root != nil {
				e.Key, e.Msg = wrongType(root, typ, e.Line, f[1], f[2], f[3], used)
			} else if f := twiceRe.FindStringSubmatch(e.Msg); f != nil && root != nil {
				if path, _ := find(root, typ, func(n, key *yaml.Node, _ reflect.Type) bool {
					return key != nil && key.Line == e.Line && key.Value == f[1]
				}, used); path != nil {
					e.Key = Path(path...)
				} else {
					e.Key = f[1]
				}
				e.Msg = "key given twice (first at line " + f[2] + ")"
			}
		}
		errs = append(errs, e)
	}
	return errors.Join(errs...)
}

// wrongType words yaml.v3's "cannot unmarshal !!str `abc` into int" at line
// as the key path of that value and "expected a whole number, found "abc"".
func wrongType(root *yaml.Node, typ reflect.Type, line int, tag, shown, goType string, used map[*yaml.Node]bool) (key, msg string) {
	path, n := find(root, typ, func(n, _ *yaml.Node, t reflect.Type) bool {
		if n.Line != line || n.ShortTag() != tag {
			return false
		}
		if t != nil && t.String() != goType && (t.Kind() != reflect.Pointer || t.Elem().String() != goType) {
			return false
		}
		if n.Kind != yaml.ScalarNode {
			return true
		}
		if short, ok := strings.CutSuffix(shown, "..."); ok && len(n.Value) > 10 {
			return strings.HasPrefix(n.Value, short)
		}
		return n.Value == shown
	}, used)
	var found string
	switch {
	case n != nil && n.Kind == yaml.ScalarNode:
		found = strconv.Quote(n.Value)
	case n != nil:
		found = kindWords(n.Kind)
	case tag == "!!seq":
		found = "a list"
	case tag == "!!map":
		found = "a mapping"
	default:
		found = strconv.Quote(shown)
	}
	return Path(path...), "expected " + typeWords(goType) + ", found " + found
}

// find walks the document depth first for the first node, not yet used,
// that match accepts, and returns its path and the node, marked used. match
// is given the node, its mapping key (nil for a sequence item or the
// document) and the Go type it decodes into (nil where typ does not say,
// such as inside an any).
func find(root *yaml.Node, typ reflect.Type, match func(n, key *yaml.Node, t reflect.Type) bool, used map[*yaml.Node]bool) ([]any, *yaml.Node) {
	var walk func(n, key *yaml.Node, t reflect.Type, path []any) ([]any, *yaml.Node)
	walk = func(n, key *yaml.Node, t reflect.Type, path []any) ([]any, *yaml.Node) {
		if n.Kind != yaml.DocumentNode && !used[n] && match(n, key, t) {
			used[n] = true
			return path, n
		}
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				if p, f := walk(c, nil, t, path); f != nil {
					return p, f
				}
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if p, f := walk(v, k, valueType(t, k.Value), append(path[:len(path):len(path)], k.Value)); f != nil {
					return p, f
				}
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				if p, f := walk(c, nil, valueType(t, nil), append(path[:len(path):len(path)], i)); f != nil {
					return p, f
				}
			}
		}
		return nil, nil
	}
	return walk(root, nil, deref(typ), nil)
}

// valueType is the type a value decodes into inside t: the field of a
// struct named key, the element of a map, or (key nil) of a list.
func valueType(t reflect.Type, key any) reflect.Type {
	if t == nil {
		return nil
	}
	t = deref(t)
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		if key == nil {
			return t.Elem()
		}
	case reflect.Map:
		if key != nil {
			return t.Elem()
		}
	case reflect.Struct:
		if k, ok := key.(string); ok {
			return fieldType(t, k)
		}
	}
	return nil
}

func deref(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// fieldType is the type of the field of struct t that the key names, as
// Keys reads the tags; nil when none does.
func fieldType(t reflect.Type, key string) reflect.Type {
	for i := range t.NumField() {
		f := t.Field(i)
		name, inline, skip := yamlField(f)
		switch {
		case skip:
		case inline != nil:
			if found := fieldType(inline, key); found != nil {
				return found
			}
		case name == key:
			return f.Type
		}
	}
	return nil
}

// yamlField reads a struct field's yaml tag as yaml.v3 does: the field's key
// (the lower-cased field name by default); or, for an inlined struct, the
// struct whose fields stand in the parent; or skip, for a field yaml.v3 does
// not decode.
func yamlField(f reflect.StructField) (key string, inline reflect.Type, skip bool) {
	name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if !f.IsExported() && !f.Anonymous || name == "-" && opts == "" {
		return "", nil, true
	}
	if strings.Contains(","+opts+",", ",inline,") {
		if ft := deref(f.Type); ft.Kind() == reflect.Struct {
			return "", ft, false
		}
		return "", nil, true
	}
	if name == "" {
		name = strings.ToLower(f.Name)
	}
	return name, nil, false
}

func kindWords(k yaml.Kind) string {
	switch k {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	}
	return "a value"
}

// typeWords says in plain words what a Go type, as reflect prints it, takes.
func typeWords(goType string) string {
	t := strings.TrimLeft(goType, "*")
	switch {
	case t == "time.Duration":
		return "a duration such as 30s or 1m"
	case t == "time.Time":
		return "a time such as 2027-01-31T00:00:00Z"
	case strings.HasPrefix(t, "[]"), strings.HasPrefix(t, "["):
		return "a list"
	case strings.HasPrefix(t, "map["):
		return "a mapping (key: value)"
	case t == "bool":
		return "true or false"
	case t == "string":
		return "a string"
	case strings.HasPrefix(t, "uint"):
		return "a whole number, 0 or more"
	case strings.HasPrefix(t, "int"):
		return "a whole number"
	case strings.HasPrefix(t, "float"):
		return "a number"
	case strings.Contains(t, "."):
		return "a mapping (key: value)" // a struct of ours; other named types are rare in a YAML file
	}
	return "a value of type " + goType
}

// Keys lists, for every struct type reachable from v (through pointers,
// slices, arrays, maps and fields), the YAML keys it defines, in field
// order: the yaml tag's name, or the lowercased field name as yaml.v3 uses
// without one; ",inline" structs add their keys. The map is keyed by the
// type as reflect prints it (rules.Waiver).
func Keys(v any) map[string][]string {
	out := map[string][]string{}
	var visit func(t reflect.Type)
	visit = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
			if t.Kind() == reflect.Map {
				visit(t.Key())
			}
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return
		}
		if _, seen := out[t.String()]; seen {
			return
		}
		out[t.String()] = nil // before the fields: a type may hold itself
		out[t.String()] = structKeys(t, visit)
	}
	if v != nil {
		visit(reflect.TypeOf(v))
	}
	return out
}

func structKeys(t reflect.Type, visit func(reflect.Type)) []string {
	var keys []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, inline, skip := yamlField(f)
		switch {
		case skip:
		case inline != nil:
			keys = append(keys, structKeys(inline, visit)...)
		default:
			keys = append(keys, name)
			visit(f.Type)
		}
	}
	return keys
}

// Line is the line of the value at path below root (mapping keys as
// strings, sequence indexes as ints), or of its nearest parent that exists;
// 0 without a document.
func Line(root *yaml.Node, path ...any) int {
	if root == nil || len(root.Content) == 0 {
		return 0
	}
	n := root.Content[0]
	line := n.Line
	for _, p := range path {
		var next *yaml.Node
		switch p := p.(type) {
		case string:
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == p {
						next = n.Content[i+1]
						line = n.Content[i].Line
					}
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && p < len(n.Content) {
				next = n.Content[p]
				line = next.Line
			}
		}
		if next == nil {
			return line
		}
		n = next
	}
	return line
}

// Path renders a path as its author reads it: images[2].volumes[0].key.
func Path(path ...any) string {
	var b strings.Builder
	for _, p := range path {
		switch p := p.(type) {
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(p)
		case int:
			fmt.Fprintf(&b, "[%d]", p)
		}
	}
	return b.String()
}
