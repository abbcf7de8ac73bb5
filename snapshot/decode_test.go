package snapshot

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const minimal = `{
  "schema_version": "1",
  "collected_at": "2026-11-20T02:00:00Z",
  "scope": {"accounts": ["123456789012"], "regions": ["us-east-1"]},
  "organization": null,
  "images": [
    {"id": "ami-0abc", "account": "123456789012", "region": "us-east-1",
     "launch_permissions": [{"user_id": "999988887777"}],
     "block_device_mappings": [{"device_name": "/dev/xvda", "snapshot_id": "snap-0abc"}]}
  ],
  "snapshots": [{"id": "snap-0abc", "account": "123456789012", "region": "us-east-1"}],
  "keys": [{"arn": "arn:aws:kms:us-east-1:123456789012:key/k1", "id": "k1", "account": "123456789012",
            "region": "us-east-1", "key_manager": "CUSTOMER", "key_state": "Enabled",
            "policy": "{\"Statement\": {\"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": \"kms:Decrypt\"}}"}]
}`

func TestDecodeNormalizes(t *testing.T) {
	doc, err := Decode("min.json", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if doc.Partition != "aws" {
		t.Errorf("partition = %q, want aws", doc.Partition)
	}
	if got, want := doc.Images[0].ARN, "arn:aws:ec2:us-east-1::image/ami-0abc"; got != want {
		t.Errorf("image ARN = %q, want %q", got, want)
	}
	if got, want := doc.Snapshots[0].ARN, "arn:aws:ec2:us-east-1::snapshot/snap-0abc"; got != want {
		t.Errorf("snapshot ARN = %q, want %q", got, want)
	}
	if doc.Snapshots[0].CreateVolumePermissions == nil || doc.Keys[0].Grants == nil || doc.Errors == nil || doc.AccountRegions == nil {
		t.Error("absent lists must become empty lists")
	}
	st := doc.Keys[0].PolicyStatements
	if len(st) != 1 || !st[0].Principals[0].Wildcard || st[0].Actions[0] != "kms:decrypt" {
		t.Errorf("policy statements not derived from the raw policy: %+v", st)
	}
}

// TestDecodeErrors: every bad input names the place and says what was expected.
func TestDecodeErrors(t *testing.T) {
	cases := []struct {
		name string
		data string
		want []string // substrings of the error
	}{
		{"truncated", minimal[:200], []string{"bad.json:", "truncated"}},
		{"empty", "", []string{"bad.json", "truncated"}},
		{"not an object", `[1, 2]`, []string{"expected a JSON object"}},
		{"syntax", "{\n  \"schema_version\": \"1\",\n  \"collected_at\": oops\n}", []string{"bad.json:3:", "invalid JSON"}},
		{"wrong version", strings.Replace(minimal, `"schema_version": "1"`, `"schema_version": "7"`, 1), []string{"bad.json:2:", `schema_version "7" is not supported`, `reads schema_version "1"`}},
		{"missing version", strings.Replace(minimal, `"schema_version": "1",`, ``, 1), []string{"missing schema_version"}},
		{"numeric version", strings.Replace(minimal, `"schema_version": "1"`, `"schema_version": 1`, 1), []string{"bad.json:2:", "must be a string"}},
		{"unknown top-level field", strings.Replace(minimal, `"organization": null,`, `"organisation": null,`, 1), []string{"bad.json:5:", "/organisation", `unknown field "organisation"`}},
		{"unknown nested field", strings.Replace(minimal, `"user_id": "999988887777"`, `"user_id": "999988887777", "userid": "x"`, 1), []string{"bad.json:8:", "/images/0/launch_permissions/0/userid", "unknown field"}},
		{"wrong type", strings.Replace(minimal, `"launch_permissions": [`, `"launch_permissions": {"a": 1}, "x": [`, 1), []string{"/images/0/launch_permissions", "expected a list"}},
		{"bad time", strings.Replace(minimal, `"2026-11-20T02:00:00Z"`, `"20 Nov 2026"`, 1), []string{"bad.json:3:", "/collected_at", "RFC 3339"}},
		{"bad account", strings.Replace(minimal, `"account": "123456789012", "region": "us-east-1",
     "launch`, `"account": "12345", "region": "us-east-1",
     "launch`, 1), []string{"/images/0/account", "12-digit"}},
		// The schema's pattern (awsid.ImageIDPattern): ami- and lowercase hex digits.
		{"bad AMI ID", strings.Replace(minimal, `"id": "ami-0abc"`, `"id": "ami-golden"`, 1), []string{"/images/0/id", "expected an AMI ID", `"ami-golden"`}},
		{"bad snapshot ID", strings.Replace(minimal, `[{"id": "snap-0abc"`, `[{"id": "snap-0ABC"`, 1), []string{"/snapshots/0/id", "expected a snapshot ID", `"snap-0ABC"`}},
		{"two grantees in one permission", strings.Replace(minimal, `{"user_id": "999988887777"}`, `{"user_id": "999988887777", "group": "all"}`, 1), []string{"/images/0/launch_permissions/0", "exactly one"}},
		{"bad key policy", strings.Replace(minimal, `\"Effect\": \"Allow\"`, `\"Effect\": \"Maybe\"`, 1), []string{"/keys/0/policy", "Effect"}},
		{"trailing data", minimal + "{}", []string{"unexpected data after"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode("bad.json", []byte(c.data))
			if err == nil {
				t.Fatal("decoded without error")
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %T is not a *DecodeError: %v", err, err)
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
		})
	}
}

func TestExampleSnapshotDecodes(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "examples", "snapshot.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Decode("snapshot.json", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Scope.Accounts) != 3 || len(doc.Scope.Regions) != 2 {
		t.Errorf("example scope is %d accounts × %d regions, want 3 × 2", len(doc.Scope.Accounts), len(doc.Scope.Regions))
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(minimal))
	f.Add([]byte(`{"schema_version":"1"}`))
	f.Add([]byte(`{"images":[{"x":1}],"schema_version":"1","collected_at":"2026-01-01T00:00:00Z"}`))
	if data, err := os.ReadFile(filepath.Join("..", "examples", "snapshot.json")); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := Decode("fuzz.json", data)
		if err == nil {
			if doc.SchemaVersion != SchemaVersion {
				t.Fatalf("accepted schema_version %q", doc.SchemaVersion)
			}
			return
		}
		var de *DecodeError
		if !errors.As(err, &de) {
			t.Fatalf("error %T is not a *DecodeError: %v", err, err)
		}
	})
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	doc, err := Decode("min.json", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"out.json", "out.json.gz"} {
		var buf strings.Builder
		if err := doc.Encode(&buf, name); err != nil {
			t.Fatal(err)
		}
		back, err := Decode(name, []byte(buf.String()))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if back.Images[0].ARN != doc.Images[0].ARN || len(back.Keys[0].PolicyStatements) != 1 {
			t.Errorf("%s: round trip lost data", name)
		}
	}
	var buf strings.Builder
	_ = doc.Encode(&buf, "x.gz")
	if _, err := Decode("x.gz", []byte(buf.String()[:buf.Len()/2])); err == nil || !strings.Contains(err.Error(), "gzip") {
		t.Errorf("truncated gzip: %v", err)
	}
}

