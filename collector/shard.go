package collector

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// ParseShard reads "K/N" (1 ≤ K ≤ N).
func ParseShard(s string) (k, n int, err error) {
	a, b, ok := strings.Cut(s, "/")
	if ok {
		k, err = strconv.Atoi(a)
		if err == nil {
			n, err = strconv.Atoi(b)
		}
	}
	if !ok || err != nil || n < 1 || k < 1 || k > n {
		return 0, 0, fmt.Errorf("--shard %q: expected K/N with 1 ≤ K ≤ N, such as 2/8", s)
	}
	return k, n, nil
}

// Shard keeps the accounts of shard k of n. An account's shard depends only on
// its ID, so shards stay stable when accounts join or leave the organization.
func Shard(accounts []string, k, n int) []string {
	var out []string
	for _, a := range accounts {
		h := fnv.New32a()
		h.Write([]byte(a))
		if int(h.Sum32()%uint32(n)) == k-1 {
			out = append(out, a)
		}
	}
	return out
}
