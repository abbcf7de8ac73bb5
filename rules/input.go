package rules

import (
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/amiaudit/amiaudit/snapshot"
)

// Input builds the Rego input for a snapshot: the document's resources (as
// its JSON form would read), the configuration, and indexes that turn the
// rules' joins into lookups (index.images, index.snapshots, index.keys, …).
// docs/policy-input.md is the reference of every key, for the built-in rules
// and user policies alike; a test in internal/docs fails when a key built
// here is missing there.
//
// Values are built once and shared between the lists and the indexes.
func Input(doc *snapshot.Document, cfg *Config) ast.Value {
	c := &converter{}
	images := make([]*ast.Term, len(doc.Images))
	sharedImages := make([]*ast.Term, 0)
	imageIndex := ast.NewObjectWithCapacity(len(doc.Images))
	for i := range doc.Images {
		img := &doc.Images[i]
		t := c.term(reflect.ValueOf(img), false)
		images[i] = t
		imageIndex.Insert(ast.StringTerm(img.Region+"/"+img.ID), t)
		if img.Public || len(img.LaunchPermissions) > 0 {
			sharedImages = append(sharedImages, t)
		}
	}

	snaps := make([]*ast.Term, len(doc.Snapshots))
	sharedSnaps := make([]*ast.Term, 0)
	snapIndex := ast.NewObjectWithCapacity(len(doc.Snapshots))
	snapByKey := make(map[string]*snapshot.Snapshot, len(doc.Snapshots))
	snapKeys := make([]string, len(doc.Snapshots))
	for i := range doc.Snapshots {
		s := &doc.Snapshots[i]
		t := c.term(reflect.ValueOf(s), false)
		snaps[i] = t
		k := s.Region + "/" + s.ID
		snapKeys[i] = k
		snapIndex.Insert(ast.StringTerm(k), t)
		snapByKey[k] = s
		if len(s.CreateVolumePermissions) > 0 {
			sharedSnaps = append(sharedSnaps, t)
		}
	}

	keys := make([]*ast.Term, len(doc.Keys))
	keyIndex := ast.NewObjectWithCapacity(len(doc.Keys))
	for i := range doc.Keys {
		t := c.term(reflect.ValueOf(&doc.Keys[i]), false)
		keys[i] = t
		keyIndex.Insert(ast.StringTerm(doc.Keys[i].ARN), t)
	}

	// Which AMIs use each snapshot, and which AMIs and snapshots use each key.
	imagesBySnap := map[string][]string{}
	// "REGION/snap-…" of the snapshots a registered AMI (in any state but
	// deregistered, as SNAP-003's registered() in
	// policies/snapshot/orphaned.rego) uses: DeleteSnapshot refuses those
	// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSnapshot.html),
	// a disabled AMI keeps them
	// (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/disable-an-ami.html),
	// and a deregistered one keeps nothing
	// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeregisterImage.html).
	inUse := map[string]bool{}
	keyImages := map[string]map[string]bool{}
	keySnaps := map[string]map[string]bool{}
	addUse := func(m map[string]map[string]bool, key, id string) {
		if key == "" {
			return
		}
		if m[key] == nil {
			m[key] = map[string]bool{}
		}
		m[key][id] = true
	}
	for i := range doc.Snapshots {
		s := &doc.Snapshots[i]
		if s.Encrypted {
			addUse(keySnaps, s.KMSKeyID, s.ID)
		}
	}
	for i := range doc.Images {
		img := &doc.Images[i]
		for _, bdm := range img.BlockDeviceMappings {
			if bdm.SnapshotID == "" {
				continue
			}
			k := img.Region + "/" + bdm.SnapshotID
			imagesBySnap[k] = append(imagesBySnap[k], img.ID)
			if img.State != "deregistered" {
				inUse[k] = true
			}
			keyID := bdm.KMSKeyID
			if s, ok := snapByKey[k]; ok {
				keyID = ""
				if s.Encrypted {
					keyID = s.KMSKeyID
				}
			}
			addUse(keyImages, keyID, img.ID)
		}
	}
	imagesBySnapObj := ast.NewObjectWithCapacity(len(imagesBySnap))
	for k, ids := range imagesBySnap {
		imagesBySnapObj.Insert(ast.StringTerm(k), stringArray(ids))
	}
	unusedSnaps := make([]*ast.Term, 0)
	for i, k := range snapKeys {
		if !inUse[k] {
			unusedSnaps = append(unusedSnaps, snaps[i])
		}
	}
	keyUsers := ast.NewObject()
	for _, arn := range unionKeys(keyImages, keySnaps) {
		keyUsers.Insert(ast.StringTerm(arn), ast.ObjectTerm(
			ast.Item(ast.StringTerm("images"), stringArray(sortedSet(keyImages[arn]))),
			ast.Item(ast.StringTerm("snapshots"), stringArray(sortedSet(keySnaps[arn]))),
		))
	}

	arIndex := ast.NewObject()
	for i := range doc.AccountRegions {
		ar := &doc.AccountRegions[i]
		arIndex.Insert(ast.StringTerm(ar.Account+"/"+ar.Region), toTerm(reflect.ValueOf(ar)))
	}
	failed := map[string][]string{}
	for _, e := range doc.Errors {
		k := e.Account + "/" + e.Region
		failed[k] = append(failed[k], e.Action)
	}
	failedObj := ast.NewObject()
	for k, actions := range failed {
		failedObj.Insert(ast.StringTerm(k), stringArray(actions))
	}

	if cfg == nil {
		cfg = &Config{}
	}
	cfg = cfg.withDefaults()
	configObj := ast.NewObject(
		ast.Item(ast.StringTerm("trusted_accounts"), stringArray(cfg.TrustedAccounts)),
		ast.Item(ast.StringTerm("trusted_organizations"), stringArray(cfg.TrustedOrganizations)),
		ast.Item(ast.StringTerm("trusted_ous"), stringArray(cfg.TrustedOUs)),
		ast.Item(ast.StringTerm("max_shared_image_age_days"), ast.IntNumberTerm(cfg.MaxSharedImageAgeDays)),
		ast.Item(ast.StringTerm("policy_data"), cfg.policyDataTerm()),
		ast.Item(ast.StringTerm("max_unused_shared_image_days"), ast.IntNumberTerm(cfg.MaxUnusedSharedImageDays)),
	)
	binImages, binIndex := recycleBin(doc)

	index := ast.NewObject(
		ast.Item(ast.StringTerm("images"), ast.NewTerm(imageIndex)),
		ast.Item(ast.StringTerm("snapshots"), ast.NewTerm(snapIndex)),
		ast.Item(ast.StringTerm("keys"), ast.NewTerm(keyIndex)),
		ast.Item(ast.StringTerm("images_by_snapshot"), ast.NewTerm(imagesBySnapObj)),
		ast.Item(ast.StringTerm("unused_snapshots"), ast.ArrayTerm(unusedSnaps...)),
		ast.Item(ast.StringTerm("key_users"), ast.NewTerm(keyUsers)),
		ast.Item(ast.StringTerm("account_regions"), ast.NewTerm(arIndex)),
		ast.Item(ast.StringTerm("failed_actions"), ast.NewTerm(failedObj)),
		ast.Item(ast.StringTerm("recycle_bin_images"), binIndex),
	)

	return ast.NewObject(
		ast.Item(ast.StringTerm("now_ns"), ast.NewTerm(ast.Number(strconv.FormatInt(doc.CollectedAt.UnixNano(), 10)))),
		ast.Item(ast.StringTerm("collected_at"), ast.StringTerm(doc.CollectedAt.UTC().Format(time.RFC3339Nano))),
		ast.Item(ast.StringTerm("partition"), ast.StringTerm(doc.Partition)),
		ast.Item(ast.StringTerm("config"), ast.NewTerm(configObj)),
		ast.Item(ast.StringTerm("organization"), toTerm(reflect.ValueOf(doc.Organization))),
		ast.Item(ast.StringTerm("account_regions"), toTerm(reflect.ValueOf(doc.AccountRegions))),
		ast.Item(ast.StringTerm("images"), ast.ArrayTerm(images...)),
		ast.Item(ast.StringTerm("shared_images"), ast.ArrayTerm(sharedImages...)),
		ast.Item(ast.StringTerm("snapshots"), ast.ArrayTerm(snaps...)),
		ast.Item(ast.StringTerm("shared_snapshots"), ast.ArrayTerm(sharedSnaps...)),
		ast.Item(ast.StringTerm("keys"), ast.ArrayTerm(keys...)),
		ast.Item(ast.StringTerm("errors"), toTerm(reflect.ValueOf(doc.Errors))),
		ast.Item(ast.StringTerm("proposed"), proposed(doc.Proposed)),
		ast.Item(ast.StringTerm("deep_scans"), deepScans(doc.DeepScans)),
		ast.Item(ast.StringTerm("recycle_bin_images"), binImages),
		ast.Item(ast.StringTerm("recycle_bin_snapshots"), listTerm(doc.RecycleBinSnapshots)),
		ast.Item(ast.StringTerm("index"), ast.NewTerm(index)),
	)
}

