package snapshot

//go:generate go run ../internal/schemagen . ../schema/snapshot.schema.json ../docs/snapshot-fields.md
