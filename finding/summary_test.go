package finding

import (
	"encoding/json"
	"testing"
)

// TestSummaryCoversTheScale holds the Summary struct (its fields are the JSON
// report's contract) to the severity scale: every severity is counted in the
// field its JSON key names, and nothing else moves.
func TestSummaryCoversTheScale(t *testing.T) {
	for _, sev := range Severities {
		s := Summarize([]Finding{{Severity: sev}})
		if got := s.Count(sev); got != 1 {
			t.Errorf("Summarize(one %s).Count(%s) = %d, want 1", sev, sev, got)
		}
		raw, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var byKey map[string]int
		if err := json.Unmarshal(raw, &byKey); err != nil {
			t.Fatal(err)
		}
		for key, n := range byKey {
			want := 0
			if key == string(sev) {
				want = 1
			}
			if n != want {
				t.Errorf("one %s finding: summary JSON %q = %d, want %d", sev, key, n, want)
			}
		}
		if len(byKey) != len(Severities)+1 {
			t.Errorf("summary JSON keys = %v, want one per severity and waived", byKey)
		}
	}
	if got := (Summary{Critical: 9}).Count("severe"); got != 0 {
		t.Errorf("Count(off the scale) = %d, want 0", got)
	}
	waived := Summarize([]Finding{{Severity: High, Waiver: &AppliedWaiver{Status: WaiverActive}}})
	if waived.Count(High) != 0 || waived.Waived != 1 {
		t.Errorf("a waived high finding: %+v, want it counted as waived only", waived)
	}
}

func TestSummaryAdd(t *testing.T) {
	a := Summary{Critical: 1, High: 2, Medium: 3, Low: 4, Info: 5, Waived: 6}
	b := Summary{Critical: 10, High: 20, Medium: 30, Low: 40, Info: 50, Waived: 60}
	a.Add(b)
	if want := (Summary{Critical: 11, High: 22, Medium: 33, Low: 44, Info: 55, Waived: 66}); a != want {
		t.Errorf("Add = %+v, want %+v", a, want)
	}
}

func TestRankFollowsTheScale(t *testing.T) {
	for i, sev := range Severities {
		if got, want := sev.Rank(), len(Severities)-1-i; got != want {
			t.Errorf("%s.Rank() = %d, want %d", sev, got, want)
		}
	}
	if Critical.Rank() != 4 || Info.Rank() != 0 || Severity("severe").Rank() != -1 {
		t.Errorf("Rank: critical %d, info %d, unknown %d; want 4, 0, -1", Critical.Rank(), Info.Rank(), Severity("severe").Rank())
	}
}

func TestWaivedAndExpiredWaiver(t *testing.T) {
	for _, c := range []struct {
		waiver          *AppliedWaiver
		waived, expired bool
	}{
		{nil, false, false},
		{&AppliedWaiver{Status: WaiverActive}, true, false},
		{&AppliedWaiver{Status: WaiverExpired}, false, true},
	} {
		f := Finding{Severity: High, Waiver: c.waiver}
		if f.Waived() != c.waived || f.ExpiredWaiver() != c.expired {
			t.Errorf("waiver %+v: Waived %v, ExpiredWaiver %v; want %v, %v", c.waiver, f.Waived(), f.ExpiredWaiver(), c.waived, c.expired)
		}
	}
}