// proposed is the gate's proposed changes; an empty list outside a gate.
func proposed(changes []snapshot.ProposedChange) *ast.Term {
	if changes == nil {
		return ast.ArrayTerm()
	}
	return toTerm(reflect.ValueOf(changes))
}

// recycleBin is the list of binned AMIs and its index by "REGION/ami-…".
func recycleBin(doc *snapshot.Document) (list, index *ast.Term) {
	terms := make([]*ast.Term, len(doc.RecycleBinImages))
	obj := ast.NewObjectWithCapacity(len(doc.RecycleBinImages))
	for i := range doc.RecycleBinImages {
		b := &doc.RecycleBinImages[i]
		terms[i] = toTerm(reflect.ValueOf(b))
		obj.Insert(ast.StringTerm(b.Region+"/"+b.ID), terms[i])
	}
	return ast.ArrayTerm(terms...), ast.NewTerm(obj)
}

// listTerm converts a slice, nil or not, to an array.
func listTerm[T any](items []T) *ast.Term {
	if items == nil {
		return ast.ArrayTerm()
	}
	return toTerm(reflect.ValueOf(items))
}

// deepScans is what the deep scan read and found; an empty list without one.
func deepScans(scans []snapshot.DeepScan) *ast.Term {
	if scans == nil {
		return ast.ArrayTerm()
	}
	return toTerm(reflect.ValueOf(scans))
}

