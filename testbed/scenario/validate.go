package scenario

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/amiaudit/amiaudit/finding"
	"github.com/amiaudit/amiaudit/internal/awsid"
	"github.com/amiaudit/amiaudit/internal/strictyaml"
)

var (
	regionRe = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)
	nameRe   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	aliasRe  = regexp.MustCompile(`^alias/[A-Za-z0-9/_-]+$`)
	deviceRe = regexp.MustCompile(`^/dev/[a-z0-9]+$`)
)

var (
	keyStates      = []string{"Enabled", "Disabled", "PendingDeletion"}
	imageBPA       = []string{"block-new-sharing", "unblocked"}
	snapshotBPA    = []string{"block-all-sharing", "block-new-sharing", "unblocked"}
	allowedImages  = []string{"enabled", "audit-mode", "disabled"}
	severities     = finding.SeverityNames()
	volumeTypes    = []string{"gp2", "gp3", "io1", "io2", "st1", "sc1", "standard"}
	architectures  = []string{"x86_64", "arm64", "i386", "x86_64_mac", "arm64_mac"}
	imageSources   = []string{"instance", "snapshots"}
	grantOperation = []string{
		"Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
		"ReEncryptFrom", "ReEncryptTo", "Sign", "Verify", "GetPublicKey", "CreateGrant",
		"RetireGrant", "DescribeKey", "GenerateDataKeyPair",
		"GenerateDataKeyPairWithoutPlaintext", "GenerateMac", "VerifyMac", "DeriveSharedSecret",
	}
)

// checker collects every error of a scenario, each with its line.
type checker struct {
	s    *Scenario
	errs []error
}

func (c *checker) fail(msg string, path ...any) {
	c.errs = append(c.errs, &Error{File: c.s.file, Line: c.s.line(path...), Key: strictyaml.Path(path...), Msg: msg})
}

func (c *checker) failf(path []any, format string, args ...any) {
	c.fail(fmt.Sprintf(format, args...), path...)
}

func at(path ...any) []any { return path }

func (c *checker) oneOf(value string, allowed []string, path ...any) {
	if !slices.Contains(allowed, value) {
		c.failf(path, "%q is not one of %s", value, strings.Join(allowed, ", "))
	}
}

// placeholders checks that every placeholder of text names something.
func (c *checker) placeholders(text string, r *resolver, path ...any) {
	if _, err := r.expand(text); err != nil {
		c.fail(err.Error(), path...)
	}
}

func (s *Scenario) validate() error {
	c := &checker{s: s}
	c.regions()
	c.accounts()
	c.keys()
	c.images()
	c.snapshots()
	c.settings()
	c.lifecycle()
	c.faults()
	c.expect()
	return errors.Join(c.errs...)
}

func (c *checker) regions() {
	s := c.s
	if len(s.Regions) == 0 {
		c.fail("required: the regions the scenario uses, such as [us-east-1, eu-west-1]", "regions")
	}
	seen := map[string]bool{}
	for i, r := range s.Regions {
		if !regionRe.MatchString(r) {
			c.failf(at("regions", i), "%q is not a region name such as us-east-1", r)
		}
		if seen[r] {
			c.failf(at("regions", i), "%s is listed twice", r)
		}
		seen[r] = true
	}
}

// region checks a resource's region: required, and one of the scenario's.
func (c *checker) region(r string, path ...any) {
	switch {
	case r == "":
		c.fail("required: one of the scenario's regions", path...)
	case !c.s.hasRegion(r):
		c.failf(path, "%s is not one of the scenario's regions (%s)", r, strings.Join(c.s.Regions, ", "))
	}
}

// ownAccount checks that name is one of the scenario's accounts (not external).
func (c *checker) ownAccount(name string, path ...any) {
	switch {
	case name == "":
		c.fail("required: the name of one of the scenario's accounts", path...)
	case c.s.account(name) == nil && c.s.external(name) != nil:
		c.failf(path, "%s is an external account: nothing is created in those", name)
	case c.s.account(name) == nil:
		c.failf(path, "no account named %q", name)
	}
}

