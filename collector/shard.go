package collector

import "hash/fnv"

// Shard keeps the accounts of shard k of n (snapshot.ParseShard reads "K/N").
// An account's shard depends only on its ID, so shards stay stable when
// accounts join or leave the organization.
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
