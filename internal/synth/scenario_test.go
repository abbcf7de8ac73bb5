package synth

import (
	"strings"
	"testing"

	"github.com/amiaudit/amiaudit/testbed/scenario"
)

func TestScenarioParses(t *testing.T) {
	spec := Spec{Accounts: 4, Regions: 2, Images: 60, Keys: 8, Seed: 3}
	text := Scenario(spec)
	s, err := scenario.Parse("synthetic.yaml", []byte(text))
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	if len(s.Accounts) != 4 || len(s.Regions) != 2 || len(s.Images) < 60 {
		t.Errorf("scenario has %d accounts, %d regions, %d images", len(s.Accounts), len(s.Regions), len(s.Images))
	}
	for _, want := range []string{"copy_of:", "deregistered: true", "{account: outsider}", "key: k"} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in the scenario: the proportions lost a kind of resource", want)
		}
	}
	if Scenario(spec) != text {
		t.Error("the same spec gave another scenario")
	}
}

func TestGenerateProportions(t *testing.T) {
	doc := Generate(Spec{Accounts: 5, Regions: 2, Images: 2000, Snapshots: 6000, Keys: 50, Seed: 1})
	shared, public, encrypted, orphans := 0, 0, 0, 0
	for _, img := range doc.Images {
		if len(img.LaunchPermissions) > 0 {
			shared++
		}
		if img.Public {
			public++
		}
	}
	for _, s := range doc.Snapshots {
		if s.Encrypted {
			encrypted++
		}
		if strings.HasPrefix(s.Description, "Copied for DestinationAmi ami-000000000dead") {
			orphans++
		}
	}
	if len(doc.Images) != 2000 || len(doc.Snapshots) != 6000 || len(doc.Keys) != 50 {
		t.Fatalf("sizes %d/%d/%d", len(doc.Images), len(doc.Snapshots), len(doc.Keys))
	}
	if shared < 150 || shared > 300 || public == 0 || encrypted < 2000 || orphans == 0 {
		t.Errorf("proportions off: shared %d, public %d, encrypted %d, orphans %d", shared, public, encrypted, orphans)
	}
}