// TestFileDigest: a snapshot file is named by the sha256 of its bytes as read
// (sha256 of "" is the well-known e3b0c442…), not of the decoded document.
func TestFileDigest(t *testing.T) {
	if got := FileDigest(nil); got != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Errorf("FileDigest(empty) = %s", got)
	}
	spaced := []byte(minimal + "\n\n")
	if FileDigest(spaced) == FileDigest([]byte(minimal)) {
		t.Error("two files with the same document and other bytes have one digest")
	}
}

func TestNothingRead(t *testing.T) {
	on := true
	failed := []CollectionError{{Account: "123456789012", Service: "sts", Action: "AssumeRole", Code: "AccessDenied", Message: "no"}}
	for name, c := range map[string]struct {
		doc  Document
		want bool
	}{
		"every call failed":     {Document{Errors: failed, AccountRegions: []AccountRegion{{Account: "123456789012", Region: "us-east-1"}}}, true},
		"an empty, clean scope": {Document{}, false},
		"an image read":         {Document{Errors: failed, Images: []Image{{ID: "ami-1234abcd"}}}, false},
		"a snapshot read":       {Document{Errors: failed, Snapshots: []Snapshot{{ID: "snap-1234abcd"}}}, false},
		"only a setting read":   {Document{Errors: failed, AccountRegions: []AccountRegion{{EBSEncryptionByDefault: &on}}}, false},
	} {
		if got := c.doc.NothingRead(); got != c.want {
			t.Errorf("%s: NothingRead = %v, want %v", name, got, c.want)
		}
	}
}
