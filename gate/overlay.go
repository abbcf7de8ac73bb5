package gate

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/amiaudit/amiaudit/finding"
	"github.com/amiaudit/amiaudit/internal/awsid"
	"github.com/amiaudit/amiaudit/rules"
	"github.com/amiaudit/amiaudit/snapshot"
)

// targets is what must be read from AWS to judge the changes: the AMIs they
// touch (region → AMI IDs, sorted) and the keys they name by ARN. A region
// maps to plain IDs, not a shared reference type, because that is how the
// collector reads them (one DescribeImages per region).
func targets(changes []snapshot.ProposedChange) (images map[string][]string, keyARNs []string) {
	images = map[string][]string{}
	seen := map[string]bool{}
	for _, c := range changes {
		if c.CopyAddress != "" {
			continue // the copy's image does not exist yet: its source is read
		}
		if c.ImageID != "" && !seen[c.Region+"/"+c.ImageID] {
			seen[c.Region+"/"+c.ImageID] = true
			images[c.Region] = append(images[c.Region], c.ImageID)
		}
		for _, k := range []string{c.KMSKeyID, c.KeyID} {
			if strings.HasPrefix(k, "arn:") && strings.Contains(k, ":key/") && !seen[k] {
				seen[k] = true
				keyARNs = append(keyARNs, k)
			}
		}
	}
	for _, ids := range images {
		sort.Strings(ids)
	}
	sort.Strings(keyARNs)
	return images, keyARNs
}

// apply overlays the changes on the state read from AWS, so that the rules
// judge the state after them, and records them in doc.Proposed. A change whose
// resource is not in doc cannot be judged: it comes back as a collection error.
// A change CheckChange would refuse (a key policy that does not parse) is an
// error: the state after it cannot be built.
func apply(doc *snapshot.Document, changes []snapshot.ProposedChange) ([]snapshot.CollectionError, error) {
	var missing []snapshot.CollectionError
	// The gate reads AWS as one account; a snapshot document of several
	// accounts (offline, --snapshot) leaves the owner of each AMI in charge.
	caller := ""
	if len(doc.Scope.Accounts) == 1 {
		caller = doc.Scope.Accounts[0]
	}
	miss := func(c snapshot.ProposedChange, service, action, resource, why string) {
		missing = append(missing, snapshot.CollectionError{Account: caller, Region: c.Region, Service: service, Action: action,
			Resource: resource, Code: "NotFound", Message: why + " (" + c.Describe() + ")"})
	}
	// Copies first: a launch permission may share the image a copy makes.
	order := make([]int, 0, len(changes))
	for i := range changes {
		if changes[i].Kind == snapshot.ChangeCopy {
			order = append(order, i)
		}
	}
	for i := range changes {
		if changes[i].Kind != snapshot.ChangeCopy {
			order = append(order, i)
		}
	}
	for _, i := range order {
		c := &changes[i]
		switch c.Kind {
		case snapshot.ChangeLaunchPermission:
			img := findImage(doc, c.Region, c.ImageID)
			if img == nil && c.CopyAddress != "" {
				img, missing = proposedCopy(doc, changes, c, missing)
				if img == nil {
					continue
				}
			}
			if img == nil {
				miss(*c, "ec2", "DescribeImages", c.ImageID, "the AMI to share was not found")
				continue
			}
			if caller != "" && img.Account != caller {
				miss(*c, "ec2", "DescribeImageAttribute", c.ImageID, fmt.Sprintf("the AMI belongs to account %s: only its owner can share it", img.Account))
				continue
			}
			// AWS refuses the call: the state after it is the state before.
			if img.State == "disabled" {
				c.Refused = "a disabled AMI can't be shared (DisableImage removed its launch permissions; aws ec2 enable-image first)"
				continue
			}
			if c.Grantee == snapshot.GroupAll {
				if c.Refused = refusal(doc, img); c.Refused != "" {
					continue
				}
			}
			addLaunchPermission(img, c.Grantee)
		case snapshot.ChangeCreateVolumePermission:
			if c.SnapshotID == "" {
				// From flags: every snapshot of the AMI.
				img := findImage(doc, c.Region, c.ImageID)
				if img == nil {
					miss(*c, "ec2", "DescribeImages", c.ImageID, "the AMI was not found")
					continue
				}
				var refused []string
				for _, b := range img.BlockDeviceMappings {
					if s := findSnapshot(doc, img.Region, b.SnapshotID); s != nil {
						if why := snapshotRefusal(doc, s, c.Grantee); why != "" {
							refused = append(refused, why)
							continue
						}
						addVolumePermission(s, c.Grantee)
					} else if b.SnapshotID != "" {
						miss(*c, "ec2", "DescribeSnapshots", b.SnapshotID, "a snapshot of the AMI could not be read")
					}
				}
				c.Refused = strings.Join(refused, "; ")
				continue
			}
			s := findSnapshot(doc, c.Region, c.SnapshotID)
			if s == nil {
				miss(*c, "ec2", "DescribeSnapshots", c.SnapshotID, "the snapshot is not one of the AMIs the change shares, so it could not be read")
				continue
			}
			if c.Refused = snapshotRefusal(doc, s, c.Grantee); c.Refused != "" {
				continue
			}
			addVolumePermission(s, c.Grantee)
		case snapshot.ChangeCopy:
			img := findImage(doc, c.Region, c.ImageID)
			if img == nil {
				miss(*c, "ec2", "DescribeImages", c.ImageID, "the AMI to copy was not found")
				continue
			}
			c.CopyingAccount = caller
			if caller == "" {
				c.CopyingAccount = img.Account
			}
			c.CopyVolumes = copyVolumes(doc, img, c, c.CopyingAccount, accountRegion(doc, c.CopyingAccount, c.DestinationRegion))
			restorable(doc, img, c, c.CopyingAccount)
		case snapshot.ChangeKMSGrant:
			if k := findKey(doc, c.KeyID); k != nil {
				account, _ := snapshot.AccountOfPrincipal(c.Grantee)
				k.Grants = append(k.Grants, snapshot.Grant{GrantID: "proposed:" + c.Describe(), GranteePrincipal: c.Grantee, GranteeAccount: account, Operations: c.Operations})
			}
		case snapshot.ChangeKeyPolicy:
			if k := findKey(doc, c.KeyID); k != nil {
				st, err := snapshot.ParsePolicy(c.Policy)
				if err != nil {
					return nil, fmt.Errorf("overlay the key policy of %s (%s): %w", c.KeyID, c.Describe(), err)
				}
				k.Policy, k.PolicyStatements = c.Policy, st
			}
		}
	}
	doc.Proposed = changes
	return missing, nil
}

