package cli

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/amiaudit/amiaudit/report"
	"github.com/amiaudit/amiaudit/rules"
)

// rulesKind is what rules writes: a table for people, JSON for tools.
var rulesKind = outputKind{what: "rule list", writer: "rules", formats: []string{report.FormatTable, report.FormatJSON}}

func newRulesCommand(e *env) *cobra.Command {
	var policies []string
	var f outputFlags
	var builtins bool
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List the loaded rules with ID, severity, title and source file",
		Long: `List every loaded rule: the built-in ones and those of --policy directories.
Rule metadata comes from each policy's # METADATA annotations.

SOURCE is the file the rule lives in: policies/<area>/<rule>.rego for a
built-in rule (embedded in the binary; the same path in the source tree), and
the path under the --policy argument for yours. --format json gives every
field of each rule, the source included.

Policies run sealed: a builtin that reaches the network, reads the clock or
the host, or returns random values is refused when the policy is loaded
(exit 2). --builtins lists what a policy may call and what it may not, and why
(see docs/writing-rules.md, section Sandbox).`,
		Example: `  amiaudit rules
  amiaudit rules | grep AMI-004
  amiaudit rules --policy ./our-rules --format json
  amiaudit rules --builtins`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, err := f.resolve(rulesKind)
			if err != nil {
				return err
			}
			if builtins {
				s := rules.CurrentSandbox()
				b := report.Builtins{Digest: s.Digest(), Allowed: s.Callable(), Refused: s.Refused}
				return out.deliver(e, "builtin list", report.Options{}, func(w io.Writer, _ report.Options) error {
					return report.WriteBuiltins(w, b, out.format)
				})
			}
			engine, err := rules.Load(cmd.Context(), policies...)
			if err != nil {
				return usageError(err)
			}
			return out.deliver(e, "rule list", report.Options{}, func(w io.Writer, _ report.Options) error {
				return report.WriteRules(w, engine.Rules(), out.format)
			}, "rules", len(engine.Rules()))
		},
	}
	cmd.Flags().StringArrayVarP(&policies, "policy", "p", nil, "directory (or file) of extra Rego rules; repeatable")
	f.register(cmd.Flags(), rulesKind, "")
	cmd.Flags().BoolVar(&builtins, "builtins", false, "list the builtins policies may call (allowed) and those the sandbox refuses, with why")
	return cmd
}
