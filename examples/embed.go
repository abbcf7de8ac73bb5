// Package examples embeds the example snapshot and configuration so that
// 'amiaudit demo' works from the binary alone.
package examples

import _ "embed"

// Snapshot is examples/snapshot.json: a small organization (3 accounts, 2
// regions) in which every offline rule fires at least once, beside clean
// resources that must not.
//
//go:embed snapshot.json
var Snapshot []byte

// Config is examples/amiaudit.yaml, the configuration that goes with Snapshot.
//
//go:embed amiaudit.yaml
var Config []byte
