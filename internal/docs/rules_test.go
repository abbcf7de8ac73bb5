package docs

import (
	"context"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/amiaudit/amiaudit/finding"
	"github.com/amiaudit/amiaudit/rules"
)

// builtin is the built-in engine's rules by ID: the one source of a rule's
// severity, title and effect (its METADATA).
func builtin(t *testing.T) map[string]finding.Rule {
	t.Helper()
	e, err := rules.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]finding.Rule{}
	for _, r := range e.Rules() {
		out[r.ID] = r
	}
	return out
}

var ruleID = regexp.MustCompile(`^[A-Z]+-[0-9]{3}$`)

// mdTable is a Markdown table: its header cells (lower case) and rows.
type mdTable struct {
	line   int // of the header, 1-based
	header []string
	rows   [][]string
	lines  []int
}

func cells(line string) []string {
	line = strings.TrimSpace(line)
	line = strings.TrimSuffix(strings.TrimPrefix(line, "|"), "|")
	parts := strings.Split(line, "|")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

// tables returns the Markdown tables of text.
func tables(text string) []mdTable {
	var out []mdTable
	lines := strings.Split(text, "\n")
	for i := 0; i+1 < len(lines); i++ {
		if !strings.HasPrefix(strings.TrimSpace(lines[i]), "|") || !regexp.MustCompile(`^\|?[\s:|-]+$`).MatchString(strings.TrimSpace(lines[i+1])) {
			continue
		}
		tb := mdTable{line: i + 1}
		for _, h := range cells(lines[i]) {
			tb.header = append(tb.header, strings.ToLower(h))
		}
		j := i + 2
		for ; j < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[j]), "|"); j++ {
			tb.rows = append(tb.rows, cells(lines[j]))
			tb.lines = append(tb.lines, j+1)
		}
		out = append(out, tb)
		i = j
	}
	return out
}

// markdownFiles is every Markdown file of the repository (testdata aside).
func markdownFiles(t *testing.T) []string {
	var out []string
	walk(t, func(rel string, d fs.DirEntry) {
		if !d.IsDir() && strings.HasSuffix(rel, ".md") {
			out = append(out, rel)
		}
	})
	return out
}

