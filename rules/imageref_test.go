package rules

import (
	"strings"
	"testing"
)

// nthField must read descriptions exactly as strings.Fields did before it
// replaced it on the SNAP-003 hot path.
func TestNthFieldIsFieldsIndex(t *testing.T) {
	inputs := []string{
		"", " ", "a", " a ", "a b", "  a\tb\n c  ", "Created by CreateImage(i-1) for ami-12345678 from vol-1",
		"Created by CreateImage(i-1)\u00a0for ami-12345678", "Copied for DestinationAmi\u0085ami-0123456789abcdef0 from SourceAmi ami-1",
		"x\u2003y z", "\xff for \xfe", "a\u3000b",
	}
	for _, in := range inputs {
		w := strings.Fields(in)
		for n := range len(w) + 2 {
			got, ok := nthField(in, n)
			want, wantOK := "", n < len(w)
			if wantOK {
				want = w[n]
			}
			if got != want || ok != wantOK {
				t.Errorf("nthField(%q, %d) = %q, %v; strings.Fields gives %q, %v", in, n, got, ok, want, wantOK)
			}
		}
	}
}

func TestImageOfDescription(t *testing.T) {
	for in, want := range map[string]string{
		"Created by CreateImage(i-0abc) for ami-0123456789abcdef0 from vol-1":                            "ami-0123456789abcdef0",
		"Created by CreateImage(i-0abc) for ami-12345678":                                                "ami-12345678",
		"Created by CreateImage(i-0abc) from ami-12345678":                                               "",
		"Created by CreateImage(i-0abc) for":                                                             "",
		"Copied for DestinationAmi ami-0123456789abcdef0 from SourceAmi ami-1 for SourceSnapshot snap-1": "ami-0123456789abcdef0",
		"Copied for DestinationAmi ami-XYZ":                                                              "",
		"packer build of ami-12345678":                                                                   "",
	} {
		if got := imageOfDescription(in); got != want {
			t.Errorf("imageOfDescription(%q) = %q, want %q", in, got, want)
		}
	}
}