func stringArray(ss []string) *ast.Term {
	terms := make([]*ast.Term, len(ss))
	for i, s := range ss {
		terms[i] = ast.StringTerm(s)
	}
	return ast.ArrayTerm(terms...)
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func unionKeys(ms ...map[string]map[string]bool) []string {
	seen := map[string]bool{}
	for _, m := range ms {
		for k := range m {
			seen[k] = true
		}
	}
	return sortedSet(seen)
}

// toTerm converts a snapshot value to the Rego term its JSON encoding would
// decode to (same field names, omitempty honoured), without a JSON round trip.
func toTerm(v reflect.Value) *ast.Term {
	return (&converter{}).term(v, false)
}

// converter converts snapshot values to terms. Terms are immutable once
// built, so one term serves every object key of a field name (fieldInfo.key)
// and, within one conversion, every occurrence of a value of the fields whose
// values repeat across resources (region, account, state, key ARN, …; see
// internedFields): at 100,000 AMIs and 300,000 snapshots that saves millions
// of allocations.
type converter struct {
	strs map[string]*ast.Term
}

// internedFields are the JSON field names whose string values repeat across
// resources.
var internedFields = map[string]bool{
	"account": true, "region": true, "state": true, "kms_key_id": true,
	"architecture": true, "platform": true, "platform_details": true,
	"root_device_type": true, "usage_operation": true, "volume_type": true,
	"device_name": true, "user_id": true, "group": true, "organization_arn": true,
	"organizational_unit_arn": true, "type": true, "key": true, "source_region": true,
	"deregistration_protection": true, "detector": true,
}

var (
	timeType  = reflect.TypeFor[time.Time]()
	trueTerm  = ast.BooleanTerm(true)
	falseTerm = ast.BooleanTerm(false)
)

func (c *converter) str(s string, intern bool) *ast.Term {
	if !intern {
		return ast.StringTerm(s)
	}
	if t, ok := c.strs[s]; ok {
		return t
	}
	if c.strs == nil {
		c.strs = map[string]*ast.Term{}
	}
	t := ast.StringTerm(s)
	c.strs[s] = t
	return t
}

func (c *converter) term(v reflect.Value, intern bool) *ast.Term {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return ast.InternedNullTerm
		}
		return c.term(v.Elem(), intern)
	case reflect.String:
		return c.str(v.String(), intern)
	case reflect.Bool:
		if v.Bool() {
			return trueTerm
		}
		return falseTerm
	case reflect.Int, reflect.Int32, reflect.Int64:
		return ast.IntNumberTerm(int(v.Int()))
	case reflect.Slice:
		if v.IsNil() {
			return ast.InternedNullTerm
		}
		if v.Len() == 0 {
			return ast.InternedEmptyArray
		}
		terms := make([]*ast.Term, v.Len())
		for i := range terms {
			terms[i] = c.term(v.Index(i), intern)
		}
		return ast.ArrayTerm(terms...)
	case reflect.Map:
		if v.IsNil() {
			return ast.InternedNullTerm
		}
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		obj := ast.NewObjectWithCapacity(len(keys))
		for _, k := range keys {
			obj.Insert(ast.StringTerm(k.String()), c.term(v.MapIndex(k), false))
		}
		return ast.NewTerm(obj)
	case reflect.Struct:
		if v.Type() == timeType {
			var t time.Time
			if v.CanAddr() {
				t = *v.Addr().Interface().(*time.Time)
			} else {
				t = v.Interface().(time.Time)
			}
			return ast.StringTerm(t.Format(time.RFC3339Nano))
		}
		// The object is sized for the fields present: most are omitted
		// when empty, and a map sized for all of them costs twice.
		fields := structFields(v.Type())
		var buf [32][2]*ast.Term
		items := buf[:0]
		for i := range fields {
			f := &fields[i]
			fv := v.Field(f.index)
			if f.omitEmpty && fv.IsZero() {
				continue
			}
			items = append(items, [2]*ast.Term{f.key, c.term(fv, f.intern)})
		}
		obj := ast.NewObjectWithCapacity(len(items))
		for _, it := range items {
			obj.Insert(it[0], it[1])
		}
		return ast.NewTerm(obj)
	}
	panic("rules: cannot convert " + v.Type().String() + " to a Rego term")
}