func findImage(doc *snapshot.Document, region, id string) *snapshot.Image {
	for i := range doc.Images {
		if doc.Images[i].ID == id && doc.Images[i].Region == region {
			return &doc.Images[i]
		}
	}
	return nil
}

func findSnapshot(doc *snapshot.Document, region, id string) *snapshot.Snapshot {
	for i := range doc.Snapshots {
		if doc.Snapshots[i].ID == id && doc.Snapshots[i].Region == region {
			return &doc.Snapshots[i]
		}
	}
	return nil
}

func findKey(doc *snapshot.Document, id string) *snapshot.Key {
	for i := range doc.Keys {
		if doc.Keys[i].ARN == id || doc.Keys[i].ID == id {
			return &doc.Keys[i]
		}
	}
	return nil
}

func addLaunchPermission(img *snapshot.Image, grantee string) {
	lp := snapshot.LaunchPermission{}
	switch {
	case grantee == snapshot.GroupAll:
		lp.Group = snapshot.GroupAll
		img.Public = true
	case strings.Contains(grantee, ":organization/"):
		lp.OrganizationARN = grantee
	case strings.Contains(grantee, ":ou/"):
		lp.OrganizationalUnitARN = grantee
	default:
		lp.UserID = grantee
	}
	for _, have := range img.LaunchPermissions {
		if have == lp {
			return
		}
	}
	img.LaunchPermissions = append(img.LaunchPermissions, lp)
}

func addVolumePermission(s *snapshot.Snapshot, grantee string) {
	p := snapshot.CreateVolumePermission{UserID: grantee}
	if grantee == snapshot.GroupAll {
		p = snapshot.CreateVolumePermission{Group: snapshot.GroupAll}
	}
	for _, have := range s.CreateVolumePermissions {
		if have == p {
			return
		}
	}
	s.CreateVolumePermissions = append(s.CreateVolumePermissions, p)
}

