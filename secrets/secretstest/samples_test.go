package secretstest_test

import (
	"testing"

	"github.com/amiaudit/amiaudit/secrets"
	"github.com/amiaudit/amiaudit/secrets/secretstest"
)

// TestSamplesCoverEveryDetector: each sample is found, whole, by its own
// detector alone, and every metadata detector has a sample.
func TestSamplesCoverEveryDetector(t *testing.T) {
	covered := map[string]bool{}
	for _, s := range secretstest.Samples(1) {
		var hits []secrets.Hit
		if s.TagKey != "" {
			hits = secrets.DetectKeyValue(s.TagKey, s.Text)
		} else {
			hits = secrets.Detect(s.Text)
		}
		if len(hits) != 1 || hits[0].Detector != s.Detector || hits[0].Redacted != secrets.Redact(s.Secret) {
			t.Errorf("%s sample %q: hits %+v, want one %s hit on the secret", s.Detector, s.Text, hits, s.Detector)
		}
		if len(s.Text) > 255 {
			t.Errorf("%s sample is %d bytes: longer than an EC2 tag value or description may be", s.Detector, len(s.Text))
		}
		if s.TagKey != "" && len(s.TagKey) > 127 {
			t.Errorf("%s sample's tag key is %d bytes: EC2 tag keys hold at most 127", s.Detector, len(s.TagKey))
		}
		covered[s.Detector] = true
	}
	for _, d := range secrets.Detectors() {
		if d.ID != "unlocked-password-hash" && !covered[d.ID] {
			t.Errorf("no sample for detector %s", d.ID)
		}
	}
}

func TestLeak(t *testing.T) {
	secret := "abcdEFGHIJKLmnop"
	for data, want := range map[string]string{
		"nothing here":             "",
		"abcd…sha256:0123456789ab": "",
		"x abcdEFGHIJKLmnop y":     secret,
		"…EFGHIJKL…":               "EFGHIJKL",
		"GHIJKLmnop":               "GHIJKLmn",
	} {
		if got := secretstest.Leak([]byte(data), secret); got != want {
			t.Errorf("Leak(%q) = %q, want %q", data, got, want)
		}
	}
}
