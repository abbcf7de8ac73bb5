package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzFormats puts arbitrary text where whoever shares an image controls it
// (names, tags, descriptions end up in messages and evidence) and checks that
// every new format stays parseable: JSON for OCSF and ASFF, well-formed XML
// for JUnit, and a CSV whose cells read back as written (less the apostrophe
// that defuses formulas).
func FuzzFormats(f *testing.F) {
	for _, seed := range []string{"web <&> base", "=1+1", "]]>\x00\x1b[2J", "a,\"b\"\r\nc", "\xff\xfe", "-@\t"} {
		f.Add(seed, seed)
	}
	f.Fuzz(func(t *testing.T, message, name string) {
		r := testReport()
		r.Findings = r.Findings[:3]
		r.Findings[0].Message = message
		r.Findings[1].Resource.ID = name
		r.Findings[2].Evidence = map[string]any{"image": map[string]any{"name": name}, "grantee": message}
		for _, format := range []string{FormatOCSF, FormatASFF} {
			var v []map[string]any
			if err := json.Unmarshal(render(t, format, Options{}, r), &v); err != nil || len(v) != 3 {
				t.Fatalf("%s: %v", format, err)
			}
		}
		dec := xml.NewDecoder(bytes.NewReader(render(t, FormatJUnit, Options{}, r)))
		dec.Strict = true
		for {
			_, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("JUnit XML: %v", err)
			}
		}
		rows, err := csv.NewReader(bytes.NewReader(render(t, FormatCSV, Options{}, r))).ReadAll()
		if err != nil || len(rows) != 4 {
			t.Fatalf("CSV: %v (%d rows)", err, len(rows))
		}
		if got := unCSV(rows[1][8]); utf8.ValidString(message) && !strings.ContainsRune(message, '\r') && got != message {
			t.Errorf("message %q read back as %q", message, got)
		}
	})
}

// unCSV undoes csvSafe.
func unCSV(cell string) string {
	if len(cell) > 1 && cell[0] == '\'' && strings.ContainsRune("=+-@\t\r", rune(cell[1])) {
		return cell[1:]
	}
	return cell
}