func (c *checker) accounts() {
	s := c.s
	if len(s.Accounts) == 0 {
		c.fail("required: at least one account", "accounts")
	}
	names := map[string]bool{}
	ids := map[string]bool{}
	for i, a := range s.Accounts {
		if !nameRe.MatchString(a.Name) {
			c.failf(at("accounts", i, "name"), "%q is not a name (letters, digits, . _ -)", a.Name)
		}
		if names[a.Name] {
			c.failf(at("accounts", i, "name"), "account %s is defined twice", a.Name)
		}
		names[a.Name] = true
		if a.ID != "" {
			if !awsid.IsAccountID(a.ID) {
				c.failf(at("accounts", i, "id"), "%q is not a 12-digit account ID", a.ID)
			}
			if ids[a.ID] {
				c.failf(at("accounts", i, "id"), "account ID %s is used twice", a.ID)
			}
			ids[a.ID] = true
		}
		if a.OU != "" {
			if s.Organization == nil {
				c.fail("an OU needs an organization section", "accounts", i, "ou")
			} else if !s.hasOU(a.OU) {
				c.failf(at("accounts", i, "ou"), "no OU named %q", a.OU)
			}
		}
	}
	for i, a := range s.ExternalAccounts {
		if !nameRe.MatchString(a.Name) {
			c.failf(at("external_accounts", i, "name"), "%q is not a name (letters, digits, . _ -)", a.Name)
		}
		if names[a.Name] {
			c.failf(at("external_accounts", i, "name"), "name %s is already an account's", a.Name)
		}
		names[a.Name] = true
		if !awsid.IsAccountID(a.ID) {
			c.failf(at("external_accounts", i, "id"), "required: a 12-digit account ID, found %q", a.ID)
		}
		if ids[a.ID] {
			c.failf(at("external_accounts", i, "id"), "account ID %s is used twice", a.ID)
		}
		ids[a.ID] = true
	}
	if o := s.Organization; o != nil {
		c.ownAccount(o.Management, "organization", "management")
		ous := map[string]bool{}
		for i, ou := range o.OUs {
			if !nameRe.MatchString(ou.Name) {
				c.failf(at("organization", "ous", i, "name"), "%q is not a name (letters, digits, . _ -)", ou.Name)
			}
			if ous[ou.Name] {
				c.failf(at("organization", "ous", i, "name"), "OU %s is defined twice", ou.Name)
			}
			ous[ou.Name] = true
		}
		for i, ou := range o.OUs {
			if ou.Parent != "" && !ous[ou.Parent] {
				c.failf(at("organization", "ous", i, "parent"), "no OU named %q", ou.Parent)
			}
			// Follow the parents: a cycle would never reach the root.
			cur, steps := ou, 0
			for cur.Parent != "" && steps <= len(o.OUs) {
				for _, p := range o.OUs {
					if p.Name == cur.Parent {
						cur = p
					}
				}
				steps++
			}
			if steps > len(o.OUs) {
				c.fail("the OUs' parents form a cycle", "organization", "ous", i, "parent")
			}
		}
	}
}

func (c *checker) keys() {
	s := c.s
	names := map[string]bool{}
	aliases := map[string]bool{}
	managed := map[string]bool{}
	for i, k := range s.Keys {
		p := func(more ...any) []any { return append([]any{"keys", i}, more...) }
		if !nameRe.MatchString(k.Name) {
			c.failf(p("name"), "%q is not a name (letters, digits, . _ -)", k.Name)
		}
		if names[k.Name] {
			c.failf(p("name"), "key %s is defined twice", k.Name)
		}
		names[k.Name] = true
		c.ownAccount(k.Account, p("account")...)
		c.region(k.Region, p("region")...)
		where := k.Account + "/" + k.Region
		if k.AWSManaged {
			if managed[where] {
				c.failf(p("aws_managed"), "%s already has its AWS managed key (there is one alias/aws/ebs per account-region)", where)
			}
			managed[where] = true
			if k.Description != "" || len(k.Aliases) > 0 || k.Policy != "" || len(k.Grants) > 0 || k.State != "" {
				c.fail("an AWS managed key takes no description, aliases, policy, grants or state: AWS sets them", p("aws_managed")...)
			}
			continue
		}
		for j, a := range k.Aliases {
			switch {
			case !aliasRe.MatchString(a):
				c.failf(p("aliases", j), "%q is not an alias name such as alias/golden-images", a)
			case strings.HasPrefix(a, "alias/aws/"):
				c.failf(p("aliases", j), "alias/aws/ names are AWS's: declare an AWS managed key with aws_managed: true")
			case aliases[where+"/"+a]:
				c.failf(p("aliases", j), "%s is already an alias in %s", a, where)
			}
			aliases[where+"/"+a] = true
		}
		r := s.dryResolver(k.Account, k.Region)
		if k.Policy != "" {
			if text, err := r.expand(k.Policy); err != nil {
				c.fail(err.Error(), p("policy")...)
			} else if !json.Valid([]byte(text)) {
				c.fail("not valid JSON (once its placeholders are replaced)", p("policy")...)
			}
		}
		for j, g := range k.Grants {
			gp := func(more ...any) []any { return append(p("grants", j), more...) }
			if g.Grantee == "" {
				c.fail("required: the grantee (an account name or ID, or an ARN)", gp("grantee")...)
			} else {
				c.placeholders(g.Grantee, r, gp("grantee")...)
			}
			c.placeholders(g.RetiringPrincipal, r, gp("retiring_principal")...)
			if len(g.Operations) == 0 {
				c.fail("required: the granted operations, such as [Decrypt, CreateGrant, DescribeKey]", gp("operations")...)
			}
			for n, op := range g.Operations {
				c.oneOf(op, grantOperation, gp("operations", n)...)
			}
		}
		if k.State != "" {
			c.oneOf(k.State, keyStates, p("state")...)
		}
	}
}

