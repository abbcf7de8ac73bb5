package snapshot

//go:generate go run ../internal/schemagen . ../schema/snapshot.schema.json
