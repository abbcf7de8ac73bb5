package report

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// TestWriteVerificationTable pins verify's table text, line for line, for
// each outcome: problems then NOT VERIFIED; verified with each signature
// state. A control character in a name a tampered bundle chose is escaped.
func TestWriteVerificationTable(t *testing.T) {
	ok := Verification{Bundle: "ev/1", Verified: true, Manifest: "manifest.json", Files: 7, PolicyDigest: "sha256:ab", Findings: 3, Problems: []string{}}
	signed, unchecked, unsigned := ok, ok, ok
	signed.Signature, signed.KeyFingerprint = SignatureVerified, "sha256:k"
	unchecked.Signature = SignatureUnchecked
	unsigned.Signature = SignatureNone
	const verified = "ev/1: verified: 7 files match manifest.json; policy digest sha256:ab; 3 findings reproduced\n"
	cases := map[string]struct {
		v    Verification
		want string
	}{
		"signed":    {signed, verified + "ev/1: signature verified with sha256:k\n"},
		"unchecked": {unchecked, verified + "ev/1: signed, but not checked against a key you trust: give --pub-key\n"},
		"unsigned":  {unsigned, verified + "ev/1: not signed\n"},
		"one problem": {Verification{Bundle: "ev/1", Manifest: "manifest.json", Problems: []string{"ev/1/report.sarif: listed in manifest.json but cannot be read"}},
			"ev/1/report.sarif: listed in manifest.json but cannot be read\nev/1: NOT VERIFIED: 1 problem\n"},
		"two problems": {Verification{Bundle: "ev/1", Manifest: "manifest.json", Problems: []string{"ev/1/a: x", "ev/1/b\x1b[2J: is not listed in manifest.json"}},
			"ev/1/a: x\nev/1/b\\x1b[2J: is not listed in manifest.json\nev/1: NOT VERIFIED: 2 problems\n"},
	}
	for name, c := range cases {
		var buf bytes.Buffer
		if err := WriteVerification(&buf, c.v, FormatTable); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if buf.String() != c.want {
			t.Errorf("%s:\n got %q\nwant %q", name, buf.String(), c.want)
		}
	}
}

// TestWriteVerificationJSON: the JSON form is the Verification object, with
// problems an empty list rather than null when there are none.
func TestWriteVerificationJSON(t *testing.T) {
	v := Verification{Bundle: "ev/1", Verified: true, Manifest: "manifest.json", Files: 7, PolicyDigest: "sha256:ab", Findings: 3, Signature: SignatureNone}
	var buf bytes.Buffer
	if err := WriteVerification(&buf, v, FormatJSON); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	want := map[string]any{
		"bundle": "ev/1", "verified": true, "problems": []any{}, "manifest": "manifest.json",
		"files": 7.0, "policy_digest": "sha256:ab", "findings_reproduced": 3.0, "signature": "none",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	if err := WriteVerification(&buf, v, "sarif"); err == nil {
		t.Error("format sarif accepted")
	}
}