type fieldInfo struct {
	index     int
	name      string
	key       *ast.Term // name as a term, shared by every object with the field
	omitEmpty bool
	intern    bool // values repeat: share their terms (internedFields)
}

var fieldCache sync.Map // reflect.Type → []fieldInfo

func structFields(t reflect.Type) []fieldInfo {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]fieldInfo)
	}
	var out []fieldInfo
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := strings.Split(f.Tag.Get("json"), ",")
		if tag[0] == "-" {
			continue
		}
		name := tag[0]
		if name == "" {
			name = f.Name
		}
		omit := false
		for _, o := range tag[1:] {
			omit = omit || o == "omitempty"
		}
		out = append(out, fieldInfo{index: i, name: name, key: ast.StringTerm(name), omitEmpty: omit, intern: internedFields[name]})
	}
	fieldCache.Store(t, out)
	return out
}

// splitByRegion cuts a snapshot into one document per region, for the regional
// rules. Each part keeps the organization and scope; errors without a region
// (AssumeRole, Organizations) go with the first part so they are seen once.
func splitByRegion(doc *snapshot.Document) []*snapshot.Document {
	p := planRegions(doc)
	parts := make([]*snapshot.Document, p.len())
	for i := range parts {
		parts[i] = p.part(i)
	}
	return parts
}

