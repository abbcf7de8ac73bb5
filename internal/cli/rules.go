package cli

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
	"github.com/spf13/cobra"

	"github.com/amiaudit/amiaudit/rules"
)

func newRulesCommand(e *env) *cobra.Command {
	var policies []string
	var format string
	var builtins bool
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List the loaded rules with ID, severity and title",
		Long: `List every loaded rule: the built-in ones and those of --policy directories.
Rule metadata comes from each policy's # METADATA annotations.

Policies run sealed: a builtin that reaches the network, reads the clock or
the host, or returns random values is refused when the policy is loaded
(exit 2). --builtins lists what a policy may call and what it may not, and why
(see docs/writing-rules.md, section Sandbox).`,
		Example: `  amiaudit rules
  amiaudit rules --policy ./our-rules --format json
  amiaudit rules --builtins`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if builtins {
				return writeSandbox(e, format)
			}
			engine, err := rules.Load(cmd.Context(), policies...)
			if err != nil {
				return usageError(err)
			}
			switch format {
			case "json":
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				return enc.Encode(engine.Rules())
			case "table", "":
				t := tablewriter.NewTable(e.stdout, tablewriter.WithHeaderAutoFormat(tw.Off))
				t.Header("ID", "SEVERITY", "TITLE")
				for _, r := range engine.Rules() {
					if err := t.Append(r.ID, string(r.Severity), r.Title); err != nil {
						return err
					}
				}
				return t.Render()
			default:
				return usageError(fmt.Errorf("--format: %q is not one of table, json", format))
			}
		},
	}
	cmd.Flags().StringArrayVarP(&policies, "policy", "p", nil, "directory (or file) of extra Rego rules; repeatable")
	cmd.Flags().StringVarP(&format, "format", "f", "table", "table or json")
	cmd.Flags().BoolVar(&builtins, "builtins", false, "list the builtins policies may call (allowed) and those the sandbox refuses, with why")
	return cmd
}

// writeSandbox lists the sandbox: one line per builtin, allowed or refused
// (with why), or as JSON.
func writeSandbox(e *env, format string) error {
	s := rules.CurrentSandbox()
	switch format {
	case "json":
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(struct {
			Digest  string            `json:"digest"`
			Allowed []string          `json:"allowed"`
			Refused map[string]string `json:"refused"`
		}{s.Digest(), s.Callable(), s.Refused})
	case "table", "":
		w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		for _, name := range s.RefusedNames() {
			fmt.Fprintf(w, "refused\t%s\t%s\n", name, s.Refused[name])
		}
		for _, name := range s.Callable() {
			fmt.Fprintf(w, "allowed\t%s\n", name)
		}
		return w.Flush()
	default:
		return usageError(fmt.Errorf("--format: %q is not one of table, json", format))
	}
}
