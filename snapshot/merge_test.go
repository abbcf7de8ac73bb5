package snapshot

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	acctA = "111111111111"
	acctB = "222222222222"
	acctC = "333333333333"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// shardDoc is a normalised shard document with one AMI, one snapshot and the
// account-regions of accounts.
func shardDoc(shard string, accounts ...string) *Document {
	started := at("2026-11-20T02:00:00Z")
	d := &Document{
		SchemaVersion: SchemaVersion,
		Tool:          Tool{Name: "amiaudit", Version: "v1"},
		CollectedAt:   at("2026-11-20T02:10:00Z"),
		StartedAt:     &started,
		Partition:     "aws",
		Scope:         Scope{Accounts: accounts, Regions: []string{"us-east-1", "eu-west-1"}, Organization: true, Shard: shard},
		Organization: &Organization{ID: "o-abcdefghij", ARN: "arn:aws:organizations::111111111111:organization/o-abcdefghij", ManagementAccount: acctA,
			Accounts: []OrgAccount{{ID: acctA}, {ID: acctB}, {ID: acctC}}},
	}
	for _, a := range accounts {
		for _, r := range d.Scope.Regions {
			d.AccountRegions = append(d.AccountRegions, AccountRegion{Account: a, Region: r})
		}
		d.Images = append(d.Images, Image{ID: "ami-" + a, Account: a, Region: "us-east-1"})
		d.Snapshots = append(d.Snapshots, Snapshot{ID: "snap-" + a, Account: a, Region: "eu-west-1"})
	}
	if err := d.Normalize(); err != nil {
		panic(err)
	}
	return d
}

func TestMerge(t *testing.T) {
	one := shardDoc("1/2", acctC, acctA)
	two := shardDoc("2/2", acctB)
	one.StartedAt = new(at("2026-11-20T01:59:00Z"))
	two.CollectedAt = at("2026-11-20T02:30:00Z")
	two.Tool.Version = "v2"
	// Shard two only knows an extra OU; shard one an extra account.
	one.Organization.Accounts = append(one.Organization.Accounts, OrgAccount{ID: "444444444444", Name: "new"})
	two.Organization.OrganizationalUnits = []OrganizationalUnit{{ID: "ou-ab12-abcdefgh", ARN: "arn:aws:organizations::111111111111:ou/o-abcdefghij/ou-ab12-abcdefgh"}}
	// Account A's key encrypts a snapshot of B: shard two describes it as a
	// user (no policy); shard one, the owner's, read it fully.
	keyARN := "arn:aws:kms:us-east-1:111111111111:key/k1"
	two.Keys = []Key{{ARN: keyARN, ID: "k1", Account: acctA, Region: "us-east-1", KeyManager: KeyManagerCustomer, KeyState: "Enabled"}}
	one.Keys = []Key{{ARN: keyARN, ID: "k1", Account: acctA, Region: "us-east-1", KeyManager: KeyManagerCustomer, KeyState: "Enabled", Policy: `{"Statement":[]}`}}
	// Both shards record the organization's error; each its own one.
	orgErr := CollectionError{Account: acctA, Service: "organizations", Action: "ListOrganizationalUnitsForParent", Code: "AccessDenied", Message: "no"}
	one.Errors = []CollectionError{orgErr, {Account: acctC, Region: "us-east-1", Service: "ec2", Action: "DescribeImages", Code: "UnauthorizedOperation", Message: "no"}}
	two.Errors = []CollectionError{orgErr}

	// The owner's shard comes second here, first below: the result is the same.
	for _, order := range [][]*Document{{two, one}, {one, two}} {
		m, err := Merge(order, []string{"a.json", "b.json"})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{acctA, acctB, acctC}; !slices.Equal(m.Scope.Accounts, want) {
			t.Errorf("scope.accounts = %v, want %v", m.Scope.Accounts, want)
		}
		if m.Scope.Shard != "" || !m.Scope.Organization || !slices.Equal(m.Scope.Regions, []string{"us-east-1", "eu-west-1"}) {
			t.Errorf("scope = %+v", m.Scope)
		}
		if !m.StartedAt.Equal(at("2026-11-20T01:59:00Z")) || !m.CollectedAt.Equal(at("2026-11-20T02:30:00Z")) {
			t.Errorf("started_at %v, collected_at %v: want the earliest start and the latest end", m.StartedAt, m.CollectedAt)
		}
		if len(m.Images) != 3 || m.Images[0].Account != acctA || m.Images[2].Account != acctC {
			t.Errorf("images not all there or not sorted by account: %+v", m.Images)
		}
		if len(m.AccountRegions) != 6 || m.AccountRegions[0].Region != "eu-west-1" || m.AccountRegions[1].Region != "us-east-1" {
			t.Errorf("account_regions not sorted by account then region: %+v", m.AccountRegions)
		}
		if len(m.Keys) != 1 || m.Keys[0].Policy == "" {
			t.Errorf("keys = %+v, want the owner shard's copy, once", m.Keys)
		}
		if len(m.Errors) != 2 || m.Errors[0] != orgErr {
			t.Errorf("errors = %+v, want the organization error once, sorted first", m.Errors)
		}
		if len(m.Organization.Accounts) != 4 || len(m.Organization.OrganizationalUnits) != 1 {
			t.Errorf("organization = %+v, want the union of accounts and OUs", m.Organization)
		}
		if m.Tool.Version != "v2, v1" && m.Tool.Version != "v1, v2" {
			t.Errorf("tool version %q should list both shard versions", m.Tool.Version)
		}
		if err := m.Validate(); err != nil {
			t.Errorf("merged document is invalid: %v", err)
		}
	}
}

