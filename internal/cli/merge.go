package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/amiaudit/amiaudit/snapshot"
)

func newMergeCommand(e *env) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "merge --output FILE SHARD...",
		Short: "Join the snapshot documents of a sharded collection into one",
		Long: `Join the snapshots written by 'amiaudit collect --shard K/N' (one per shard,
.json or .json.gz) into the document one unsharded collection would have
written, ready for 'amiaudit evaluate'.

The shards must be of one run: the same schema version, partition, regions and
organization, every shard 1…N exactly once, no account in two shards and no
AMI, snapshot or account-region twice. The merged scope is the union of the
shards' accounts; collection started at the earliest start and ended at the
latest end; every collection error is kept. FILE is written atomically (.gz
compresses; - writes to stdout).

Exit codes: 0 merged; 2 a shard cannot be read, or the shards do not fit
together (one line naming the files).`,
		Example: `  amiaudit merge --output org.json.gz shard-1.json.gz shard-2.json.gz shard-3.json.gz
  amiaudit merge --output org.json.gz shards/*.json.gz && amiaudit evaluate org.json.gz --format sarif --output org.sarif`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return argsError(fmt.Errorf("%s expects the shard snapshot files to merge", cmd.CommandPath()))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return argsError(errors.New("merge needs --output FILE (or --output - for stdout)"))
			}
			docs := make([]*snapshot.Document, len(args))
			for i, name := range args {
				data, err := os.ReadFile(name)
				if err != nil {
					return usageError(fmt.Errorf("read shard: %w", err))
				}
				if docs[i], err = snapshot.Decode(name, data); err != nil {
					return usageError(err)
				}
				maskSecrets(e.log, name, docs[i])
			}
			merged, err := snapshot.Merge(docs, args)
			if err != nil {
				return usageError(err)
			}
			if _, err := writeSnapshot(out, merged, e.stdout); err != nil {
				return err
			}
			e.log.Info("merged", "shards", len(docs), "accounts", len(merged.Scope.Accounts), "images", len(merged.Images),
				"snapshots", len(merged.Snapshots), "keys", len(merged.Keys), "errors", len(merged.Errors), "file", out)
			return nil
		},
	}
	outputFlag(cmd.Flags(), &out, "merged snapshot file to write (.json, or .json.gz to compress; - for stdout)")
	return cmd
}
