package snapshot

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// MergeError says why shard documents cannot be merged, naming the files.
type MergeError struct {
	Files []string
	Msg   string
}

func (e *MergeError) Error() string {
	return fmt.Sprintf("merge %s: %s", strings.Join(e.Files, ", "), e.Msg)
}

// Merge joins the shard documents of one sharded collection (collect --shard
// K/N, one document per shard) into the document one unsharded collection
// would have written. names label the documents in errors (file names).
//
// The shards must agree on what was collected: schema version, partition,
// regions, organization and the way the accounts were chosen (--org or not);
// shards numbered K/N must have the same N, distinct K and all of 1…N. No
// account may be in two shards' scope, and no AMI, EBS snapshot or
// account-region (or deep scan of an AMI) may appear twice. A KMS key may: a key is read by every
// shard whose resources it encrypts, so the copy read in the key owner's shard
// is kept. The result has the union of the scopes (no shard), the earliest
// start and the latest end of collection, every collection error once, and is
// sorted by account, region and ID.
func Merge(docs []*Document, names []string) (*Document, error) {
	if len(docs) == 0 {
		return nil, &MergeError{Msg: "no shard documents to merge"}
	}
	if len(names) != len(docs) {
		names = make([]string, len(docs))
		for i := range docs {
			names[i] = fmt.Sprintf("document %d", i+1)
		}
	}
	fail := func(i, j int, format string, args ...any) error {
		files := []string{names[i]}
		msg := fmt.Sprintf(format, args...)
		if j != i {
			files = append(files, names[j])
		} else {
			msg = strings.Replace(msg, " both", " it twice", 1)
		}
		return &MergeError{Files: files, Msg: msg}
	}
	for i, d := range docs {
		if len(d.Proposed) > 0 {
			return nil, fail(i, i, "holds the proposed changes of a gate check, not a collection: merge the shards of 'amiaudit collect --shard'")
		}
	}
	first := docs[0]
	for i, d := range docs[1:] {
		i++
		switch {
		case d.SchemaVersion != first.SchemaVersion:
			return nil, fail(0, i, "schema_version %q and %q differ: merge documents written by the same amiaudit version", first.SchemaVersion, d.SchemaVersion)
		case d.PartitionOrDefault() != first.PartitionOrDefault():
			return nil, fail(0, i, "partition %q and %q differ: shards of one run read one partition", first.PartitionOrDefault(), d.PartitionOrDefault())
		case !sameSet(d.Scope.Regions, first.Scope.Regions):
			return nil, fail(0, i, "scope.regions differ (%s and %s): every shard must read the same regions (pass the same --regions to each)",
				list(first.Scope.Regions), list(d.Scope.Regions))
		case d.Scope.Organization != first.Scope.Organization:
			return nil, fail(0, i, "scope.organization differs: one shard took its accounts from the organization (--org), the other did not")
		case orgID(d) != orgID(first):
			return nil, fail(0, i, "organizations differ (%s and %s): shards of one run read one organization", orgID(first), orgID(d))
		}
	}
	if err := checkShardNumbers(docs, names); err != nil {
		return nil, err
	}

	out := &Document{
		SchemaVersion: first.SchemaVersion,
		Tool:          mergedTool(docs),
		CollectedAt:   first.CollectedAt,
		Partition:     first.Partition,
		Scope: Scope{
			Regions:      slices.Clone(first.Scope.Regions),
			Organization: first.Scope.Organization,
		},
		AccountRegions: []AccountRegion{},
		Images:         []Image{},
		Snapshots:      []Snapshot{},
		Keys:           []Key{},
		Errors:         []CollectionError{},
	}
	accountShard := map[string]int{}
	seen := map[string]int{} // "kind/id" → document index
	claim := func(i int, kind, id string) error {
		key := kind + "/" + id
		if j, dup := seen[key]; dup {
			return fail(j, i, "%s %s is in both: shards must not overlap", kind, id)
		}
		seen[key] = i
		return nil
	}
	keyAt := map[string]int{} // key ARN → index in out.Keys
	keyFrom := map[string]int{}
	errorSeen := map[CollectionError]bool{}
	for i, d := range docs {
		if d.CollectedAt.After(out.CollectedAt) {
			out.CollectedAt = d.CollectedAt
		}
		if d.StartedAt != nil && (out.StartedAt == nil || d.StartedAt.Before(*out.StartedAt)) {
			t := *d.StartedAt
			out.StartedAt = &t
		}
		for _, a := range d.Scope.Accounts {
			if j, dup := accountShard[a]; dup {
				return nil, fail(j, i, "account %s is in the scope of both: shards must not overlap", a)
			}
			accountShard[a] = i
			out.Scope.Accounts = append(out.Scope.Accounts, a)
		}
		for _, ar := range d.AccountRegions {
			if err := claim(i, "account-region", ar.Account+"/"+ar.Region); err != nil {
				return nil, err
			}
			out.AccountRegions = append(out.AccountRegions, ar)
		}
		for _, img := range d.Images {
			if err := claim(i, "image", img.ID); err != nil {
				return nil, err
			}
			out.Images = append(out.Images, img)
		}
		for _, s := range d.Snapshots {
			if err := claim(i, "snapshot", s.ID); err != nil {
				return nil, err
			}
			out.Snapshots = append(out.Snapshots, s)
		}
		// Recycle Bin entries belong to an account-region, claimed above.
		out.RecycleBinImages = append(out.RecycleBinImages, d.RecycleBinImages...)
		out.RecycleBinSnapshots = append(out.RecycleBinSnapshots, d.RecycleBinSnapshots...)
		for _, ds := range d.DeepScans {
			if err := claim(i, "deep scan of", ds.ImageID); err != nil {
				return nil, err
			}
			out.DeepScans = append(out.DeepScans, ds)
		}
		for _, k := range d.Keys {
			at, dup := keyAt[k.ARN]
			if !dup {
				keyAt[k.ARN] = len(out.Keys)
				keyFrom[k.ARN] = i
				out.Keys = append(out.Keys, k)
				continue
			}
			// The owner's shard read the key with the owner's rights (its policy,
			// grants and aliases); another shard only described it as a user.
			// Scope accounts are claimed before keys, so the owner's shard is
			// known by the time it is read, whichever shard met the key first.
			if owner, ok := accountShard[k.Account]; ok && owner == i && keyFrom[k.ARN] != i {
				out.Keys[at] = k
				keyFrom[k.ARN] = i
			}
		}
		for _, e := range d.Errors {
			// Errors about the organization itself are recorded by every shard.
			if !errorSeen[e] {
				errorSeen[e] = true
				out.Errors = append(out.Errors, e)
			}
		}
	}
	sort.Strings(out.Scope.Accounts)
	out.Organization = mergedOrganization(docs)
	out.Incremental = mergedIncremental(docs)
	out.Sort()
	return out, nil
}