func TestMergeUnshardedDocuments(t *testing.T) {
	m, err := Merge([]*Document{shardDoc("", acctB), shardDoc("", acctA)}, []string{"b.json", "a.json"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Scope.Accounts, []string{acctA, acctB}) {
		t.Errorf("scope.accounts = %v", m.Scope.Accounts)
	}
}

func TestMergeRejects(t *testing.T) {
	cases := []struct {
		name  string
		docs  func() []*Document
		files []string
		want  string
	}{
		{"schema version", func() []*Document {
			a, b := shardDoc("1/2", acctA), shardDoc("2/2", acctB)
			b.SchemaVersion = "2"
			return []*Document{a, b}
		}, []string{"a.json", "b.json"}, "schema_version"},
		{"partition", func() []*Document {
			a, b := shardDoc("1/2", acctA), shardDoc("2/2", acctB)
			b.Partition = "aws-cn"
			return []*Document{a, b}
		}, []string{"a.json", "b.json"}, "partition"},
		{"regions", func() []*Document {
			a, b := shardDoc("1/2", acctA), shardDoc("2/2", acctB)
			b.Scope.Regions = []string{"us-east-1"}
			return []*Document{a, b}
		}, []string{"a.json", "b.json"}, "scope.regions differ"},
		{"organization", func() []*Document {
			a, b := shardDoc("1/2", acctA), shardDoc("2/2", acctB)
			b.Organization.ID = "o-zzzzzzzzzz"
			return []*Document{a, b}
		}, []string{"a.json", "b.json"}, "organizations differ (o-abcdefghij and o-zzzzzzzzzz)"},
		{"organization unread in one shard", func() []*Document {
			a, b := shardDoc("1/2", acctA), shardDoc("2/2", acctB)
			b.Organization = nil
			return []*Document{a, b}
		}, []string{"a.json", "b.json"}, "organizations differ"},
		{"--org in one shard only", func() []*Document {
			a, b := shardDoc("1/2", acctA), shardDoc("2/2", acctB)
			b.Scope.Organization = false
			return []*Document{a, b}
		}, []string{"a.json", "b.json"}, "scope.organization differs"},
		{"account in two scopes", func() []*Document {
			return []*Document{shardDoc("", acctA), shardDoc("", acctB), shardDoc("", acctC, acctA)}
		}, []string{"a.json", "c.json"}, "account 111111111111 is in the scope of both"},
		{"image twice", func() []*Document {
			a, b := shardDoc("1/2", acctA), shardDoc("2/2", acctB)
			b.Images = append(b.Images, a.Images[0])
			return []*Document{a, b}
		}, []string{"a.json", "b.json"}, "image ami-111111111111 is in both"},
		{"snapshot twice", func() []*Document {
			a, b := shardDoc("1/2", acctA), shardDoc("2/2", acctB)
			b.Snapshots = append(b.Snapshots, a.Snapshots[0])
			return []*Document{a, b}
		}, []string{"a.json", "b.json"}, "snapshot snap-111111111111 is in both"},
		{"image twice in one file", func() []*Document {
			a, b := shardDoc("1/2", acctA), shardDoc("2/2", acctB)
			b.Images = append(b.Images, b.Images[0])
			return []*Document{a, b}
		}, []string{"b.json"}, "image ami-222222222222 is in it twice"},
		{"account-region twice", func() []*Document {
			a, b := shardDoc("1/2", acctA), shardDoc("2/2", acctB)
			b.AccountRegions = append(b.AccountRegions, a.AccountRegions[0])
			return []*Document{a, b}
		}, []string{"a.json", "b.json"}, "account-region 111111111111/us-east-1 is in both"},
		{"gate document", func() []*Document {
			a, b := shardDoc("1/2", acctA), shardDoc("2/2", acctB)
			b.Proposed = []ProposedChange{{Kind: ChangeLaunchPermission, ImageID: "ami-1"}}
			return []*Document{a, b}
		}, []string{"b.json"}, "gate"},
		{"shards of different runs", func() []*Document {
			return []*Document{shardDoc("1/2", acctA), shardDoc("2/3", acctB)}
		}, []string{"a.json", "b.json"}, "different runs"},
		{"same shard twice", func() []*Document {
			return []*Document{shardDoc("1/2", acctA), shardDoc("1/2", acctB)}
		}, []string{"a.json", "b.json"}, "both are shard 1/2"},
		{"missing shard", func() []*Document {
			return []*Document{shardDoc("1/3", acctA), shardDoc("3/3", acctB)}
		}, []string{"a.json", "b.json"}, "shard 2/3 missing"},
		{"unreadable shard name", func() []*Document {
			return []*Document{shardDoc("1/2", acctA), shardDoc("3/2", acctB)}
		}, []string{"b.json"}, `scope.shard "3/2": expected K/N with 1 ≤ K ≤ N`},
		{"shard and non-shard", func() []*Document {
			return []*Document{shardDoc("1/1", acctA), shardDoc("", acctB)}
		}, []string{"a.json", "b.json"}, "is not a shard"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			docs := c.docs()
			names := []string{"a.json", "b.json", "c.json"}[:len(docs)]
			m, err := Merge(docs, names)
			if err == nil {
				t.Fatalf("merged %+v, want an error", m.Scope)
			}
			var me *MergeError
			if !errors.As(err, &me) || !slices.Equal(me.Files, c.files) {
				t.Errorf("error names files %v, want %v", me.Files, c.files)
			}
			msg := err.Error()
			if !strings.Contains(msg, c.want) || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line containing %q", msg, c.want)
			}
			for _, f := range c.files {
				if !strings.Contains(msg, f) {
					t.Errorf("error %q does not name %s", msg, f)
				}
			}
		})
	}
}

