package snapshot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// DecodeError says where a snapshot document is wrong and what was expected.
type DecodeError struct {
	File   string // the file name, when known
	Line   int    // 1-based; 0 when the error has no position
	Column int    // 1-based
	Path   string // JSON pointer of the offending value, when known
	Msg    string
}

func (e *DecodeError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
	} else {
		b.WriteString("snapshot")
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
	}
	b.WriteString(": ")
	if e.Path != "" {
		fmt.Fprintf(&b, "%s: ", e.Path)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Decode reads a snapshot document strictly: the JSON must be well formed, of
// schema version SchemaVersion, and hold no field this version does not define.
// name is used in error messages. Gzip-compressed data is inflated first. The
// returned document is normalised (see Normalize).
func Decode(name string, data []byte) (*Document, error) {
	data, err := Inflate(name, data)
	if err != nil {
		return nil, err
	}
	if v, off, err := probeVersion(data); err != nil {
		return nil, positioned(name, data, off, "", err.Error())
	} else if v != SchemaVersion {
		msg := fmt.Sprintf("schema_version %q is not supported: this amiaudit reads schema_version %q", v, SchemaVersion)
		if v == "" {
			msg = fmt.Sprintf("missing schema_version: expected a snapshot document with \"schema_version\": %q", SchemaVersion)
		}
		return nil, positioned(name, data, off, "/schema_version", msg)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var doc Document
	if err := dec.Decode(&doc); err != nil {
		return nil, explain(name, data, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, positioned(name, data, dec.InputOffset(), "", "unexpected data after the snapshot document")
	}
	if err := doc.Validate(); err != nil {
		return nil, &DecodeError{File: name, Msg: err.Error()}
	}
	if err := doc.Normalize(); err != nil {
		return nil, &DecodeError{File: name, Msg: err.Error()}
	}
	return &doc, nil
}

// probeVersion finds the top-level schema_version without decoding the whole
// document when, as amiaudit writes it, it comes first. It returns the offset of
// the value (or of the error).
func probeVersion(data []byte) (string, int64, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return "", dec.InputOffset(), syntaxMsg(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return "", 0, fmt.Errorf("expected a JSON object (a snapshot document), found %v", describeToken(tok))
	}
	for dec.More() {
		keyTok, err := dec.Token()
		if err != nil {
			return "", dec.InputOffset(), syntaxMsg(err)
		}
		key, _ := keyTok.(string)
		if key == "schema_version" {
			off := dec.InputOffset()
			var v any
			if err := dec.Decode(&v); err != nil {
				return "", dec.InputOffset(), syntaxMsg(err)
			}
			s, ok := v.(string)
			if !ok {
				return "", off, fmt.Errorf("schema_version must be a string such as %q", SchemaVersion)
			}
			return s, off, nil
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return "", dec.InputOffset(), syntaxMsg(err)
		}
	}
	return "", 0, nil
}

func describeToken(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		return fmt.Sprintf("%q", string(t))
	case string:
		return "a string"
	case nil:
		return "null"
	default:
		return fmt.Sprintf("%v", t)
	}
}

func syntaxMsg(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("unexpected end of file: the JSON is truncated")
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("invalid JSON: %s", strings.TrimPrefix(se.Error(), "json: "))
	}
	return err
}

func explain(name string, data []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var pe *time.ParseError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return positioned(name, data, int64(len(data)), "", "unexpected end of file: the JSON is truncated")
	case errors.As(err, &se):
		return positioned(name, data, se.Offset, "", "invalid JSON: "+strings.TrimPrefix(se.Error(), "json: "))
	case errors.As(err, &te):
		path := pointerAt(data, te.Offset-1)
		return positioned(name, data, te.Offset, path, fmt.Sprintf("expected %s, found JSON %s", goTypeWords(te.Type), te.Value))
	case errors.As(err, &pe):
		off, path := findBadTime(data)
		return positioned(name, data, off, path, fmt.Sprintf("expected an RFC 3339 time such as 2026-01-02T15:04:05Z, found %q", pe.Value))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		off, path := findUnknownField(data, reflect.TypeOf(Document{}))
		field := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return positioned(name, data, off, path, fmt.Sprintf("unknown field %s: not part of schema_version %q", field, SchemaVersion))
	}
	return &DecodeError{File: name, Msg: err.Error()}
}

func goTypeWords(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int32, reflect.Int64, reflect.Float64:
		return "a number"
	case reflect.Slice:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return t.String()
}

func positioned(name string, data []byte, off int64, path, msg string) error {
	line, col := lineCol(data, off)
	return &DecodeError{File: name, Line: line, Column: col, Path: path, Msg: msg}
}

