package finding

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func f(rule string, sev Severity, arn, msg string) Finding {
	return Finding{RuleID: rule, Severity: sev, Message: msg, Resource: Resource{Type: "ami", ARN: arn}}
}

func ids(fs []Finding) []string {
	out := []string{}
	for _, x := range fs {
		out = append(out, x.RuleID+" "+x.Resource.ARN+" "+x.Message)
	}
	return out
}

func TestCompare(t *testing.T) {
	public := f("AMI-001", Critical, "arn:aws:ec2:us-east-1::image/ami-1", "ami-1 is public.")
	shared := f("AMI-002", High, "arn:aws:ec2:us-east-1::image/ami-2", "ami-2 is shared with 999988887777.")
	shared.Key = "grantee=999988887777"
	sharedOther := f("AMI-002", High, "arn:aws:ec2:us-east-1::image/ami-2", "ami-2 is shared with 111122223333.")
	sharedOther.Key = "grantee=111122223333"
	reworded := shared
	reworded.Message = "ami-2 is shared with account 999988887777, which is not trusted."
	orphan := f("SNAP-004", Low, "arn:aws:ec2:us-east-1::snapshot/snap-1", "snap-1 is orphaned.")
	otherRule := f("AMI-003", High, "arn:aws:ec2:us-east-1::image/ami-1", "ami-1 is public.")
	waivedLater := public
	waivedLater.Waiver = &AppliedWaiver{Status: WaiverActive, Rule: "AMI-001"}

	cases := []struct {
		name                            string
		older, newer                    []Finding
		wantNew, wantResolved, wantSame []string
	}{
		{"nothing before, nothing after", nil, nil, nil, nil, nil},
		{"first run: all new", nil, []Finding{orphan, public},
			[]string{ids([]Finding{public})[0], ids([]Finding{orphan})[0]}, nil, nil},
		{"all resolved", []Finding{public, shared}, nil,
			nil, ids([]Finding{public, shared}), nil},
		{"unchanged", []Finding{public, shared}, []Finding{shared, public},
			nil, nil, ids([]Finding{public, shared})},
		{"new wording, same key: unchanged", []Finding{shared}, []Finding{reworded},
			nil, nil, ids([]Finding{reworded})},
		{"another grantee is a new finding, the old one resolved", []Finding{shared}, []Finding{sharedOther},
			ids([]Finding{sharedOther}), ids([]Finding{shared}), nil},
		{"same resource and message, other rule", []Finding{public}, []Finding{otherRule},
			ids([]Finding{otherRule}), ids([]Finding{public}), nil},
		{"mixed", []Finding{public, shared}, []Finding{shared, orphan},
			ids([]Finding{orphan}), ids([]Finding{public}), ids([]Finding{shared})},
		{"duplicates match once each", []Finding{orphan}, []Finding{orphan, orphan},
			ids([]Finding{orphan}), nil, ids([]Finding{orphan})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := Compare(c.older, c.newer)
			check := func(what string, got []Finding, want []string) {
				if want == nil {
					want = []string{}
				}
				if g := ids(got); !slices.Equal(g, want) {
					t.Errorf("%s = %q, want %q", what, g, want)
				}
			}
			check("new", d.New, c.wantNew)
			check("resolved", d.Resolved, c.wantResolved)
			check("unchanged", d.Unchanged, c.wantSame)
			if d.Summary.New != len(c.wantNew) || d.Summary.Resolved != len(c.wantResolved) || d.Summary.Unchanged != len(c.wantSame) {
				t.Errorf("summary %+v", d.Summary)
			}
		})
	}

	// A report written before findings had keys is matched by message.
	legacy := shared
	legacy.Key, legacy.unkeyed = "", true
	if d := Compare([]Finding{legacy}, []Finding{shared}); len(d.Unchanged) != 1 {
		t.Errorf("a keyless report's finding with the same message is not unchanged: %+v", d)
	}
	if d := Compare([]Finding{legacy}, []Finding{reworded}); len(d.New) != 1 || len(d.Resolved) != 1 {
		t.Errorf("a keyless report's finding with another message is not new and resolved: %+v", d)
	}

	// Unchanged findings are given as the new run has them.
	d := Compare([]Finding{public}, []Finding{waivedLater})
	if len(d.Unchanged) != 1 || !d.Unchanged[0].Waived() {
		t.Errorf("unchanged = %+v, want the new run's (waived) finding", d.Unchanged)
	}
}