// regionPlan says which regions a snapshot splits into, in order, and how
// many of each list's elements each one gets; part(i) then builds part i.
// Evaluate builds each part when it evaluates it, so that only the parts
// being evaluated are in memory, not a second copy of the whole snapshot.
type regionPlan struct {
	doc    *snapshot.Document
	index  map[string]int
	names  []string // region of each part
	counts []regionCounts
}

type regionCounts struct{ ars, images, snaps, keys, binImages, binSnaps, errs int }

func planRegions(doc *snapshot.Document) *regionPlan {
	p := &regionPlan{doc: doc, index: map[string]int{}}
	for _, r := range doc.Scope.Regions {
		p.of(r)
	}
	for i := range doc.AccountRegions {
		p.counts[p.of(doc.AccountRegions[i].Region)].ars++
	}
	for i := range doc.Images {
		p.counts[p.of(doc.Images[i].Region)].images++
	}
	for i := range doc.Snapshots {
		p.counts[p.of(doc.Snapshots[i].Region)].snaps++
	}
	for i := range doc.Keys {
		p.counts[p.of(doc.Keys[i].Region)].keys++
	}
	for i := range doc.RecycleBinImages {
		p.counts[p.of(doc.RecycleBinImages[i].Region)].binImages++
	}
	for i := range doc.RecycleBinSnapshots {
		p.counts[p.of(doc.RecycleBinSnapshots[i].Region)].binSnaps++
	}
	for i := range doc.Errors {
		p.counts[p.ofError(&doc.Errors[i])].errs++
	}
	return p
}

// of is the part of a region, added when new.
func (p *regionPlan) of(region string) int {
	i, ok := p.index[region]
	if !ok {
		i = len(p.counts)
		p.index[region] = i
		p.names = append(p.names, region)
		p.counts = append(p.counts, regionCounts{})
	}
	return i
}

// ofError is the part of an error: its region's, or the first part's when it
// has none.
func (p *regionPlan) ofError(e *snapshot.CollectionError) int {
	if e.Region == "" && len(p.counts) > 0 {
		return 0
	}
	return p.of(e.Region)
}

// len is the number of parts: at least one, the whole snapshot when it has no
// region at all.
func (p *regionPlan) len() int { return max(len(p.counts), 1) }

// keep returns the n items of all that match, in a list of exactly that
// size; nil when n is 0.
func keep[T any](all []T, n int, match func(*T) bool) []T {
	if n == 0 {
		return nil
	}
	out := make([]T, 0, n)
	for j := range all {
		if match(&all[j]) {
			out = append(out, all[j])
		}
	}
	return out
}

// part builds part i, its lists sized exactly.
func (p *regionPlan) part(i int) *snapshot.Document {
	doc := p.doc
	if len(p.counts) == 0 {
		return doc
	}
	d := *doc
	c := p.counts[i]
	name := p.names[i]
	d.AccountRegions = keep(doc.AccountRegions, c.ars, func(x *snapshot.AccountRegion) bool { return x.Region == name })
	d.Images = keep(doc.Images, c.images, func(x *snapshot.Image) bool { return x.Region == name })
	d.Snapshots = keep(doc.Snapshots, c.snaps, func(x *snapshot.Snapshot) bool { return x.Region == name })
	d.Keys = keep(doc.Keys, c.keys, func(x *snapshot.Key) bool { return x.Region == name })
	d.RecycleBinImages = keep(doc.RecycleBinImages, c.binImages, func(x *snapshot.RecycleBinImage) bool { return x.Region == name })
	d.RecycleBinSnapshots = keep(doc.RecycleBinSnapshots, c.binSnaps, func(x *snapshot.RecycleBinSnapshot) bool { return x.Region == name })
	d.Errors = keep(doc.Errors, c.errs, func(x *snapshot.CollectionError) bool { return p.ofError(x) == i })
	return &d
}
