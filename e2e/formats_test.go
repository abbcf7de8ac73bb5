package e2e

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/amiaudit/amiaudit/internal/cli"
	"github.com/amiaudit/amiaudit/testbed/scenario"
)

// TestReportFormatsFromLiveScan scans the example organization through moto
// and the real SDK, then renders that run as OCSF, ASFF, JUnit and CSV with
// 'amiaudit report', and checks each against what the scan found: one event,
// finding or row per finding, with the ARNs and accounts the collector read.
func TestReportFormatsFromLiveScan(t *testing.T) {
	env := scenario.Run(t, "../scenarios/example-org.yaml")
	dir := t.TempDir()
	jsonPath := filepath.Join(dir, "findings.json")
	code, _, _, stderr := scan(t, env, regionsFlag(env), "--output", jsonPath)
	if code != 0 {
		t.Fatalf("scan exit %d: %s", code, stderr)
	}
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var r report
	if err := json.Unmarshal(data, &r); err != nil || len(r.Findings) == 0 {
		t.Fatalf("scan report: %v, %d findings", err, len(r.Findings))
	}
	arns := map[string]bool{}
	accounts := map[string]bool{}
	for _, f := range r.Findings {
		arns[f.Resource.ARN] = true
		accounts[f.Resource.Account] = true
	}

	render := func(name string) []byte {
		t.Helper()
		path := filepath.Join(dir, name)
		var out, errOut bytes.Buffer
		if code := cli.Run([]string{"report", jsonPath, "--output", path, "--fail-on", "none"}, strings.NewReader(""), &out, &errOut); code != 0 {
			t.Fatalf("report --output %s: exit %d: %s", name, code, errOut.String())
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	t.Run("ocsf", func(t *testing.T) {
		out := render("findings.ocsf.json")
		f, err := os.Open("../report/testdata/ocsf/compliance_finding-1.5.0.schema.json")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			t.Fatal(err)
		}
		c := jsonschema.NewCompiler()
		if err := c.AddResource("file:///ocsf.json", doc); err != nil {
			t.Fatal(err)
		}
		sch, err := c.Compile("file:///ocsf.json")
		if err != nil {
			t.Fatal(err)
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(inst); err != nil {
			t.Fatalf("OCSF does not validate: %v", err)
		}
		var events []struct {
			Resources []struct{ UID string } `json:"resources"`
			Cloud     struct {
				Account struct{ UID string } `json:"account"`
			} `json:"cloud"`
		}
		if err := json.Unmarshal(out, &events); err != nil || len(events) != len(r.Findings) {
			t.Fatalf("%d events for %d findings (%v)", len(events), len(r.Findings), err)
		}
		for _, e := range events {
			if !arns[e.Resources[0].UID] || !accounts[e.Cloud.Account.UID] {
				t.Errorf("event on %s in %s was not scanned", e.Resources[0].UID, e.Cloud.Account.UID)
			}
		}
	})

	t.Run("asff", func(t *testing.T) {
		var findings []struct {
			AwsAccountId, Region, ProductArn string
			Resources                        []struct{ Id string }
		}
		if err := json.Unmarshal(render("findings.asff.json"), &findings); err != nil || len(findings) != len(r.Findings) {
			t.Fatalf("%d ASFF findings for %d (%v)", len(findings), len(r.Findings), err)
		}
		for _, f := range findings {
			want := "arn:aws:securityhub:" + f.Region + ":" + f.AwsAccountId + ":product/" + f.AwsAccountId + "/default"
			if !accounts[f.AwsAccountId] || f.ProductArn != want || !arns[f.Resources[0].Id] {
				t.Errorf("ASFF finding %+v does not match the scan", f)
			}
		}
	})

	t.Run("junit", func(t *testing.T) {
		out := render("amiaudit.xml")
		var doc struct {
			Tests int `xml:"tests,attr"`
		}
		dec := xml.NewDecoder(bytes.NewReader(out))
		dec.Strict = true
		if err := dec.Decode(&doc); err != nil {
			t.Fatalf("JUnit XML: %v", err)
		}
		if !bytes.Contains(out, []byte(`<testcase classname="`)) || doc.Tests == 0 {
			t.Errorf("no test cases:\n%.500s", out)
		}
	})

	t.Run("csv", func(t *testing.T) {
		rows, err := csv.NewReader(bytes.NewReader(render("findings.csv"))).ReadAll()
		if err != nil || len(rows) != len(r.Findings)+1 || rows[0][0] != "rule_id" {
			t.Fatalf("CSV: %v, %d rows for %d findings", err, len(rows), len(r.Findings))
		}
	})
}