func TestDiffNewFailsAt(t *testing.T) {
	high := f("AMI-002", High, "arn:1", "m")
	low := f("SNAP-004", Low, "arn:2", "m")
	waived := f("AMI-001", Critical, "arn:3", "m")
	waived.Waiver = &AppliedWaiver{Status: WaiverActive}
	cases := []struct {
		name      string
		older     []Finding
		newer     []Finding
		threshold Severity
		want      bool
	}{
		{"new high at high", nil, []Finding{high}, High, true},
		{"new low at high", nil, []Finding{low}, High, false},
		{"new low at low", nil, []Finding{low}, Low, true},
		{"unchanged high does not fail", []Finding{high}, []Finding{high}, High, false},
		{"new waived critical does not fail", nil, []Finding{waived}, Info, false},
		{"resolved high does not fail", []Finding{high}, nil, Info, false},
	}
	for _, c := range cases {
		if got := Compare(c.older, c.newer).NewFailsAt(c.threshold); got != c.want {
			t.Errorf("%s: NewFailsAt = %v, want %v", c.name, got, c.want)
		}
	}
	s := Compare(nil, []Finding{high, low, waived}).Summary.NewBySeverity
	if s.High != 1 || s.Low != 1 || s.Waived != 1 || s.Critical != 0 {
		t.Errorf("new_by_severity = %+v", s)
	}
}

func TestDiffJSONShape(t *testing.T) {
	b, err := json.Marshal(Compare(nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"new":[]`, `"resolved":[]`, `"unchanged":[]`, `"summary":{"new":0`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %s", b, want)
		}
	}
}

func TestDecodeReport(t *testing.T) {
	good := `{"schema_version":"1","tool":{"name":"amiaudit","version":"x"},"generated_at":"2026-11-20T00:00:00Z",
	  "snapshot":{"sha256":"","collected_at":"2026-11-20T00:00:00Z","accounts":[],"regions":[]},"policy_digest":"sha256:x",
	  "summary":{"critical":1,"high":0,"medium":0,"low":0,"info":0,"waived":0},
	  "findings":[{"rule_id":"AMI-001","severity":"critical","title":"t","message":"m","resource":{"type":"ami","id":"ami-1","arn":"arn:x","account":"","region":""},"evidence":{},"remediation":"","waiver":null}]}`
	r, err := DecodeReport("r.json", []byte(good))
	if err != nil || len(r.Findings) != 1 || r.Findings[0].Resource.ARN != "arn:x" {
		t.Fatalf("DecodeReport: %v %+v", err, r)
	}
	if !r.Findings[0].unkeyed {
		t.Error("a finding without key is not marked as from a keyless report")
	}
	keyed, err := DecodeReport("r.json", []byte(strings.Replace(good, `"evidence":{}`, `"key":"","evidence":{}`, 1)))
	if err != nil || keyed.Findings[0].unkeyed {
		t.Errorf("a finding with a key is marked keyless (%v)", err)
	}
	for name, bad := range map[string]string{
		"schema_version": strings.Replace(good, `"schema_version":"1"`, `"schema_version":"7"`, 1),
		"unknown field":  strings.Replace(good, `"policy_digest"`, `"policy_digets"`, 1),
		"severity":       strings.Replace(good, `"severity":"critical"`, `"severity":"dire"`, 1),
		"not JSON":       good[:40],
	} {
		if _, err := DecodeReport("r.json", []byte(bad)); err == nil || !strings.HasPrefix(err.Error(), "r.json: ") {
			t.Errorf("%s: err = %v, want an error naming r.json", name, err)
		}
	}
}
