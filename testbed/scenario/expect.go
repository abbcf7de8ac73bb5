package scenario

import (
	"sort"
	"strings"
	"time"

	"github.com/amiaudit/amiaudit/finding"
	"github.com/amiaudit/amiaudit/testbed/proxy"
)

// ProxyConfig is the fault proxy's configuration (testbed/proxy) in front of
// upstream (moto) for the seeded scenario: its settings, faults and throttle,
// with account IDs resolved. Settings come one per account-region that any
// settings entry covers, sorted.
func (s *Seeded) ProxyConfig(upstream string) proxy.Config {
	cfg := proxy.Config{Upstream: upstream}
	for _, m := range s.mergedSettings() {
		st := m.Setting
		if st.ImageBlockPublicAccess == nil && st.SnapshotBlockPublicAccess == nil && st.AllowedImages == nil && st.EBSDefaultKMSKeyID == nil &&
			st.ManagedBy == nil && st.AllowedImagesCriteria == nil {
			continue
		}
		cfg.Settings = append(cfg.Settings, st)
	}
	sort.Slice(cfg.Settings, func(i, j int) bool {
		a, b := cfg.Settings[i], cfg.Settings[j]
		return a.Account+"/"+a.Region < b.Account+"/"+b.Region
	})
	for _, f := range s.s.Faults {
		cfg.Faults = append(cfg.Faults, proxy.Fault{Account: s.Accounts[f.Account], Region: f.Region, Action: f.Action,
			Kind: proxy.FaultKind(f.Kind), Code: f.Code, Stall: f.Stall, After: f.After, Count: f.Count, Probability: f.Probability})
	}
	cfg.Seed = s.s.FaultSeed
	if t := s.s.Throttle; t != nil {
		cfg.Throttle = &proxy.Throttle{RatePerSecond: t.RatePerSecond, Burst: t.Burst}
	}
	cfg.Lifecycle = s.proxyLifecycle(time.Now())
	return cfg
}

// Resource types of the JSON report (finding.resource.type): package
// finding's.
const (
	ResourceAMI           = finding.ResourceAMI
	ResourceSnapshot      = finding.ResourceSnapshot
	ResourceKey           = finding.ResourceKey
	ResourceAccountRegion = finding.ResourceAccountRegion
	ResourceScope         = finding.ResourceScope
)

// ExpectedResource is a resource of the expect section, resolved to what the
// JSON report says of it.
type ExpectedResource struct {
	// Ref is the reference as the scenario writes it: image:golden.
	Ref string
	// Type is the report's resource type: ami, snapshot, kms-key,
	// account-region or scope.
	Type string
	// ID is the report's resource ID: ami-…, snap-…, the key's UUID,
	// ACCOUNT/REGION, or for a scope the action as the scenario gives it
	// (ec2:GetSnapshotBlockPublicAccessState or GetSnapshotBlockPublicAccessState).
	ID string
	// Account and Region hold the resource; empty when a scope names none.
	Account, Region string
}

// Matches reports whether a report's resource is this one. A scope matches a
// report ID "service:Action" or "service:Action RESOURCE" whose action is
// ID (with or without its service).
func (r ExpectedResource) Matches(typ, id, account, region string) bool {
	if typ != r.Type {
		return false
	}
	if r.Type != ResourceScope {
		return id == r.ID && (r.Account == "" || account == r.Account) && (r.Region == "" || region == r.Region)
	}
	action, _, _ := strings.Cut(id, " ")
	if action != r.ID && !strings.HasSuffix(action, ":"+r.ID) {
		return false
	}
	return (r.Account == "" || account == r.Account) && (r.Region == "" || region == r.Region)
}

// ExpectedFinding is a finding the scan must report.
type ExpectedFinding struct {
	Rule string
	// Severity is the severity the finding must have; empty means any.
	Severity string
	ExpectedResource
}

// ExpectedClean is a resource on which the scan must report nothing.
type ExpectedClean struct {
	ExpectedResource
}

// ResolveExpect turns the expect section into report terms.
func (s *Seeded) ResolveExpect() ([]ExpectedFinding, []ExpectedClean) {
	var findings []ExpectedFinding
	for _, f := range s.s.Expect.Findings {
		findings = append(findings, ExpectedFinding{Rule: f.Rule, Severity: f.Severity, ExpectedResource: s.resolveRef(f.Resource)})
	}
	var clean []ExpectedClean
	for _, ref := range s.s.Expect.Clean {
		clean = append(clean, ExpectedClean{s.resolveRef(ref)})
	}
	return findings, clean
}

// Exhaustive reports whether the scan must report nothing beyond the
// expected findings.
func (s *Seeded) Exhaustive() bool { return s.s.Expect.Exhaustive }

// resolveRef resolves a reference Load has checked.
func (s *Seeded) resolveRef(ref string) ExpectedResource {
	sc := s.s
	kind, name, _ := strings.Cut(ref, ":")
	r := ExpectedResource{Ref: ref}
	switch kind {
	case "image":
		img := sc.image(name)
		r.Type, r.ID, r.Account, r.Region = ResourceAMI, s.Images[name], s.Accounts[img.Account], img.Region
	case "snapshot":
		r.Type, r.ID = ResourceSnapshot, s.Snapshots[name]
		if img, _, ok := sc.imageVolume(name); ok {
			r.Account, r.Region = s.Accounts[img.Account], img.Region
		} else if sn := sc.snapshot(name); sn != nil {
			r.Account, r.Region = s.Accounts[sn.Account], sn.Region
		}
	case "key":
		k := sc.key(name)
		arn := s.Keys[name]
		r.Type, r.ID, r.Account, r.Region = ResourceKey, arn[strings.LastIndex(arn, "/")+1:], s.Accounts[k.Account], k.Region
	case "account-region":
		acct, region, _ := strings.Cut(name, "/")
		r.Type, r.Account, r.Region = ResourceAccountRegion, s.Accounts[acct], region
		r.ID = r.Account + "/" + region
	case "scope":
		parts := strings.SplitN(name, "/", 3)
		r.Type, r.Account, r.Region, r.ID = ResourceScope, s.Accounts[parts[0]], parts[1], parts[2]
	}
	return r
}
