package snapshot

import (
	"errors"
	"strconv"
	"strings"
)

// ParseShard reads a shard name, "K/N" for shard K of N (1 ≤ K ≤ N): the
// value of collect --shard, recorded as a document's scope.shard and checked
// again when shards are merged. The error says what was expected; the caller
// names the flag or field.
func ParseShard(s string) (k, n int, err error) {
	a, b, ok := strings.Cut(s, "/")
	if ok {
		if k, err = strconv.Atoi(a); err == nil {
			n, err = strconv.Atoi(b)
		}
	}
	if !ok || err != nil || n < 1 || k < 1 || k > n {
		return 0, 0, errors.New("expected K/N with 1 ≤ K ≤ N, such as 2/8")
	}
	return k, n, nil
}