// relevant keeps the findings about what the change touches — the AMIs, their
// snapshots and keys, and what could not be read in their account-regions —
// and drops the rest (account settings are the nightly scan's business).
func relevant(doc *snapshot.Document, fs []finding.Finding) []finding.Finding {
	touched := map[string]bool{}
	areas := map[string]bool{}
	for _, c := range doc.Proposed {
		img := findImage(doc, c.Region, c.ImageID)
		if img == nil {
			continue
		}
		touched[img.ARN] = true
		areas[img.Account+"/"+img.Region] = true
		for _, b := range img.BlockDeviceMappings {
			touched[b.KMSKeyID] = true
			if s := findSnapshot(doc, img.Region, b.SnapshotID); s != nil {
				touched[s.ARN] = true
				touched[s.KMSKeyID] = true
			}
		}
	}
	for _, c := range doc.Proposed {
		for _, id := range []string{c.KeyID, c.KMSKeyID} {
			if k := findKey(doc, id); k != nil {
				touched[k.ARN] = true
			}
		}
	}
	var out []finding.Finding
	for _, f := range fs {
		scope := f.Resource.Type == finding.ResourceScope &&
			(f.Resource.Region == "" || areas[f.Resource.Account+"/"+f.Resource.Region] || len(areas) == 0)
		if touched[f.Resource.ARN] || scope {
			out = append(out, f)
		}
	}
	return out
}

// attribute marks the findings that the change creates (those the state
// before it does not have) with the change that causes them: evidence
// "proposed_change" and, for a plan, the resource address as the location.
// A finding existed before when one of the same identity (finding.IdentityOf:
// rule, resource ARN, key) did: a message whose counts the change alters
// (KMS-003's number of AMIs) does not make it new.
func attribute(after, before []finding.Finding, doc *snapshot.Document, rule func(id string) *finding.Rule) {
	existed := map[finding.Identity]bool{}
	for i := range before {
		existed[finding.IdentityOf(&before[i])] = true
	}
	for i := range after {
		f := &after[i]
		if existed[finding.IdentityOf(f)] {
			continue
		}
		causes := causesOf(f, doc, rule(f.RuleID))
		if len(causes) == 0 {
			continue
		}
		var words []string
		for _, c := range causes {
			words = append(words, c.Describe())
		}
		if f.Evidence == nil {
			f.Evidence = map[string]any{}
		}
		f.Evidence["proposed_change"] = strings.Join(words, "; ")
		if c := causes[0]; c.Address != "" {
			f.Location = &finding.Location{File: c.Source, Address: c.Address}
		}
		// A finding on the image (or a snapshot) of a copy not made yet names
		// the copy: its ID is a placeholder.
		if address := proposedAddress(doc, f.Resource.ARN); address != "" {
			f.Evidence["proposed_copy"] = address
			f.Message += fmt.Sprintf(" (%s is the copy that %s will make; its ID is a placeholder until apply.)", f.Resource.ID, address)
		}
	}
}

// proposedAddress is the address of the copy that added the image or
// snapshot with this ARN to the state (tag ProposedTagKey), or "".
func proposedAddress(doc *snapshot.Document, arn string) string {
	tags := func(ts []snapshot.Tag) string {
		for _, t := range ts {
			if t.Key == ProposedTagKey {
				return t.Value
			}
		}
		return ""
	}
	for _, img := range doc.Images {
		if img.ARN == arn {
			return tags(img.Tags)
		}
	}
	for _, s := range doc.Snapshots {
		if s.ARN == arn {
			return tags(s.Tags)
		}
	}
	return ""
}

// causesOf picks the changes that touch a finding's resource; among them, the
// ones whose grantee the finding names, if any do.
// rule is the finding's rule (nil when unknown): its Changes (METADATA
// custom.changes) say which kinds of change it judges.
func causesOf(f *finding.Finding, doc *snapshot.Document, rule *finding.Rule) []snapshot.ProposedChange {
	var touching, named []snapshot.ProposedChange
	for _, c := range doc.Proposed {
		if !touches(c, f, doc) {
			continue
		}
		if !judges(rule, c.Kind) {
			continue
		}
		touching = append(touching, c)
		if c.Grantee != "" && strings.Contains(f.Message, c.Grantee) {
			named = append(named, c)
		}
	}
	if len(named) > 0 {
		return named
	}
	return touching
}