// mergedIncremental joins the shards' records of incremental collection:
// each shard had its own baseline (its previous shard), so the merged
// record lists their digests; the event window starts at the earliest.
func mergedIncremental(docs []*Document) *Incremental {
	var out *Incremental
	seen := map[string]bool{}
	for _, d := range docs {
		inc := d.Incremental
		if inc == nil {
			continue
		}
		if out == nil {
			out = &Incremental{BaselineCollectedAt: inc.BaselineCollectedAt, EventsSince: inc.EventsSince}
		}
		if !seen[inc.BaselineSHA256] {
			seen[inc.BaselineSHA256] = true
			out.BaselineSHA256 = strings.TrimPrefix(out.BaselineSHA256+","+inc.BaselineSHA256, ",")
		}
		if inc.BaselineCollectedAt.Before(out.BaselineCollectedAt) {
			out.BaselineCollectedAt = inc.BaselineCollectedAt
		}
		if inc.EventsSince.Before(out.EventsSince) {
			out.EventsSince = inc.EventsSince
		}
		out.AccountRegions = append(out.AccountRegions, inc.AccountRegions...)
	}
	if out != nil {
		sort.Slice(out.AccountRegions, func(i, j int) bool {
			a, b := out.AccountRegions[i], out.AccountRegions[j]
			return a.Account+"/"+a.Region < b.Account+"/"+b.Region
		})
	}
	return out
}

// Sort orders the document as the collector writes it: account-regions,
// images, snapshots and deep scans by account, region and ID; keys by ARN;
// errors by account, region, service, action and resource. Two collections of the same
// state then give the same bytes.
func (d *Document) Sort() {
	sort.Slice(d.AccountRegions, func(i, j int) bool {
		a, b := d.AccountRegions[i], d.AccountRegions[j]
		return a.Account+"/"+a.Region < b.Account+"/"+b.Region
	})
	sort.Slice(d.Images, func(i, j int) bool {
		a, b := d.Images[i], d.Images[j]
		return a.Account+"/"+a.Region+"/"+a.ID < b.Account+"/"+b.Region+"/"+b.ID
	})
	sort.Slice(d.Snapshots, func(i, j int) bool {
		a, b := d.Snapshots[i], d.Snapshots[j]
		return a.Account+"/"+a.Region+"/"+a.ID < b.Account+"/"+b.Region+"/"+b.ID
	})
	sort.Slice(d.Keys, func(i, j int) bool { return d.Keys[i].ARN < d.Keys[j].ARN })
	sort.Slice(d.DeepScans, func(i, j int) bool {
		a, b := d.DeepScans[i], d.DeepScans[j]
		return a.Account+"/"+a.Region+"/"+a.ImageID < b.Account+"/"+b.Region+"/"+b.ImageID
	})
	sort.Slice(d.RecycleBinImages, func(i, j int) bool {
		a, b := d.RecycleBinImages[i], d.RecycleBinImages[j]
		return a.Account+"/"+a.Region+"/"+a.ID < b.Account+"/"+b.Region+"/"+b.ID
	})
	sort.Slice(d.RecycleBinSnapshots, func(i, j int) bool {
		a, b := d.RecycleBinSnapshots[i], d.RecycleBinSnapshots[j]
		return a.Account+"/"+a.Region+"/"+a.ID < b.Account+"/"+b.Region+"/"+b.ID
	})
	sort.SliceStable(d.Errors, func(i, j int) bool {
		a, b := d.Errors[i], d.Errors[j]
		ka := fmt.Sprint(a.Account, "/", a.Region, "/", a.Service, "/", a.Action, "/", a.Resource)
		kb := fmt.Sprint(b.Account, "/", b.Region, "/", b.Service, "/", b.Action, "/", b.Resource)
		return ka < kb
	})
}

