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
// Waiver) does not define should have been; the message of its Error.
type UnknownKey func(typeName string) string

var (
	lineRe    = regexp.MustCompile(`(?s)^line (\d+): (.*)$`) // a quoted value may span lines
	unknownRe = regexp.MustCompile(`^field (\S+) not found in type (\S+)$`)
)

// Decode decodes the first document of data into v, refusing keys that v's
// types do not define, and returns the document's node tree for the lines of
// its values (Line). name is the file name errors give. Every problem yaml.v3
// reports is one *Error, joined with errors.Join; an unknown key's Key is
// that key and its message is unknown's. A document with nothing in it is
// ErrEmpty, and v is left as it was.
func Decode(name string, data []byte, v any, unknown UnknownKey) (*yaml.Node, error) {
	var root yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, ErrEmpty
		}
		return nil, located(name, err, unknown)
	}
	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	if err := strict.Decode(v); err != nil {
		return nil, located(name, err, unknown)
	}
	return &root, nil
}

// located turns yaml.v3's messages ("yaml: line 3: …", or a list of "line N:
// …" for type errors) into one *Error each.
func located(name string, err error, unknown UnknownKey) error {
	var te *yaml.TypeError
	var lines []string
	if errors.As(err, &te) {
		lines = te.Errors
	} else {
		lines = []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	errs := make([]error, 0, len(lines))
	for _, l := range lines {
		e := &Error{File: name, Msg: l}
		if m := lineRe.FindStringSubmatch(l); m != nil {
			e.Line, _ = strconv.Atoi(m[1])
			e.Msg = m[2]
			if f := unknownRe.FindStringSubmatch(e.Msg); f != nil && unknown != nil {
				typ := f[2][strings.LastIndex(f[2], ".")+1:]
				e.Key, e.Msg = f[1], unknown(typ)
			}
		}
		errs = append(errs, e)
	}
	return errors.Join(errs...)
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
