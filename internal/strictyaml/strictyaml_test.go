package strictyaml

import (
	"errors"
	"strings"
	"testing"
)

type waiver struct {
	Rule   string `yaml:"rule"`
	Reason string `yaml:"reason"`
}

type config struct {
	Accounts []string `yaml:"accounts"`
	MaxDays  int      `yaml:"max_days"`
	Waivers  []waiver `yaml:"waivers"`
}

// unknownIn names the type, as the configuration and scenarios do.
func unknownIn(typ string) string { return "unknown key in " + typ }

func TestDecodeErrors(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string // Error() of each error, in order
	}{
		{"unknown top-level key", "accounts: []\nacounts: []\n", []string{"c.yaml:2: acounts: unknown key in config"}},
		{"unknown nested key", "waivers:\n  - rule: AMI-001\n    ticket: SEC-1\n", []string{"c.yaml:3: ticket: unknown key in waiver"}},
		{"wrong type", "max_days: a year\n", []string{"c.yaml:1: cannot unmarshal !!str `a year` into int"}},
		{"every error, each on its line", "max_days: a year\nwaivers:\n  - rule: AMI-001\n    ticket: SEC-1\n",
			[]string{"c.yaml:1: cannot unmarshal !!str `a year` into int", "c.yaml:4: ticket: unknown key in waiver"}},
		{"syntax", "accounts: [\n", []string{"c.yaml:1: did not find expected node content"}},
		{"syntax on a later line", "accounts: []\nmax_days: 3\n\tbad: tab\n", []string{"c.yaml:2: found a tab character that violates indentation"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var cfg config
			_, err := Decode("c.yaml", []byte(c.yaml), &cfg, unknownIn)
			if err == nil {
				t.Fatal("no error")
			}
			if got := strings.Split(err.Error(), "\n"); strings.Join(got, "|") != strings.Join(c.want, "|") {
				t.Errorf("errors:\n%v\nwant:\n%s", err, strings.Join(c.want, "\n"))
			}
			var e *Error
			if !errors.As(err, &e) || e.File != "c.yaml" || e.Line == 0 {
				t.Errorf("first error %+v is not a located *Error", e)
			}
		})
	}
}

func TestDecodeUnknownKeyWithoutMessage(t *testing.T) {
	var cfg config
	_, err := Decode("c.yaml", []byte("colour: blue\n"), &cfg, nil)
	if err == nil || err.Error() != "c.yaml:1: field colour not found in type strictyaml.config" {
		t.Errorf("err = %v, want yaml.v3's own words, located", err)
	}
}

func TestDecodeEmpty(t *testing.T) {
	for _, doc := range []string{"", "# only a comment\n", "\n\n"} {
		cfg := config{MaxDays: 7}
		root, err := Decode("c.yaml", []byte(doc), &cfg, unknownIn)
		if !errors.Is(err, ErrEmpty) || root != nil || cfg.MaxDays != 7 {
			t.Errorf("%q: root %v, err %v, cfg %+v; want ErrEmpty and cfg untouched", doc, root, err, cfg)
		}
	}
}

func TestDecodeAndLine(t *testing.T) {
	doc := "accounts: [\"111122223333\"]\nmax_days: 3\nwaivers:\n  - rule: AMI-001\n    reason: r\n\n  - rule: SNAP-002\n    reason: s\n"
	var cfg config
	root, err := Decode("c.yaml", []byte(doc), &cfg, unknownIn)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxDays != 3 || len(cfg.Waivers) != 2 || cfg.Waivers[1].Rule != "SNAP-002" {
		t.Fatalf("decoded %+v", cfg)
	}
	for _, c := range []struct {
		path []any
		want int
	}{
		{nil, 1},
		{[]any{"max_days"}, 2},
		{[]any{"waivers", 0}, 4},
		{[]any{"waivers", 1}, 7},
		{[]any{"waivers", 1, "reason"}, 8},
		{[]any{"waivers", 5, "reason"}, 3},  // no such item: the list's line
		{[]any{"waivers", 1, "expires"}, 7}, // no such key: the item's line
		{[]any{"nothing"}, 1},
	} {
		if got := Line(root, c.path...); got != c.want {
			t.Errorf("Line(%v) = %d, want %d", c.path, got, c.want)
		}
	}
	if got := Line(nil, "waivers"); got != 0 {
		t.Errorf("Line of no document = %d, want 0", got)
	}
}

func TestPathAndError(t *testing.T) {
	if got := Path("images", 2, "volumes", 0, "key"); got != "images[2].volumes[0].key" {
		t.Errorf("Path = %q", got)
	}
	if got := Path(); got != "" {
		t.Errorf("empty Path = %q", got)
	}
	for _, c := range []struct {
		e    Error
		want string
	}{
		{Error{File: "f.yaml", Line: 3, Key: "waivers[0].rule", Msg: "bad"}, "f.yaml:3: waivers[0].rule: bad"},
		{Error{File: "f.yaml", Key: "trusted_accounts[0]", Msg: "bad"}, "f.yaml: trusted_accounts[0]: bad"},
		{Error{File: "f.yaml", Line: 2, Msg: "bad"}, "f.yaml:2: bad"},
		{Error{File: "f.yaml", Msg: "empty"}, "f.yaml: empty"},
	} {
		if got := c.e.Error(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.e, got, c.want)
		}
	}
}

// FuzzDecode: whatever the input, Decode decodes it or says where it is
// wrong, every error located in the file.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{"accounts: []\n", "waivers:\n  - rule: x\n    ticket: y\n", "max_days: [\n", "", "a: b: c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		var cfg config
		_, err := Decode("c.yaml", []byte(doc), &cfg, unknownIn)
		if err == nil || errors.Is(err, ErrEmpty) {
			return
		}
		joined, ok := err.(interface{ Unwrap() []error })
		if !ok {
			t.Fatalf("%T is not a list of errors: %v", err, err)
		}
		for _, e := range joined.Unwrap() {
			var located *Error
			if !errors.As(e, &located) || located.File != "c.yaml" {
				t.Fatalf("%T %v is not an *Error of c.yaml", e, e)
			}
			if strings.HasPrefix(located.Msg, "line ") {
				t.Fatalf("%v: the line stayed in the message", e)
			}
		}
	})
}