// checkShardNumbers: documents that say which shard they are must all be
// shards of the same N, each K once, none missing; a merge of an incomplete
// run would audit part of the organization as if it were all of it.
func checkShardNumbers(docs []*Document, names []string) error {
	var numbered, plain []int
	for i, d := range docs {
		if d.Scope.Shard == "" {
			plain = append(plain, i)
		} else {
			numbered = append(numbered, i)
		}
	}
	if len(numbered) == 0 {
		return nil
	}
	if len(plain) > 0 {
		return &MergeError{Files: []string{names[numbered[0]], names[plain[0]]},
			Msg: fmt.Sprintf("%s is shard %s, %s is not a shard: merge the shards of one run", names[numbered[0]], docs[numbered[0]].Scope.Shard, names[plain[0]])}
	}
	byK := map[int]int{}
	total := 0
	for _, i := range numbered {
		k, n, err := ParseShard(docs[i].Scope.Shard)
		if err != nil {
			return &MergeError{Files: []string{names[i]}, Msg: fmt.Sprintf("scope.shard %q: %v", docs[i].Scope.Shard, err)}
		}
		if total == 0 {
			total = n
		}
		if n != total {
			return &MergeError{Files: []string{names[numbered[0]], names[i]},
				Msg: fmt.Sprintf("shards %s and %s are of different runs (N = %d and %d)", docs[numbered[0]].Scope.Shard, docs[i].Scope.Shard, total, n)}
		}
		if j, dup := byK[k]; dup {
			return &MergeError{Files: []string{names[j], names[i]}, Msg: fmt.Sprintf("both are shard %s", docs[i].Scope.Shard)}
		}
		byK[k] = i
	}
	var missing []string
	for k := 1; k <= total; k++ {
		if _, ok := byK[k]; !ok {
			missing = append(missing, fmt.Sprintf("%d/%d", k, total))
		}
	}
	if len(missing) > 0 {
		files := make([]string, len(numbered))
		for i, d := range numbered {
			files[i] = names[d]
		}
		return &MergeError{Files: files, Msg: fmt.Sprintf("shard %s missing: merge every shard of the run, or the merged audit would skip their accounts", strings.Join(missing, ", "))}
	}
	return nil
}

// mergedOrganization is the shards' organization (they agree on its ID) with
// the union of the member accounts and OUs each shard could list.
func mergedOrganization(docs []*Document) *Organization {
	var out *Organization
	accounts := map[string]bool{}
	ous := map[string]bool{}
	for _, d := range docs {
		org := d.Organization
		if org == nil {
			continue
		}
		if out == nil {
			out = &Organization{ID: org.ID, ARN: org.ARN, ManagementAccount: org.ManagementAccount, Accounts: []OrgAccount{}}
		}
		if out.ManagementAccount == "" {
			out.ManagementAccount = org.ManagementAccount
		}
		for _, a := range org.Accounts {
			if !accounts[a.ID] {
				accounts[a.ID] = true
				out.Accounts = append(out.Accounts, a)
			}
		}
		for _, ou := range org.OrganizationalUnits {
			if !ous[ou.ID] {
				ous[ou.ID] = true
				out.OrganizationalUnits = append(out.OrganizationalUnits, ou)
			}
		}
	}
	if out != nil {
		sort.Slice(out.Accounts, func(i, j int) bool { return out.Accounts[i].ID < out.Accounts[j].ID })
	}
	return out
}

// mergedTool is the tool that wrote the shards; versions are listed when they differ.
func mergedTool(docs []*Document) Tool {
	t := docs[0].Tool
	versions := []string{t.Version}
	for _, d := range docs[1:] {
		if !slices.Contains(versions, d.Tool.Version) {
			versions = append(versions, d.Tool.Version)
		}
	}
	t.Version = strings.Join(versions, ", ")
	return t
}

func orgID(d *Document) string {
	if d.Organization == nil {
		return "no organization"
	}
	return d.Organization.ID
}

func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(slices.Compact(x), slices.Compact(y))
}

func list(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ",")
}
