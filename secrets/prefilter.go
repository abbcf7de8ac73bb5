package secrets

import "strings"

// The prefilter exists because Detect runs on hundreds of thousands of short
// metadata strings per evaluation, nearly all of them clean. Each detector
// names anchors, short literals that any of its matches must contain. One
// pass over the text, looking up each pair of adjacent bytes in a table,
// finds which anchors occur; only the detectors of those anchors run their
// regular expressions, so a clean AMI name costs about a nanosecond a byte.
//
// Long texts (file contents) get a second saving: the pass also records where
// the anchors are, and each detector runs only on the lines that hold one of
// its anchors. Go's regexp costs hundreds of nanoseconds a byte on patterns
// without a literal prefix, which would make a megabyte of shell history take
// a second.

// windowMin is the text length from which detectors run line by line:
// metadata strings (at most 256 bytes for tags, 255 for descriptions) stay
// below it and skip the bookkeeping.
const windowMin = 1024

type anchor struct {
	lit  string // lower-case when fold
	fold bool   // ASCII case-insensitive
	mask uint64 // detectors that need this anchor
}

type occurrence struct {
	pos  int
	mask uint64
}

var (
	// bigram maps the first two bytes of an anchor (every case variant of a
	// folded one) to 1 + its index in buckets, 0 meaning no anchor starts so.
	bigram  [1 << 16]uint8
	buckets [][]anchor
	// allDetectors is the mask of every detector.
	allDetectors uint64
)

func init() {
	if len(detectors) > 64 {
		panic("secrets: more than 64 detectors do not fit the prefilter mask")
	}
	allDetectors = 1<<uint(len(detectors)) - 1
	if len(detectors) == 64 {
		allDetectors = ^uint64(0)
	}
	type key struct {
		lit  string
		fold bool
	}
	masks := map[key]uint64{}
	var order []key
	for i, d := range detectors {
		for _, a := range d.anchors {
			k := key{lit: a}
			if strings.HasPrefix(a, "~") {
				k = key{lit: toLowerASCII(a[1:]), fold: true}
			}
			if len(k.lit) < 2 {
				panic("secrets: anchor " + a + " of " + d.id + " is shorter than 2 bytes")
			}
			if _, ok := masks[k]; !ok {
				order = append(order, k)
			}
			masks[k] |= 1 << uint(i)
		}
	}
	for _, k := range order {
		a := anchor{lit: k.lit, fold: k.fold, mask: masks[k]}
		for _, c0 := range variants(k.lit[0], k.fold) {
			for _, c1 := range variants(k.lit[1], k.fold) {
				bg := uint16(c0)<<8 | uint16(c1)
				if bigram[bg] == 0 {
					if len(buckets) == 255 {
						panic("secrets: too many anchor bigrams")
					}
					buckets = append(buckets, nil)
					bigram[bg] = uint8(len(buckets))
				}
				buckets[bigram[bg]-1] = append(buckets[bigram[bg]-1], a)
			}
		}
	}
}

func variants(c byte, fold bool) []byte {
	if fold && c >= 'a' && c <= 'z' {
		return []byte{c, c - 'a' + 'A'}
	}
	return []byte{c}
}

// scan returns the mask of detectors whose anchors occur in text and, when
// record is set, every anchor occurrence in text order.
func scan(text string, record bool) (uint64, []occurrence) {
	var m uint64
	var occ []occurrence
	for i := 0; i+1 < len(text); i++ {
		b := bigram[uint16(text[i])<<8|uint16(text[i+1])]
		if b == 0 {
			continue
		}
		for j := range buckets[b-1] {
			a := &buckets[b-1][j]
			if !record && m&a.mask == a.mask || len(text)-i < len(a.lit) {
				continue
			}
			var ok bool
			if a.fold {
				ok = hasPrefixFold(text[i:], a.lit)
			} else {
				ok = text[i:i+len(a.lit)] == a.lit
			}
			if ok {
				m |= a.mask
				if record {
					occ = append(occ, occurrence{pos: i, mask: a.mask})
				}
			}
		}
	}
	return m, occ
}

// run runs the detectors of mask, on the whole text when occ is nil and
// otherwise on the lines (merged when adjacent) of their anchor occurrences.
func run(text string, mask uint64, occ []occurrence, emit func(det, start, end int, desc string)) {
	for i := range detectors {
		bit := uint64(1) << uint(i)
		if mask&bit == 0 {
			continue
		}
		det := i
		e := func(start, end int, desc string) { emit(det, start, end, desc) }
		if occ == nil {
			detectors[i].find(text, 0, len(text), e)
			continue
		}
		lo, hi := -1, -1
		for _, o := range occ {
			if o.mask&bit == 0 || o.pos < hi {
				continue
			}
			ls := strings.LastIndexByte(text[:o.pos], '\n') + 1
			le := strings.IndexByte(text[o.pos:], '\n')
			if le < 0 {
				le = len(text)
			} else {
				le += o.pos
			}
			if lo >= 0 && ls <= hi+1 {
				hi = le
				continue
			}
			if lo >= 0 {
				detectors[i].find(text, lo, hi, e)
			}
			lo, hi = ls, le
		}
		if lo >= 0 {
			detectors[i].find(text, lo, hi, e)
		}
	}
}

// hasPrefixFold reports whether s starts with lower, ignoring ASCII case;
// lower must be lower-case.
func hasPrefixFold(s, lower string) bool {
	if len(s) < len(lower) {
		return false
	}
	for i := 0; i < len(lower); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func toLowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
