package cli

import (
	"github.com/spf13/cobra"

	"github.com/amiaudit/amiaudit/examples"
	"github.com/amiaudit/amiaudit/rules"
	"github.com/amiaudit/amiaudit/snapshot"
)

func newDemoCommand(e *env) *cobra.Command {
	var f reportFlags
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Audit the built-in example organization (no AWS account needed)",
		Long: `Evaluate the example snapshot embedded in the binary: a small organization
with 3 accounts in 2 regions, where every offline rule fires at least once
beside clean resources. It is examples/snapshot.json with examples/amiaudit.yaml.

The demo exits 0 whatever it finds unless --fail-on is given.`,
		Example: `  amiaudit demo
  amiaudit demo --format json | jq '.summary'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			p, err := f.prepare(ctx)
			if err != nil {
				return err
			}
			if f.config == "" {
				cfg, err := rules.ParseConfig("examples/amiaudit.yaml", examples.Config)
				if err != nil {
					return err
				}
				p.cfg = cfg
			}
			doc, err := snapshot.Decode("examples/snapshot.json", examples.Snapshot)
			if err != nil {
				return err
			}
			return p.audit(ctx, e, doc, snapshot.FileDigest(examples.Snapshot))
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().Lookup("fail-on").DefValue = failOnNone
	_ = cmd.Flags().Set("fail-on", failOnNone)
	return cmd
}
