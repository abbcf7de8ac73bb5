package secrets

// The prefilter exists because Detect runs on hundreds of thousands of short
// metadata strings per evaluation, nearly all of them clean. Each detector
// names anchors, short literals that any of its matches must contain; one
// pass over the text finds which anchors occur, and only the detectors of
// those anchors run their regular expressions. A clean AMI name then costs a
// table lookup per byte instead of ~30 regexp scans.

type anchor struct {
	lit  string // lower-case when fold
	fold bool   // ASCII case-insensitive
	mask uint64 // detectors that need this anchor
}

// anchorsAt indexes the anchors by every byte their match can start with.
var anchorsAt [256][]anchor

func init() {
	if len(detectors) > 64 {
		panic("secrets: more than 64 detectors do not fit the prefilter mask")
	}
	type key struct {
		lit  string
		fold bool
	}
	masks := map[key]uint64{}
	var order []key
	for i, d := range detectors {
		for _, a := range d.anchors {
			k := key{lit: a, fold: false}
			if len(a) > 0 && a[0] == '~' {
				k = key{lit: toLowerASCII(a[1:]), fold: true}
			}
			if len(k.lit) == 0 {
				panic("secrets: empty anchor for " + d.id)
			}
			if _, ok := masks[k]; !ok {
				order = append(order, k)
			}
			masks[k] |= 1 << uint(i)
		}
	}
	for _, k := range order {
		a := anchor{lit: k.lit, fold: k.fold, mask: masks[k]}
		c := k.lit[0]
		anchorsAt[c] = append(anchorsAt[c], a)
		if k.fold && c >= 'a' && c <= 'z' {
			anchorsAt[c-32] = append(anchorsAt[c-32], a)
		}
	}
}

// triggered returns the mask of detectors whose anchors occur in text.
func triggered(text string) uint64 {
	var m uint64
	for i := 0; i < len(text); i++ {
		as := anchorsAt[text[i]]
		for j := range as {
			a := &as[j]
			if m&a.mask == a.mask || len(text)-i < len(a.lit) {
				continue
			}
			if a.fold {
				if hasPrefixFold(text[i:], a.lit) {
					m |= a.mask
				}
			} else if text[i:i+len(a.lit)] == a.lit {
				m |= a.mask
			}
		}
	}
	return m
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
