package finding

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"
)

// Sort must give exactly the order a stable sort of the findings themselves
// gives, ties (equal keys) kept in input order.
func TestSortMatchesStableSortInPlace(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	sevs := []Severity{Critical, High, Medium, Low, Info}
	fs := make([]Finding, 3000)
	for i := range fs {
		fs[i] = Finding{
			RuleID:   fmt.Sprintf("AMI-%03d", r.IntN(4)),
			Severity: sevs[r.IntN(len(sevs))],
			Resource: Resource{ARN: fmt.Sprintf("arn:%d", r.IntN(20))},
			Message:  fmt.Sprintf("m%d", r.IntN(3)),
			Key:      fmt.Sprintf("input position %d", i),
		}
	}
	want := append([]Finding(nil), fs...)
	sort.SliceStable(want, func(i, j int) bool {
		a, b := &want[i], &want[j]
		if ra, rb := a.Severity.Rank(), b.Severity.Rank(); ra != rb {
			return ra > rb
		}
		if a.RuleID != b.RuleID {
			return a.RuleID < b.RuleID
		}
		if a.Resource.ARN != b.Resource.ARN {
			return a.Resource.ARN < b.Resource.ARN
		}
		return a.Message < b.Message
	})
	Sort(fs)
	if !reflect.DeepEqual(fs, want) {
		t.Fatal("Sort differs from a stable in-place sort")
	}
}
