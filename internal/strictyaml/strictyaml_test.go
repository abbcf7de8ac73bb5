package strictyaml

import (
	"errors"
	"strings"
	"testing"
)

type waiver struct {
	Rule    string   `yaml:"rule"`
	Reason  string   `yaml:"reason"`
	Expires int      `yaml:"expires_days"`
	Tags    []string `yaml:"tags"`
}

type config struct {
	Accounts []string          `yaml:"accounts"`
	MaxDays  int               `yaml:"max_days"`
	Strict   bool              `yaml:"strict"`
	Labels   map[string]string `yaml:"labels"`
	Waivers  []waiver          `yaml:"waivers"`
}

// unknownIn names the type, as the configuration and scenarios do.
func unknownIn(typ string, _ []string) string { return "unknown key in " + typ }

func TestDecodeErrors(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string // Error() of each error, in order
	}{
		{"unknown top-level key", "accounts: []\nacounts: []\n", []string{"c.yaml:2: acounts: unknown key in config"}},
		{"unknown nested key", "waivers:\n  - rule: AMI-001\n    ticket: SEC-1\n", []string{"c.yaml:3: waivers[0].ticket: unknown key in waiver"}},
		{"wrong type: int", "max_days: a year\n", []string{`c.yaml:1: max_days: expected a whole number, found "a year"`}},
		{"wrong type: bool", "strict: maybe\n", []string{`c.yaml:1: strict: expected true or false, found "maybe"`}},
		{"wrong type: list", "accounts: 111122223333\n", []string{`c.yaml:1: accounts: expected a list, found "111122223333"`}},
		{"wrong type: map", "labels: [a, b]\n", []string{`c.yaml:1: labels: expected a mapping (key: value), found a list`}},
		{"wrong type: struct", "waivers: [AMI-001]\n", []string{`c.yaml:1: waivers[0]: expected a mapping (key: value), found "AMI-001"`}},
		{"wrong type: document", "- a\n- b\n", []string{`c.yaml:1: expected a mapping (key: value), found a list`}},
		{"wrong type: nested waiver field", "waivers:\n  - rule: AMI-001\n  - rule: AMI-002\n    expires_days: next week\n",
			[]string{`c.yaml:4: waivers[1].expires_days: expected a whole number, found "next week"`}},
		{"wrong type: long value in full", "max_days: about a year or so\n", []string{`c.yaml:1: max_days: expected a whole number, found "about a year or so"`}},
		{"wrong type: two equal values on one line", "waivers: [{tags: [x]}, {rule: {a: b}}, {rule: {a: b}}]\n",
			[]string{`c.yaml:1: waivers[1].rule: expected a string, found a mapping`, `c.yaml:1: waivers[2].rule: expected a string, found a mapping`}},
		{"unknown key in the second of two items", "waivers:\n  - rule: AMI-001\n  - rule: AMI-002\n    ticket: SEC-1\n", []string{"c.yaml:4: waivers[1].ticket: unknown key in waiver"}},
		{"key given twice", "max_days: 3\nmax_days: 4\n", []string{`c.yaml:2: max_days: key given twice (first at line 1)`}},
		{"every error, each on its line", "max_days: a year\nwaivers:\n  - rule: AMI-001\n    ticket: SEC-1\n",
			[]string{`c.yaml:1: max_days: expected a whole number, found "a year"`, "c.yaml:4: waivers[0].ticket: unknown key in waiver"}},
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

// TestDecodeUnknownKeyListsTheTypesKeys: the callback gets the keys of the
// type the unknown key is in, read from its yaml tags.
func TestDecodeUnknownKeyListsTheTypesKeys(t *testing.T) {
	list := func(typ string, keys []string) string { return typ + ": " + strings.Join(keys, ",") }
	for doc, want := range map[string]string{
		"acounts: []\n":                  "c.yaml:1: acounts: config: accounts,max_days,strict,labels,waivers",
		"waivers: [{rule: x, why: y}]\n": "c.yaml:1: waivers[0].why: waiver: rule,reason,expires_days,tags",
	} {
		var cfg config
		if _, err := Decode("c.yaml", []byte(doc), &cfg, list); err == nil || err.Error() != want {
			t.Errorf("%q: err = %v, want %s", doc, err, want)
		}
	}
}

func TestKeys(t *testing.T) {
	type inner struct {
		A string `yaml:"a"`
		B string `yaml:"b,omitempty"`
	}
	type outer struct {
		inner   `yaml:",inline"`
		Plain   string
		Skipped string `yaml:"-"`
		hidden  string
		Items   map[string][]*inner `yaml:"items"`
	}
	got := Keys(&outer{})
	if k := strings.Join(got["strictyaml.outer"], ","); k != "a,b,plain,items" {
		t.Errorf("outer keys = %s, want a,b,plain,items", k)
	}
	if k := strings.Join(got["strictyaml.inner"], ","); k != "a,b" {
		t.Errorf("inner keys (reached through a map of lists of pointers) = %s, want a,b", k)
	}
	_ = outer{}.hidden
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
