package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amiaudit/amiaudit/internal/cli"
	"github.com/amiaudit/amiaudit/snapshot"
	"github.com/amiaudit/amiaudit/testbed/scenario"
)

// TestLifecycle collects scenarios/lifecycle.yaml through the proxy and the
// real SDK, checks that the snapshot document carries what AWS reports
// (disabled state, last launch, billing platform, deregistration protection,
// locks, the Recycle Bin, managedBy and the Allowed AMIs criteria), then
// evaluates it: the findings' words, and a binned AMI before and after its
// exit time.
func TestLifecycle(t *testing.T) {
	env := scenario.Run(t, "../scenarios/lifecycle.yaml")
	for _, kv := range env.Environ(t) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("CI", "true")
	dir := t.TempDir()
	collected := filepath.Join(dir, "snapshot.json")
	var out, errOut bytes.Buffer
	if code := cli.Run([]string{"collect", "--org", "--role", accessRole, regionsFlag(env), "--out", collected}, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("collect exit %d: %s", code, errOut.String())
	}
	raw, err := os.ReadFile(collected)
	if err != nil {
		t.Fatal(err)
	}
	var doc snapshot.Document
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Errors) != 0 {
		t.Errorf("collection errors: %+v", doc.Errors)
	}
	s := env.Seeded
	image := func(name string) *snapshot.Image {
		for i := range doc.Images {
			if doc.Images[i].ID == s.Images[name] {
				return &doc.Images[i]
			}
		}
		t.Fatalf("image %s (%s) not collected", name, s.Images[name])
		return nil
	}
	if img := image("disabled-golden"); img.State != "disabled" || img.DeregistrationProtection != "enabled" {
		t.Errorf("disabled-golden: state %q, protection %q", img.State, img.DeregistrationProtection)
	}
	if img := image("stale-share"); img.LastLaunchedTime == nil || time.Since(*img.LastLaunchedTime) < 199*24*time.Hour {
		t.Errorf("stale-share last launched %v", img.LastLaunchedTime)
	}
	if img := image("windows-base"); img.PlatformDetails != "Windows" || img.UsageOperation != "RunInstances:0002" {
		t.Errorf("windows-base: %q %q", img.PlatformDetails, img.UsageOperation)
	}
	if img := image("golden-eu"); img.SourceImageID != s.Images["golden"] || img.SourceRegion != "us-east-1" {
		t.Errorf("golden-eu source %q %q", img.SourceImageID, img.SourceRegion)
	}
	var lock *snapshot.SnapshotLock
	for _, sn := range doc.Snapshots {
		if sn.ID == s.Snapshots["locked-orphan/0"] {
			lock = sn.Lock
		}
	}
	if lock == nil || lock.State != "compliance" || lock.ExpiresOn == nil {
		t.Errorf("locked-orphan/0 lock %+v", lock)
	}
	binned := map[string]*time.Time{}
	for _, b := range doc.RecycleBinImages {
		binned[b.ID] = b.ExitTime
	}
	if exit := binned[s.Images["binned-fresh"]]; exit == nil || exit.Before(doc.CollectedAt) {
		t.Errorf("binned-fresh exit time %v", exit)
	}
	if len(binned) != 2 {
		t.Errorf("Recycle Bin: %v", binned)
	}
	factory := s.Accounts["factory"]
	for _, ar := range doc.AccountRegions {
		if ar.Account != factory || ar.Region != "us-east-1" {
			continue
		}
		if ar.AllowedImagesManagedBy != "declarative-policy" || len(ar.AllowedImagesCriteria) != 1 ||
			strings.Join(ar.AllowedImagesCriteria[0].ImageProviders, ",") != "amazon,aws-marketplace" {
			t.Errorf("factory us-east-1 Allowed AMIs: managed by %q, criteria %+v", ar.AllowedImagesManagedBy, ar.AllowedImagesCriteria)
		}
		if ar.ImageBlockPublicAccessManagedBy != "declarative-policy" {
			t.Errorf("image block public access managed by %q", ar.ImageBlockPublicAccessManagedBy)
		}
	}

	type found struct {
		RuleID      string         `json:"rule_id"`
		Message     string         `json:"message"`
		Remediation string         `json:"remediation"`
		Evidence    map[string]any `json:"evidence"`
		Resource    struct{ ID string }
	}
	evaluate := func(path string) map[string]found {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := cli.Run([]string{"evaluate", path, "--format", "json", "--fail-on", "none"}, strings.NewReader(""), &out, &errOut); code != 0 {
			t.Fatalf("evaluate exit %d: %s", code, errOut.String())
		}
		var r struct{ Findings []found }
		if err := json.Unmarshal(out.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		m := map[string]found{}
		for _, f := range r.Findings {
			m[f.RuleID+" "+f.Resource.ID] = f
		}
		return m
	}
	fs := evaluate(collected)
	if f, ok := fs["SNAP-003 "+s.Snapshots["locked-orphan/0"]]; !ok || !strings.Contains(f.Message, "locked in compliance mode") || !strings.HasPrefix(f.Remediation, "Deletion is blocked") {
		t.Errorf("locked orphan: %+v", f)
	}
	if f, ok := fs["SNAP-003 "+s.Snapshots["tools-eu/0"]]; !ok || strings.Contains(f.Message, "no longer exists") || !strings.Contains(f.Message, "neither registered in eu-west-1") {
		t.Errorf("copy orphan: %+v", f)
	}
	if f, ok := fs["SNAP-003 "+s.Snapshots["binned-expired/0"]]; !ok || !strings.Contains(f.Message, "left the Recycle Bin for good") {
		t.Errorf("expired binned AMI: %+v", f)
	}
	if f, ok := fs["ACCT-004 "+factory+"/us-east-1"]; !ok || f.Evidence["managed_by"] != "declarative-policy" || !strings.Contains(f.Remediation, "declarative policy") || !strings.Contains(f.Message, "aws-marketplace") {
		t.Errorf("ACCT-004: %+v", f)
	}
	if _, ok := fs["SNAP-003 "+s.Snapshots["binned-fresh/0"]]; ok {
		t.Error("a snapshot of an AMI still in the Recycle Bin is reported orphaned")
	}

	// Eight days later the Recycle Bin has deleted binned-fresh for good.
	doc.CollectedAt = doc.CollectedAt.Add(8 * 24 * time.Hour)
	later := filepath.Join(dir, "later.json")
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(later, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if f, ok := evaluate(later)["SNAP-003 "+s.Snapshots["binned-fresh/0"]]; !ok || !strings.Contains(f.Message, "left the Recycle Bin for good") {
		t.Errorf("after its exit time, binned-fresh/0 should be orphaned: %+v", f)
	}
}
