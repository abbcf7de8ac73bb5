package snapshot

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Encode writes the document as indented JSON; a name ending in .gz is
// gzip-compressed (snapshots of large organizations shrink about tenfold).
func (d *Document) Encode(w io.Writer, name string) error {
	if strings.HasSuffix(name, ".gz") {
		zw := gzip.NewWriter(w)
		if err := d.Encode(zw, ""); err != nil {
			return err
		}
		return zw.Close()
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	enc.SetEscapeHTML(false)
	return enc.Encode(d)
}

// Inflate returns data inflated when it is gzip (recognised by its magic
// number), and as it is otherwise.
func Inflate(name string, data []byte) ([]byte, error) {
	if len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
		return data, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, &DecodeError{File: name, Msg: err.Error()}
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		msg := err.Error()
		if !strings.HasPrefix(msg, "gzip: ") {
			msg = "gzip: " + msg
		}
		return nil, &DecodeError{File: name, Msg: msg + ": the compressed file is truncated or corrupt"}
	}
	return out, nil
}

// FileDigest is the hex sha256 of a snapshot file's bytes as read or
// written, compressed or not: the digest by which a report
// (snapshot.sha256), an evidence bundle and an incremental baseline name a
// snapshot file.
func FileDigest(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// Digest is the hex sha256 of the document as Encode writes it uncompressed:
// the digest a report names for a document that was read from AWS rather
// than from a file.
func (d *Document) Digest() (string, error) {
	h := sha256.New()
	if err := d.Encode(h, ""); err != nil {
		return "", fmt.Errorf("digest the snapshot document: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