func TestSortOrdersAsTheCollector(t *testing.T) {
	d := &Document{
		Images:    []Image{{ID: "ami-2", Account: acctB, Region: "us-east-1"}, {ID: "ami-3", Account: acctA, Region: "us-east-1"}, {ID: "ami-1", Account: acctA, Region: "us-east-1"}},
		Snapshots: []Snapshot{{ID: "snap-1", Account: acctA, Region: "us-east-1"}, {ID: "snap-2", Account: acctA, Region: "eu-west-1"}},
		Keys:      []Key{{ARN: "b"}, {ARN: "a"}},
		Errors:    []CollectionError{{Account: acctB, Service: "ec2"}, {Account: acctA, Region: "x", Service: "ec2"}, {Service: "organizations"}},
	}
	d.Sort()
	var ids []string
	for _, img := range d.Images {
		ids = append(ids, img.ID)
	}
	if !slices.Equal(ids, []string{"ami-1", "ami-3", "ami-2"}) || d.Snapshots[0].ID != "snap-2" || d.Keys[0].ARN != "a" {
		t.Errorf("images %v, snapshots %+v, keys %+v", ids, d.Snapshots, d.Keys)
	}
	if d.Errors[0].Service != "organizations" || d.Errors[1].Account != acctA {
		t.Errorf("errors %+v", d.Errors)
	}
}

