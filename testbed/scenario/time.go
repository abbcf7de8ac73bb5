package scenario

import (
	"fmt"
	"regexp"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"
)

// Time is a point in time as a scenario writes it: an RFC 3339 time
// (2027-05-01T00:00:00Z) or one relative to seeding (now, now+180d, now-90d;
// units d, h, m). Relative times keep a scenario true as the calendar moves:
// an image deprecated "in 180 days" never becomes a deprecated one.
type Time struct {
	text string
	abs  time.Time
	rel  time.Duration
	now  bool // relative to seeding
}

var relativeTimeRe = regexp.MustCompile(`^now(?:([+-])([0-9]+)([dhm]))?$`)

// ParseTime reads a Time.
func ParseTime(s string) (Time, error) {
	if m := relativeTimeRe.FindStringSubmatch(s); m != nil {
		t := Time{text: s, now: true}
		if m[1] != "" {
			n, _ := strconv.Atoi(m[2])
			unit := map[string]time.Duration{"d": 24 * time.Hour, "h": time.Hour, "m": time.Minute}[m[3]]
			t.rel = time.Duration(n) * unit
			if m[1] == "-" {
				t.rel = -t.rel
			}
		}
		return t, nil
	}
	abs, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return Time{}, fmt.Errorf("%q is neither an RFC 3339 time (2027-05-01T00:00:00Z) nor now, now+180d, now-90d", s)
	}
	return Time{text: s, abs: abs}, nil
}

// UnmarshalYAML reads a Time from a scalar.
func (t *Time) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a time such as 2027-05-01T00:00:00Z or now+180d", n.Line)
	}
	v, err := ParseTime(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %v", n.Line, err)
	}
	*t = v
	return nil
}

// At is the time, relative times measured from now.
func (t Time) At(now time.Time) time.Time {
	if t.now {
		return now.Add(t.rel).UTC()
	}
	return t.abs
}

// String is the time as written.
func (t Time) String() string { return t.text }
