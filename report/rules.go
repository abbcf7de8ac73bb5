package report

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/amiaudit/amiaudit/finding"
)

// rulesHeader is the rule list's table header. SOURCE is the policy file the
// rule lives in (policies/<area>/<rule>.rego for built-in rules, inside the
// binary; the path as found under --policy for the user's), so that finding a
// rule's code takes no grep.
var rulesHeader = []string{"ID", "SEVERITY", "TITLE", "SOURCE"}

// WriteRules lists loaded rules, as 'amiaudit rules' does: a table with one
// rule a line (ID, severity, title, source file; format table), or every
// field of each rule as a JSON array (format json).
func WriteRules(w io.Writer, rules []finding.Rule, format string) error {
	return writeTableOrJSON(w, format, "rule list", func() any { return rules }, func(buf *bytes.Buffer) error {
		// One rule a line, never wrapped: 'amiaudit rules | grep AMI-004'
		// gives the whole row.
		t := tablewriter.NewTable(buf, tablewriter.WithHeaderAutoFormat(tw.Off))
		t.Header(rulesHeader)
		for _, r := range rules {
			if err := t.Append(sanitize(r.ID), sanitize(string(r.Severity)), sanitize(r.Title), sanitize(r.Source)); err != nil {
				return err
			}
		}
		return t.Render()
	})
}

// Builtins is the policy sandbox, as 'amiaudit rules --builtins' lists it:
// the builtins a policy may call and those refused at load, with why.
type Builtins struct {
	// Digest identifies the sandbox; it is part of the policy digest.
	Digest string `json:"digest"`
	// Allowed are the builtins a policy may call.
	Allowed []string `json:"allowed"`
	// Refused maps each refused builtin to why it is refused.
	Refused map[string]string `json:"refused"`
}

// WriteBuiltins lists the sandbox: one line per builtin, the refused ones
// first, sorted, with why, then the allowed ones in their order (format
// table), or the Builtins object (format json).
func WriteBuiltins(w io.Writer, b Builtins, format string) error {
	return writeTableOrJSON(w, format, "builtin list", func() any { return b }, func(buf *bytes.Buffer) error {
		tw := tabwriter.NewWriter(buf, 0, 4, 2, ' ', 0)
		refused := make([]string, 0, len(b.Refused))
		for name := range b.Refused {
			refused = append(refused, name)
		}
		slices.Sort(refused)
		for _, name := range refused {
			fmt.Fprintf(tw, "refused\t%s\t%s\n", sanitize(name), sanitize(b.Refused[name]))
		}
		for _, name := range b.Allowed {
			fmt.Fprintf(tw, "allowed\t%s\n", sanitize(name))
		}
		return tw.Flush()
	})
}
