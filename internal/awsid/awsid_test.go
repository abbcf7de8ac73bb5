package awsid

import (
	"regexp"
	"testing"
)

func TestIsAccountIDIsThePattern(t *testing.T) {
	re := regexp.MustCompile(AccountIDPattern)
	for _, s := range []string{
		"123456789012", "000000000000", "12345678901", "1234567890123", "",
		"12345678901a", "a23456789012", "12345 789012", "١٢٣٤٥٦٧٨٩٠١٢", "123456789012\n",
	} {
		if got, want := IsAccountID(s), re.MatchString(s); got != want {
			t.Errorf("IsAccountID(%q) = %v, the pattern says %v", s, got, want)
		}
	}
}

func FuzzIsAccountID(f *testing.F) {
	re := regexp.MustCompile(AccountIDPattern)
	for _, s := range []string{"123456789012", "12345678901x", "1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := IsAccountID(s), re.MatchString(s); got != want {
			t.Errorf("IsAccountID(%q) = %v, the pattern says %v", s, got, want)
		}
	})
}

func TestIdentifiers(t *testing.T) {
	cases := []struct {
		name string
		is   func(string) bool
		yes  []string
		no   []string
	}{
		{"account ID", IsAccountID, []string{"123456789012"}, []string{"12345678901", "o-a1b2c3d4e5"}},
		{"organization ID", IsOrgID, []string{"o-a1b2c3d4e5", "o-" + "abcdefghij0123456789abcdefghij01"},
			[]string{"o-a1b2c3d4e", "o-A1B2C3D4E5", "acme", "o-" + "abcdefghij0123456789abcdefghij012"}},
		{"OU ID", IsOUID, []string{"ou-ab12-cd34ef56"}, []string{"ou-ab1-cd34ef56", "ou-ab12-cd34ef5", "engineering"}},
		{"organization ARN", IsOrgARN,
			[]string{"arn:aws:organizations::111122223333:organization/o-a1b2c3d4e5", "arn:aws-us-gov:organizations::111122223333:organization/o-a1b2c3d4e5"},
			[]string{"arn:aws:organizations::11112222333:organization/o-a1b2c3d4e5", "arn:aws:organizations::111122223333:ou/o-a1b2c3d4e5/ou-ab12-cd34ef56", "o-a1b2c3d4e5"}},
		{"OU ARN", IsOUARN,
			[]string{"arn:aws:organizations::111122223333:ou/o-a1b2c3d4e5/ou-ab12-cd34ef56"},
			[]string{"arn:aws:organizations::111122223333:organization/o-a1b2c3d4e5", "ou-ab12-cd34ef56", "arn:aws:organizations::111122223333:ou/o-a1b2c3d4e5/ou-ab12-cd34ef56/x"}},
	}
	for _, c := range cases {
		for _, s := range c.yes {
			if !c.is(s) {
				t.Errorf("%s: %q refused", c.name, s)
			}
		}
		for _, s := range c.no {
			if c.is(s) {
				t.Errorf("%s: %q accepted", c.name, s)
			}
		}
	}
}