// keyRef checks that a volume's or copy's key exists in the resource's
// account-region.
func (c *checker) keyRef(name, account, region string, path ...any) {
	if name == "" {
		return
	}
	k := c.s.key(name)
	switch {
	case k == nil:
		c.failf(path, "no key named %q", name)
	case k.Account != account || k.Region != region:
		c.failf(path, "key %s is in %s/%s, the resource in %s/%s: EBS uses keys of its own account-region", name, k.Account, k.Region, account, region)
	}
}

func (c *checker) images() {
	s := c.s
	names := map[string]bool{}
	for i, img := range s.Images {
		p := func(more ...any) []any { return append([]any{"images", i}, more...) }
		if !nameRe.MatchString(img.Name) {
			c.failf(p("name"), "%q is not a name (letters, digits, . _ -)", img.Name)
		}
		if names[img.Name] {
			c.failf(p("name"), "image %s is defined twice", img.Name)
		}
		names[img.Name] = true
		c.ownAccount(img.Account, p("account")...)
		c.region(img.Region, p("region")...)
		if img.Architecture != "" {
			c.oneOf(img.Architecture, architectures, p("architecture")...)
		}
		if img.CopyOf != "" {
			src := s.image(img.CopyOf)
			switch {
			case src == nil:
				c.failf(p("copy_of"), "no image named %q", img.CopyOf)
			case src.Account != img.Account:
				c.failf(p("copy_of"), "%s is in account %s: the seeder copies within an account", img.CopyOf, src.Account)
			}
			if img.Source != "" || len(img.Volumes) > 0 {
				c.fail("a copy has its source's volumes: give no source or volumes", p("copy_of")...)
			}
			c.keyRef(img.Key, img.Account, img.Region, p("key")...)
			// A chain of copies must end at an image that is not a copy.
			cur, steps := &img, 0
			for cur != nil && cur.CopyOf != "" && steps <= len(s.Images) {
				cur, steps = s.image(cur.CopyOf), steps+1
			}
			if steps > len(s.Images) {
				c.fail("copies form a cycle", p("copy_of")...)
			}
		} else {
			if img.Key != "" {
				c.fail("key re-encrypts a copy; an image's volumes name their own keys", p("key")...)
			}
			if img.Source != "" {
				c.oneOf(img.Source, imageSources, p("source")...)
			}
			if len(img.Volumes) == 0 {
				c.fail("required: at least one volume (or copy_of)", p("volumes")...)
			}
			devices := map[string]bool{}
			for j, v := range img.Volumes {
				vp := func(more ...any) []any { return append(p("volumes", j), more...) }
				d := device(v, j)
				if !deviceRe.MatchString(d) {
					c.failf(vp("device"), "%q is not a device name such as /dev/xvda", d)
				}
				if devices[d] {
					c.failf(vp("device"), "device %s is used twice", d)
				}
				devices[d] = true
				if v.Size < 0 {
					c.failf(vp("size"), "size must be positive (GiB), found %d", v.Size)
				}
				if v.Type != "" {
					c.oneOf(v.Type, volumeTypes, vp("type")...)
				}
				c.keyRef(v.Key, img.Account, img.Region, vp("key")...)
				if v.Description != "" && img.Source != "snapshots" {
					c.fail("CreateImage writes AWS's own snapshot description: give source: snapshots to choose one", vp("description")...)
				}
				c.placeholders(v.Description, s.dryResolver("", ""), vp("description")...)
			}
		}
		c.placeholders(img.Description, s.dryResolver("", ""), p("description")...)
		c.permissions(img.LaunchPermissions, true, p("launch_permissions")...)
		c.permissions(img.CreateVolumePermissions, false, p("create_volume_permissions")...)
	}
}