// judges says whether a rule judges a kind of change: the kinds its METADATA
// lists (custom.changes: the gate rules on copies judge copies, GATE-004
// judges shares), or any kind when it lists none.
func judges(rule *finding.Rule, kind string) bool {
	return rule == nil || len(rule.Changes) == 0 || slices.Contains(rule.Changes, kind)
}

func touches(c snapshot.ProposedChange, f *finding.Finding, doc *snapshot.Document) bool {
	if img := findImage(doc, c.Region, c.ImageID); img != nil {
		if img.ARN == f.Resource.ARN {
			return true
		}
		for _, b := range img.BlockDeviceMappings {
			if s := findSnapshot(doc, img.Region, b.SnapshotID); s != nil && s.ARN == f.Resource.ARN {
				return true
			}
		}
	}
	if s := findSnapshot(doc, c.Region, c.SnapshotID); s != nil && s.ARN == f.Resource.ARN {
		return true
	}
	if k := findKey(doc, c.KeyID); k != nil {
		if k.ARN == f.Resource.ARN {
			return true
		}
		// A key change breaks or opens the AMIs the key encrypts.
		for _, s := range doc.Snapshots {
			if s.KMSKeyID == k.ARN {
				for _, img := range doc.Images {
					if img.ARN == f.Resource.ARN {
						for _, b := range img.BlockDeviceMappings {
							if b.SnapshotID == s.ID {
								return true
							}
						}
					}
				}
			}
		}
	}
	return false
}

// organizationNeeded returns a collection error when the organization could
// not be read and the decision depends on it: a change shares with a grantee
// that the configuration does not trust by itself.
//
// Trust is policies/lib/trust.rego's (TestJudgeOrganizationNeededFollowsTrust
// holds the two equal): the configuration trusts an account listed in
// trusted_accounts, an organization listed in trusted_organizations, and an
// OU of such an organization or listed in trusted_ous (ARN or OU ID); any
// other grantee is trusted only as the scanned organization, its member or
// its OU. Whether the accounts under a trusted organization or OU can use an
// AMI's key (AMI-004) does not need the member list either: without it, the
// access model judges a witness member of the grantee (access.Key.LaunchBy).
func organizationNeeded(doc *snapshot.Document, changes []snapshot.ProposedChange, cfg *rules.Config) *snapshot.CollectionError {
	if doc.Organization != nil {
		return nil
	}
	for _, c := range changes {
		if c.Kind != snapshot.ChangeLaunchPermission && c.Kind != snapshot.ChangeCreateVolumePermission {
			continue
		}
		if c.Grantee == snapshot.GroupAll || trustedByConfig(cfg, c.Grantee) {
			continue
		}
		account := ""
		if len(doc.Scope.Accounts) > 0 {
			account = doc.Scope.Accounts[0]
		}
		return &snapshot.CollectionError{Account: account, Service: "organizations", Action: "ListAccounts", Code: "Unavailable",
			Message: fmt.Sprintf("the organization could not be read, and whether %s is trusted depends on it: run the gate with a role that can read the organization, or list it in trusted_accounts, trusted_organizations or trusted_ous if it is trusted", c.Grantee)}
	}
	return nil
}

// trustedByConfig says whether the configuration alone trusts a grantee (an
// account ID, organization ARN or OU ARN), as policies/lib/trust.rego does
// (account_trusted, org_arn_trusted, ou_arn_trusted) without the scanned
// organization: ARNs are arn:aws:organizations::MGMT:organization/o-… and
// arn:aws:organizations::MGMT:ou/o-…/ou-….
func trustedByConfig(cfg *rules.Config, grantee string) bool {
	switch {
	case awsid.IsAccountID(grantee):
		return slices.Contains(cfg.TrustedAccounts, grantee)
	case awsid.IsOrgARN(grantee), awsid.IsOUARN(grantee):
		parts := strings.Split(grantee, "/")
		if slices.Contains(cfg.TrustedOrganizations, parts[1]) {
			return true
		}
		return awsid.IsOUARN(grantee) && (slices.Contains(cfg.TrustedOUs, grantee) || slices.Contains(cfg.TrustedOUs, parts[2]))
	}
	return false
}
