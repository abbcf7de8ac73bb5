package rules

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/amiaudit/amiaudit/collector"
	"github.com/amiaudit/amiaudit/internal/synth"
	"github.com/amiaudit/amiaudit/snapshot"
)

// shardsOf splits a document as a sharded collection of the same state would
// have: shard k of n reads the accounts collector.Shard gives it, with the
// resources, settings, keys and errors of those accounts, and the whole
// organization. Each shard goes through its file form, as it would between
// machines.
func shardsOf(t *testing.T, doc *snapshot.Document, n int) ([]*snapshot.Document, [][]string) {
	t.Helper()
	var docs []*snapshot.Document
	var accounts [][]string
	for k := 1; k <= n; k++ {
		mine := collector.Shard(doc.Scope.Accounts, k, n)
		in := func(a string) bool { return slices.Contains(mine, a) }
		s := *doc
		s.Scope.Accounts = mine
		s.Scope.Shard = fmt.Sprintf("%d/%d", k, n)
		s.AccountRegions = filter(doc.AccountRegions, func(x snapshot.AccountRegion) bool { return in(x.Account) })
		s.Images = filter(doc.Images, func(x snapshot.Image) bool { return in(x.Account) })
		s.Snapshots = filter(doc.Snapshots, func(x snapshot.Snapshot) bool { return in(x.Account) })
		s.Keys = filter(doc.Keys, func(x snapshot.Key) bool { return in(x.Account) })
		s.Errors = filter(doc.Errors, func(x snapshot.CollectionError) bool { return in(x.Account) })
		docs = append(docs, roundTrip(t, &s, fmt.Sprintf("shard-%d.json.gz", k)))
		accounts = append(accounts, mine)
	}
	return docs, accounts
}

func filter[T any](in []T, keep func(T) bool) []T {
	out := []T{}
	for _, x := range in {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}

func roundTrip(t *testing.T, doc *snapshot.Document, name string) *snapshot.Document {
	t.Helper()
	var buf bytes.Buffer
	if err := doc.Encode(&buf, name); err != nil {
		t.Fatal(err)
	}
	out, err := snapshot.Decode(name, buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMergedShardsEvaluateAsOneRun: merge(shards) gives the findings of one
// unsharded run, byte for byte, and every account lands in exactly one shard.
func TestMergedShardsEvaluateAsOneRun(t *testing.T) {
	const n = 3
	whole := roundTrip(t, synth.Generate(synth.Spec{Accounts: 12, Regions: 2, Images: 2000, Snapshots: 6000, Keys: 60, Seed: 7}), "whole.json")
	shards, accounts := shardsOf(t, whole, n)

	owner := map[string]int{}
	for k, as := range accounts {
		if len(as) == 0 {
			t.Errorf("shard %d/%d is empty: the test would not exercise merging", k+1, n)
		}
		for _, a := range as {
			if prev, dup := owner[a]; dup {
				t.Errorf("account %s is in shards %d and %d", a, prev+1, k+1)
			}
			owner[a] = k
		}
	}
	if len(owner) != len(whole.Scope.Accounts) {
		t.Errorf("%d of %d accounts are in a shard", len(owner), len(whole.Scope.Accounts))
	}

	merged, err := snapshot.Merge(shards, []string{"shard-1.json.gz", "shard-2.json.gz", "shard-3.json.gz"})
	if err != nil {
		t.Fatal(err)
	}
	merged = roundTrip(t, merged, "merged.json.gz")
	want := roundTrip(t, whole, "whole.json")
	want.Sort()
	if !reflect.DeepEqual(merged, want) {
		t.Error("the merged document differs from the unsharded one (sorted as the collector sorts)")
	}

	e, err := Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	findingsJSON := func(doc *snapshot.Document) []byte {
		fs, err := e.Evaluate(context.Background(), doc, DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.MarshalIndent(fs, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	got, exp := findingsJSON(merged), findingsJSON(whole)
	if !bytes.Equal(got, exp) {
		t.Fatalf("findings of the merged shards (%d bytes) differ from one run's (%d bytes)", len(got), len(exp))
	}
	var fs []json.RawMessage
	if err := json.Unmarshal(got, &fs); err != nil || len(fs) < 100 {
		t.Fatalf("only %d findings: the organization is too clean to prove anything (%v)", len(fs), err)
	}
}