func (c *checker) snapshots() {
	s := c.s
	names := map[string]bool{}
	for i, sn := range s.Snapshots {
		p := func(more ...any) []any { return append([]any{"snapshots", i}, more...) }
		if !nameRe.MatchString(sn.Name) {
			c.failf(p("name"), "%q is not a name (letters, digits, . _ -; an image's snapshots are IMAGE/0, …)", sn.Name)
		}
		if names[sn.Name] {
			c.failf(p("name"), "snapshot %s is defined twice", sn.Name)
		}
		names[sn.Name] = true
		c.ownAccount(sn.Account, p("account")...)
		c.region(sn.Region, p("region")...)
		if sn.Size < 0 {
			c.failf(p("size"), "size must be positive (GiB), found %d", sn.Size)
		}
		c.keyRef(sn.Key, sn.Account, sn.Region, p("key")...)
		c.placeholders(sn.Description, s.dryResolver("", ""), p("description")...)
		c.permissions(sn.CreateVolumePermissions, false, p("create_volume_permissions")...)
	}
}

func (c *checker) permissions(perms []Permission, launch bool, path ...any) {
	s := c.s
	for i, perm := range perms {
		p := append(append([]any{}, path...), i)
		set := 0
		for _, v := range []string{perm.Account, perm.Group, perm.Organization, perm.OU} {
			if v != "" {
				set++
			}
		}
		if set != 1 {
			c.fail("give exactly one of account, group, organization, ou", p...)
			continue
		}
		switch {
		case perm.Account != "":
			if !awsid.IsAccountID(perm.Account) && s.account(perm.Account) == nil && s.external(perm.Account) == nil {
				c.failf(append(p, "account"), "%q is neither an account of the scenario, an external account, nor a 12-digit ID", perm.Account)
			}
		case perm.Group != "":
			if perm.Group != "all" {
				c.failf(append(p, "group"), "the only group is all, found %q", perm.Group)
			}
		case !launch:
			c.fail("createVolumePermission takes an account or group all only", p...)
		case perm.Organization != "":
			if perm.Organization == "self" {
				if s.Organization == nil {
					c.fail("organization: self needs an organization section", append(p, "organization")...)
				}
			} else if !awsid.IsOrgARN(perm.Organization) {
				c.failf(append(p, "organization"), "%q is neither self nor an organization ARN", perm.Organization)
			}
		case perm.OU != "":
			if !s.hasOU(perm.OU) && !awsid.IsOUARN(perm.OU) {
				c.failf(append(p, "ou"), "%q is neither an OU of the organization nor an OU ARN", perm.OU)
			}
		}
	}
}

func (c *checker) settings() {
	s := c.s
	for i, st := range s.Settings {
		p := func(more ...any) []any { return append([]any{"settings", i}, more...) }
		if st.Account != "" {
			c.ownAccount(st.Account, p("account")...)
		}
		if st.Region != "" {
			c.region(st.Region, p("region")...)
		}
		if v := st.ImageBlockPublicAccess; v != nil {
			c.oneOf(*v, imageBPA, p("image_block_public_access")...)
		}
		if v := st.SnapshotBlockPublicAccess; v != nil {
			c.oneOf(*v, snapshotBPA, p("snapshot_block_public_access")...)
		}
		if v := st.AllowedImages; v != nil {
			c.oneOf(*v, allowedImages, p("allowed_images")...)
		}
		if v := st.EBSDefaultKMSKey; v != nil && s.key(*v) == nil &&
			!strings.HasPrefix(*v, "alias/") && !strings.HasPrefix(*v, "arn:") && !regexp.MustCompile(`^[0-9a-f-]{36}$`).MatchString(*v) {
			c.failf(p("ebs_default_kms_key"), "%q is neither a key of the scenario nor a key ID, ARN or alias", *v)
		}
		if v := st.EBSDefaultKMSKey; v != nil && s.key(*v) != nil {
			k := s.key(*v)
			if st.Account != k.Account || st.Region != k.Region {
				c.failf(p("ebs_default_kms_key"), "key %s is in %s/%s: name the same account and region", k.Name, k.Account, k.Region)
			}
		}
	}
}

