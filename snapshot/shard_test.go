package snapshot

import (
	"strings"
	"testing"
)

func TestParseShard(t *testing.T) {
	for in, want := range map[string][2]int{"1/1": {1, 1}, "2/8": {2, 8}, "8/8": {8, 8}} {
		k, n, err := ParseShard(in)
		if err != nil || k != want[0] || n != want[1] {
			t.Errorf("ParseShard(%q) = %d, %d, %v; want %d, %d", in, k, n, err, want[0], want[1])
		}
	}
	for _, in := range []string{"", "2", "2/", "/8", "0/8", "9/8", "2/0", "-1/3", "a/b", "2/8/1", " 2/8"} {
		if _, _, err := ParseShard(in); err == nil || !strings.Contains(err.Error(), "expected K/N with 1 ≤ K ≤ N") {
			t.Errorf("ParseShard(%q) error = %v, want one saying what is expected", in, err)
		}
	}
}
