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

func TestHexIDsAreThePatterns(t *testing.T) {
	cases := []struct {
		pattern string
		is      func(string) bool
		inputs  []string
	}{
		{ImageIDPattern, IsImageID, []string{"ami-0123456789abcdef0", "ami-1234abcd", "ami-1", "ami-", "ami-XYZ", "ami-0123456789ABCDEF0",
			"ami-12 34", "ami-1234abcd\n", "snap-1234abcd", "AMI-1234abcd", "xami-1234abcd", ""}},
		{SnapshotIDPattern, IsSnapshotID, []string{"snap-0123456789abcdef0", "snap-1234abcd", "snap-", "snap-plain", "snap-g", "ami-1234abcd", ""}},
	}
	for _, c := range cases {
		re := regexp.MustCompile(c.pattern)
		for _, s := range c.inputs {
			if got, want := c.is(s), re.MatchString(s); got != want {
				t.Errorf("%q: written-out check says %v, the pattern %s says %v", s, got, c.pattern, want)
			}
		}
	}
}

func FuzzIsImageID(f *testing.F) {
	image, snap := regexp.MustCompile(ImageIDPattern), regexp.MustCompile(SnapshotIDPattern)
	for _, s := range []string{"ami-1234abcd", "snap-0123456789abcdef0", "ami-", "ami-G"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := IsImageID(s), image.MatchString(s); got != want {
			t.Errorf("IsImageID(%q) = %v, the pattern says %v", s, got, want)
		}
		if got, want := IsSnapshotID(s), snap.MatchString(s); got != want {
			t.Errorf("IsSnapshotID(%q) = %v, the pattern says %v", s, got, want)
		}
	})
}

// TestIsIssuedImageID: EC2 issues 8 or 17 characters after the hyphen
// (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/resource-ids.html).
func TestIsIssuedImageID(t *testing.T) {
	for s, want := range map[string]bool{
		"ami-1234abcd": true, "ami-0123456789abcdef0": true,
		"ami-1234abc": false, "ami-1234abcde": false, "ami-0123456789abcdef": false, "ami-0123456789abcdef01": false,
		"ami-XYZ": false, "ami-0123456789ABCDEF0": false, "snap-1234abcd": false, "": false,
	} {
		if got := IsIssuedImageID(s); got != want {
			t.Errorf("IsIssuedImageID(%q) = %v, want %v", s, got, want)
		}
	}
}