func (c *checker) faults() {
	s := c.s
	for i, f := range s.Faults {
		p := func(more ...any) []any { return append([]any{"faults", i}, more...) }
		if f.Account != "" {
			c.ownAccount(f.Account, p("account")...)
		}
		if f.Region != "" {
			c.region(f.Region, p("region")...)
		}
		if f.Action == "" && f.Account == "" && f.Region == "" {
			c.fail("a fault needs an action, an account or a region: one for every call would stop any scan", p("action")...)
		}
		switch f.Kind {
		case "", "error":
			c.oneOf(f.Code, FaultCodes, p("code")...)
		case "reset", "stall":
			if f.Code != "" {
				c.failf(p("code"), "a %s fault answers no error code: drop code", f.Kind)
			}
			if f.Kind == "stall" && f.Stall <= 0 {
				c.fail("a stall fault needs a positive stall duration, e.g. 30s", p("stall")...)
			}
		default:
			c.failf(p("kind"), "%q is not a fault kind: want error, reset or stall", f.Kind)
		}
		if f.Count < 0 {
			c.failf(p("count"), "count must be 0 (every call) or more, found %d", f.Count)
		}
		if f.After < 0 {
			c.failf(p("after"), "after must be 0 or more, found %d", f.After)
		}
		if f.Probability < 0 || f.Probability > 1 {
			c.failf(p("probability"), "probability must be between 0 and 1, found %g", f.Probability)
		}
	}
	if t := s.Throttle; t != nil {
		if t.RatePerSecond <= 0 {
			c.fail("rate_per_second must be positive", "throttle", "rate_per_second")
		}
		if t.Burst < 1 {
			c.fail("burst must be at least 1", "throttle", "burst")
		}
	}
}

func (c *checker) expect() {
	s := c.s
	for i, f := range s.Expect.Findings {
		p := func(more ...any) []any { return append([]any{"expect", "findings", i}, more...) }
		if !finding.IsRuleID(f.Rule) {
			c.failf(p("rule"), "%q is not a rule ID such as AMI-001", f.Rule)
		}
		if f.Severity != "" {
			c.oneOf(f.Severity, severities, p("severity")...)
		}
		if err := s.checkRef(f.Resource, true); err != nil {
			c.fail(err.Error(), p("resource")...)
		}
	}
	for i, r := range s.Expect.Clean {
		if err := s.checkRef(r, false); err != nil {
			c.fail(err.Error(), "expect", "clean", i)
		}
	}
}

// checkRef checks a resource reference of the expect section.
func (s *Scenario) checkRef(ref string, scopeOK bool) error {
	kind, name, _ := strings.Cut(ref, ":")
	switch kind {
	case "image":
		if s.image(name) == nil {
			return fmt.Errorf("no image named %q", name)
		}
	case "snapshot":
		if img, idx, ok := s.imageVolume(name); ok {
			if n := len(s.volumes(img)); idx >= n {
				return fmt.Errorf("image %s has %d volume(s): %s names none", img.Name, n, name)
			}
		} else if s.snapshot(name) == nil {
			return fmt.Errorf("no snapshot named %q (an image's snapshots are IMAGE/0, IMAGE/1, …)", name)
		}
	case "key":
		if s.key(name) == nil {
			return fmt.Errorf("no key named %q", name)
		}
	case "account-region":
		acct, region, ok := strings.Cut(name, "/")
		if !ok || s.account(acct) == nil || !s.hasRegion(region) {
			return fmt.Errorf("%q is not ACCOUNT/REGION with an account and a region of the scenario", name)
		}
	case "scope":
		if !scopeOK {
			return fmt.Errorf("a scope is not a resource that can be clean")
		}
		parts := strings.SplitN(name, "/", 3)
		if len(parts) != 3 || parts[2] == "" || (parts[0] != "" && s.account(parts[0]) == nil) || (parts[1] != "" && !s.hasRegion(parts[1])) {
			return fmt.Errorf("%q is not ACCOUNT/REGION/ACTION with an account and a region of the scenario (either may be empty)", name)
		}
	default:
		return fmt.Errorf("%q: want image:NAME, snapshot:NAME, key:NAME, account-region:ACCOUNT/REGION or scope:ACCOUNT/REGION/ACTION", ref)
	}
	return nil
}

// imageVolume splits IMAGE/N.
func (s *Scenario) imageVolume(name string) (*Image, int, bool) {
	imgName, idx, ok := strings.Cut(name, "/")
	if !ok {
		return nil, 0, false
	}
	img := s.image(imgName)
	var n int
	if _, err := fmt.Sscanf(idx, "%d", &n); err != nil || img == nil || fmt.Sprint(n) != idx {
		return nil, 0, false
	}
	return img, n, true
}