func lineCol(data []byte, off int64) (int, int) {
	if off < 0 {
		off = 0
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// findUnknownField walks the JSON alongside the Go type and returns the offset
// and JSON pointer of the first object key the type does not define.
func findUnknownField(data []byte, t reflect.Type) (int64, string) {
	dec := json.NewDecoder(bytes.NewReader(data))
	off, path, _ := walkUnknown(dec, t, "")
	// The decoder's offset is where the previous value ended; move to the key.
	for off < int64(len(data)) && bytes.IndexByte([]byte(" \t\r\n,{"), data[off]) >= 0 {
		off++
	}
	return off, path
}

// pointerAt returns the JSON pointer of the innermost value whose bytes hold offset target.
func pointerAt(data []byte, target int64) string {
	dec := json.NewDecoder(bytes.NewReader(data))
	p, _ := valueAt(dec, "", target)
	return p
}

func valueAt(dec *json.Decoder, path string, target int64) (string, bool) {
	start := dec.InputOffset()
	tok, err := dec.Token()
	if err != nil {
		return "", false
	}
	if d, ok := tok.(json.Delim); ok {
		for i := 0; dec.More(); i++ {
			child := path + "/" + strconv.Itoa(i)
			if d == '{' {
				keyTok, err := dec.Token()
				if err != nil {
					return "", false
				}
				child = path + "/" + escapePointer(keyTok.(string))
			}
			if p, found := valueAt(dec, child, target); found {
				return p, true
			}
		}
		if _, err := dec.Token(); err != nil {
			return "", false
		}
	}
	return path, start <= target && target < dec.InputOffset()
}

func walkUnknown(dec *json.Decoder, t reflect.Type, path string) (int64, string, bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	start := dec.InputOffset()
	tok, err := dec.Token()
	if err != nil {
		return start, path, false
	}
	d, isDelim := tok.(json.Delim)
	if !isDelim {
		return 0, "", false
	}
	switch {
	case d == '{' && t.Kind() == reflect.Struct && t != reflect.TypeOf(time.Time{}):
		fields := jsonFields(t)
		for dec.More() {
			keyStart := dec.InputOffset()
			keyTok, err := dec.Token()
			if err != nil {
				return keyStart, path, false
			}
			key := keyTok.(string)
			ft, ok := fields[key]
			if !ok {
				return keyStart, path + "/" + escapePointer(key), true
			}
			if off, p, found := walkUnknown(dec, ft, path+"/"+escapePointer(key)); found {
				return off, p, true
			}
		}
		_, _ = dec.Token()
	case d == '[' && t.Kind() == reflect.Slice:
		for i := 0; dec.More(); i++ {
			if off, p, found := walkUnknown(dec, t.Elem(), path+"/"+strconv.Itoa(i)); found {
				return off, p, true
			}
		}
		_, _ = dec.Token()
	default:
		skipRest(dec)
	}
	return 0, "", false
}

func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := make(map[string]reflect.Type, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		name := strings.Split(f.Tag.Get("json"), ",")[0]
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

// findBadTime finds the first string value under a time-typed field that does
// not parse as RFC 3339.
func findBadTime(data []byte) (int64, string) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var off int64
	var path string
	walkTimes(dec, reflect.TypeOf(Document{}), "", func(o int64, p, s string) bool {
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			off, path = o, p
			return true
		}
		return false
	})
	return off, path
}

func walkTimes(dec *json.Decoder, t reflect.Type, path string, visit func(int64, string, string) bool) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	start := dec.InputOffset()
	tok, err := dec.Token()
	if err != nil {
		return false
	}
	if s, ok := tok.(string); ok && t == reflect.TypeOf(time.Time{}) {
		return visit(start, path, s)
	}
	d, isDelim := tok.(json.Delim)
	if !isDelim {
		return false
	}
	if d == '{' && t.Kind() == reflect.Struct {
		fields := jsonFields(t)
		for dec.More() {
			keyTok, err := dec.Token()
			if err != nil {
				return false
			}
			key := keyTok.(string)
			ft, ok := fields[key]
			if !ok {
				ft = reflect.TypeOf(json.RawMessage{})
			}
			if walkTimes(dec, ft, path+"/"+escapePointer(key), visit) {
				return true
			}
		}
		_, _ = dec.Token()
		return false
	}
	if d == '[' && t.Kind() == reflect.Slice && t.Elem().Kind() != reflect.Uint8 {
		for i := 0; dec.More(); i++ {
			if walkTimes(dec, t.Elem(), path+"/"+strconv.Itoa(i), visit) {
				return true
			}
		}
		_, _ = dec.Token()
		return false
	}
	skipRest(dec)
	return false
}

// skipRest consumes the rest of an object or list whose opening delimiter has
// just been read.
func skipRest(dec *json.Decoder) {
	for depth := 1; depth > 0; {
		tok, err := dec.Token()
		if err != nil {
			return
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
	}
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
