package cli

import (
	"encoding/json"
	"fmt"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
	"github.com/spf13/cobra"

	"github.com/amiaudit/amiaudit/rules"
)

func newRulesCommand(e *env) *cobra.Command {
	var policies []string
	var format string
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List the loaded rules with ID, severity and title",
		Long: `List every loaded rule: the built-in ones and those of --policy directories.
Rule metadata comes from each policy's # METADATA annotations.`,
		Example: `  amiaudit rules
  amiaudit rules --policy ./our-rules --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
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
	return cmd
}
