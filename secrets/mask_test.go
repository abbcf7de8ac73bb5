package secrets

import (
	"reflect"
	"strings"
	"testing"
)

// TestMaskStable: masking removes every secret, keeps the hits Detect gives
// on the original text, gives no hit when detection runs again on the masked
// text (a redacted form is not a credential), and is idempotent.
func TestMaskStable(t *testing.T) {
	for _, tc := range truePositives() {
		t.Run(tc.name, func(t *testing.T) {
			masked, hits := Mask(tc.text)
			if want := Detect(tc.text); !reflect.DeepEqual(hits, want) {
				t.Errorf("Mask hits %+v, Detect %+v", hits, want)
			}
			if len(hits) == 0 {
				t.Fatal("nothing masked")
			}
			for _, w := range tc.want {
				if strings.Contains(masked, w.secret) {
					t.Errorf("masked text still holds the %s secret", w.detector)
				}
			}
			for _, h := range hits {
				if !strings.Contains(masked, h.Redacted) {
					t.Errorf("masked text lacks the redacted form %s", h.Redacted)
				}
			}
			if again := Detect(masked); len(again) != 0 {
				t.Errorf("the masked text %q gives hits %+v", masked, again)
			}
			if twice, hits := Mask(masked); twice != masked || hits != nil {
				t.Errorf("Mask is not idempotent: %q → %q (%+v)", masked, twice, hits)
			}
		})
	}
}

func TestMaskKeyValue(t *testing.T) {
	pw, sec := fakePassword(), fakeSecretKey()
	cases := []struct{ key, value, secret string }{
		{"DB_PASSWORD", pw, pw},
		{"db password", "prefix " + pw, ""},
		{"aws_secret_access_key", sec, sec},
		{"Name", "build " + pw, ""},
	}
	for _, c := range cases {
		masked, hits := MaskKeyValue(c.key, c.value)
		if want := DetectKeyValue(c.key, c.value); !reflect.DeepEqual(hits, want) {
			t.Errorf("MaskKeyValue(%q) hits %+v, DetectKeyValue %+v", c.key, hits, want)
		}
		if c.secret == "" {
			if len(hits) == 0 && masked != c.value {
				t.Errorf("MaskKeyValue(%q) changed a value without a secret: %q", c.key, masked)
			}
			continue
		}
		if len(hits) != 1 || masked != hits[0].Redacted {
			t.Errorf("MaskKeyValue(%q) = %q %+v, want the value replaced by its redacted form", c.key, masked, hits)
		}
		if again := DetectKeyValue(c.key, masked); len(again) != 0 {
			t.Errorf("the masked value of %q gives hits %+v", c.key, again)
		}
	}
}

func TestMarkers(t *testing.T) {
	r := Redact("correct-horse-battery")
	text := "a " + r + " b sha256:0123456789ab c sha256:xyz " + Redact("pw")
	got := markers(text)
	want := [][2]int{
		{2, 2 + len(r)},
		{strings.Index(text, "sha256:0123"), strings.Index(text, "sha256:0123") + 19},
		{len(text) - 19, len(text)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("markers = %v, want %v", got, want)
	}
}

// FuzzMask: for any text, masking leaves nothing a detector finds, masking
// again changes nothing, and the same holds for a tag value read with a key.
func FuzzMask(f *testing.F) {
	for _, tc := range truePositives() {
		f.Add(tc.text, "")
	}
	f.Add(fakePassword(), "DB_PASSWORD")
	f.Add("password="+Redact("hunter22hunter22"), "")
	f.Add("x sha256:0123456789ab y", "token")
	f.Fuzz(func(t *testing.T, text, key string) {
		masked, hits := Mask(text)
		if len(hits) == 0 && masked != text {
			t.Fatalf("Mask changed a text without hits: %q → %q", text, masked)
		}
		if again := Detect(masked); len(again) != 0 {
			t.Fatalf("Mask(%q) = %q still gives hits %+v", text, masked, again)
		}
		if twice, _ := Mask(masked); twice != masked {
			t.Fatalf("Mask is not idempotent on %q: %q → %q", text, masked, twice)
		}
		value, _ := MaskKeyValue(key, text)
		if again := DetectKeyValue(key, value); len(again) != 0 {
			t.Fatalf("MaskKeyValue(%q, %q) = %q still gives hits %+v", key, text, value, again)
		}
	})
}