func TestMergeNothing(t *testing.T) {
	if _, err := Merge(nil, nil); err == nil {
		t.Error("merging no document should fail")
	}
}

// TestMergeKnowsEveryField fails when the document gains a field: Merge must
// then be taught how to join it, or merged shards would silently lose it.
func TestMergeKnowsEveryField(t *testing.T) {
	merged := []string{"SchemaVersion", "Tool", "CollectedAt", "StartedAt", "Partition", "Scope", "Organization",
		"AccountRegions", "Images", "Snapshots", "Keys", "Errors", "Proposed", "DeepScans", "RecycleBinImages", "RecycleBinSnapshots", "Incremental"}
	typ := reflect.TypeFor[Document]()
	for i := range typ.NumField() {
		if name := typ.Field(i).Name; !slices.Contains(merged, name) {
			t.Errorf("Document.%s is new: teach Merge (snapshot/merge.go) to join it, then list it here", name)
		}
	}
}

func TestMergeDeepScans(t *testing.T) {
	a, b := shardDoc("1/2", acctA), shardDoc("2/2", acctB)
	a.DeepScans = []DeepScan{{ImageID: "ami-" + acctA, Account: acctA, Region: "us-east-1"}}
	b.DeepScans = []DeepScan{{ImageID: "ami-" + acctB, Account: acctB, Region: "us-east-1"}}
	m, err := Merge([]*Document{b, a}, []string{"b.json", "a.json"})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.DeepScans) != 2 || m.DeepScans[0].Account != acctA {
		t.Errorf("deep scans %+v", m.DeepScans)
	}
	b.DeepScans = append(b.DeepScans, a.DeepScans[0])
	if _, err := Merge([]*Document{a, b}, []string{"a.json", "b.json"}); err == nil || !strings.Contains(err.Error(), "deep scan of ami-111111111111 is in both") {
		t.Errorf("a deep scan in two shards: %v", err)
	}
}

func TestMergeKeepsIncrementalRecords(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)
	a := &Incremental{BaselineSHA256: "aaa", BaselineCollectedAt: t0, EventsSince: t0.Add(-time.Hour),
		AccountRegions: []IncrementalScope{{Account: "222222222222", Region: "us-east-1", Mode: ModeIncremental}}}
	b := &Incremental{BaselineSHA256: "bbb", BaselineCollectedAt: t0.Add(-time.Minute), EventsSince: t0.Add(-61 * time.Minute),
		AccountRegions: []IncrementalScope{{Account: "111111111111", Region: "us-east-1", Mode: ModeFull, FullReason: "--full was given"}}}
	got := mergedIncremental([]*Document{{Incremental: a}, {}, {Incremental: b}})
	if got.BaselineSHA256 != "aaa,bbb" || !got.BaselineCollectedAt.Equal(t0.Add(-time.Minute)) || !got.EventsSince.Equal(t0.Add(-61*time.Minute)) {
		t.Errorf("merged record %+v", got)
	}
	if len(got.AccountRegions) != 2 || got.AccountRegions[0].Account != "111111111111" {
		t.Errorf("account-regions %+v", got.AccountRegions)
	}
	if mergedIncremental([]*Document{{}, {}}) != nil {
		t.Error("full shards merged into an incremental record")
	}
}
