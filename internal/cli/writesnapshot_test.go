package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/amiaudit/amiaudit/snapshot"
)

// TestWriteSnapshotDigestIsOfTheBytesWritten: the digest a scan records for
// --snapshot-out (a file or "-", stdout) is the sha256 of the bytes written,
// not of nothing (the stdout path once hashed before writing).
func TestWriteSnapshotDigestIsOfTheBytesWritten(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "examples", "snapshot.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := snapshot.Decode("snapshot.json", b)
	if err != nil {
		t.Fatal(err)
	}
	sum := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

	var stdout bytes.Buffer
	got, err := writeSnapshot("-", doc, &stdout)
	if err != nil {
		t.Fatal(err)
	}
	if stdout.Len() == 0 || got != sum(stdout.Bytes()) {
		t.Errorf("stdout: digest %s, sha256 of the %d bytes written %s", got, stdout.Len(), sum(stdout.Bytes()))
	}

	for _, name := range []string{"snap.json", "snap.json.gz"} {
		path := filepath.Join(t.TempDir(), name)
		got, err := writeSnapshot(path, doc, nil)
		if err != nil {
			t.Fatal(err)
		}
		written, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if got != sum(written) {
			t.Errorf("%s: digest %s, sha256 of the file %s", name, got, sum(written))
		}
	}
}