// TestRuleTablesMatchTheRules: a Markdown table whose first column is the
// rule (header "ID" or "rule") names only built-in rules, and its
// "severity", "title" and "effect" columns say what the rule's METADATA says;
// in the access model's table of undetermined answers, the "allowed / denied"
// column starts with the rule's severity. The prose copies of these facts
// (docs/gate.md's gate rules, docs/access-model.md) cannot drift from the
// policies unnoticed.
func TestRuleTablesMatchTheRules(t *testing.T) {
	rs := builtin(t)
	severityWord := regexp.MustCompile("`(critical|high|medium|low|info)`")
	checked := 0
	for _, file := range markdownFiles(t) {
		for _, tb := range tables(read(t, file)) {
			if len(tb.header) == 0 || tb.header[0] != "id" && tb.header[0] != "rule" {
				continue
			}
			for n, row := range tb.rows {
				id := strings.Trim(row[0], "`")
				if !ruleID.MatchString(id) {
					continue // a range (ACCT-001..003) or a note
				}
				r, ok := rs[id]
				if !ok {
					t.Errorf("%s:%d: %s is not a built-in rule", file, tb.lines[n], id)
					continue
				}
				checked++
				for c, h := range tb.header {
					if c >= len(row) {
						break
					}
					cell := strings.Trim(row[c], "`")
					switch h {
					case "severity":
						if cell != string(r.Severity) {
							t.Errorf("%s:%d: %s severity %q, but its METADATA (%s) says %q", file, tb.lines[n], id, cell, r.Source, r.Severity)
						}
					case "title":
						if cell != r.Title {
							t.Errorf("%s:%d: %s title %q, but its METADATA (%s) says %q", file, tb.lines[n], id, cell, r.Source, r.Title)
						}
					case "effect":
						if cell != r.Effect {
							t.Errorf("%s:%d: %s effect %q, but its METADATA (%s) says %q", file, tb.lines[n], id, cell, r.Source, r.Effect)
						}
					case "allowed / denied":
						m := severityWord.FindStringSubmatch(row[c])
						if m == nil || m[1] != string(r.Severity) {
							t.Errorf("%s:%d: %s's severity when allowed or denied is %q, but its METADATA (%s) says %q", file, tb.lines[n], id, row[c], r.Source, r.Severity)
						}
					}
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no table of rules found in the Markdown files")
	}
}

// TestGateRulesTableIsComplete: docs/gate.md's "Gate rules" table has one row
// for each rule of the gate area, and its severities are the rules' (checked
// by TestRuleTablesMatchTheRules).
func TestGateRulesTableIsComplete(t *testing.T) {
	var want []string
	for id, r := range builtin(t) {
		if r.Area == "gate" {
			want = append(want, id)
		}
	}
	slices.Sort(want)
	tbs := tables(section(t, read(t, "docs/gate.md"), "## Gate rules"))
	if len(tbs) != 1 {
		t.Fatalf("docs/gate.md, ## Gate rules: %d tables, want 1", len(tbs))
	}
	var got []string
	for _, row := range tbs[0].rows {
		got = append(got, strings.Trim(row[0], "`"))
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("docs/gate.md, ## Gate rules lists %v; the gate's rules are %v", got, want)
	}
}

// expandIDs turns a list like "AMI-001/002/003, SNAP-001/002" into rule IDs.
func expandIDs(t *testing.T, list string) []string {
	t.Helper()
	var out []string
	for _, part := range strings.Split(list, ",") {
		part = strings.TrimSpace(part)
		prefix, nums, ok := strings.Cut(part, "-")
		if !ok {
			t.Fatalf("%q: expected AREA-NNN/NNN…", part)
		}
		for _, n := range strings.Split(nums, "/") {
			id := prefix + "-" + n
			if !ruleID.MatchString(id) {
				t.Fatalf("%q: %q is not a rule ID", part, id)
			}
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// TestReportFormatsEffectsMatchTheRules: docs/report-formats.md lists, in the
// ASFF Types row, the rules whose custom.effect is data-exposure and those
// whose effect is credentials; the lists are the rules' METADATA.
func TestReportFormatsEffectsMatchTheRules(t *testing.T) {
	text := read(t, "docs/report-formats.md")
	lists := map[string]*regexp.Regexp{
		finding.EffectDataExposure: regexp.MustCompile("for `" + finding.EffectDataExposure + "`[^(|]*\\(([^)]*)\\)"),
		finding.EffectCredentials:  regexp.MustCompile("for `" + finding.EffectCredentials + "`[^(|]*\\(([^)]*)\\)"),
	}
	rs := builtin(t)
	for effect, re := range lists {
		m := re.FindStringSubmatch(text)
		if m == nil {
			t.Errorf("docs/report-formats.md: no list of the rules with effect %s (%s)", effect, re)
			continue
		}
		var want []string
		for id, r := range rs {
			if r.Effect == effect {
				want = append(want, id)
			}
		}
		slices.Sort(want)
		if got := expandIDs(t, m[1]); !slices.Equal(got, want) {
			t.Errorf("docs/report-formats.md says the rules with effect %s are %v; their METADATA says %v", effect, got, want)
		}
	}
}

// TestRuleSeveritiesInProse: a sentence that gives a rule's severity in
// passing ("AMI-008 (critical, …", "SCAN-001 is `high`") in README.md or
// docs/ says what the rule's METADATA says.
func TestRuleSeveritiesInProse(t *testing.T) {
	rs := builtin(t)
	re := regexp.MustCompile("\\b([A-Z]+-[0-9]{3}) (?:\\(|is `)(critical|high|medium|low|info)\\b")
	found := 0
	for _, file := range markdownFiles(t) {
		if file != "README.md" && !strings.HasPrefix(file, "docs/") {
			continue
		}
		for _, m := range re.FindAllStringSubmatch(read(t, file), -1) {
			r, ok := rs[m[1]]
			if !ok {
				t.Errorf("%s: %s is not a built-in rule", file, m[1])
				continue
			}
			found++
			if m[2] != string(r.Severity) {
				t.Errorf("%s: %q, but %s's METADATA (%s) says %s", file, m[0], m[1], r.Source, r.Severity)
			}
		}
	}
	if found == 0 {
		t.Fatal("no severity in prose found: the pattern no longer matches the docs")
	}
}

// TestThresholdDefaultsInProse: the defaults of the thresholds written in
// docs/configuration.md (the comment above each key, and the example value)
// and in AMI-009's and AMI-011's descriptions are rules.DefaultConfig's.
func TestThresholdDefaultsInProse(t *testing.T) {
	def := rules.DefaultConfig()
	conf := read(t, "docs/configuration.md")
	rs := builtin(t)
	for _, c := range []struct {
		key, rule string
		value     int
	}{
		{"max_shared_image_age_days", "AMI-009", def.MaxSharedImageAgeDays},
		{"max_unused_shared_image_days", "AMI-011", def.MaxUnusedSharedImageDays},
	} {
		n := strconv.Itoa(c.value)
		// The commented key: "# …. Default N.\n# …\nKEY: N".
		m := regexp.MustCompile(`Default ([0-9]+)\.\n(?:#[^\n]*\n)*` + c.key + `: ([0-9]+)\n`).FindStringSubmatch(conf)
		if m == nil {
			t.Errorf("docs/configuration.md: no %q comment and key %s", "Default N.", c.key)
		} else if m[1] != n || m[2] != n {
			t.Errorf("docs/configuration.md: %s's default is %s, example %s; rules.DefaultConfig has %s", c.key, m[1], m[2], n)
		}
		if want := c.key + " (default " + n + ")"; !strings.Contains(strings.Join(strings.Fields(rs[c.rule].Description), " "), want) {
			t.Errorf("%s (%s): description does not say %q: %q", c.rule, rs[c.rule].Source, want, rs[c.rule].Description)
		}
	}
}
