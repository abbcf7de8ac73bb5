package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/spf13/cobra"

	"github.com/amiaudit/amiaudit/collector"
	"github.com/amiaudit/amiaudit/finding"
	"github.com/amiaudit/amiaudit/gate"
	"github.com/amiaudit/amiaudit/rules"
	"github.com/amiaudit/amiaudit/snapshot"
)

type gateFlags struct {
	deep           deepFlags
	images         []string
	region         string
	shareWith      []string
	public         bool
	volumePerm     bool
	copyTo         string
	shareCopy      bool
	encrypted      bool
	kmsKey         string
	plan           string
	snapshotFile   string
	profile        string
	encryptedGiven bool
	faults         faultFlags
}

func newGateCommand(e *env) *cobra.Command {
	var f gateFlags
	var rf reportFlags
	cmd := &cobra.Command{
		Use:   "gate",
		Short: "Check a proposed AMI share before it happens (for pipelines)",
		Long: `Check a proposed change to an AMI — shares, snapshot permissions, copies,
KMS grants and key policies — before it is made. The change comes from flags
and/or a Terraform plan in JSON (terraform show -json PLAN).

gate reads only what the decision needs (the AMIs, their snapshots and keys,
block public access, the organization; for a copy, the destination region's
default EBS key and which snapshots the copying account may read), overlays the
change as AWS would carry it out, and runs every rule on the state after it,
plus the gate rules:

` + gateRulesMarker + `

Sharing a copy: --copy-to-region with --share-with proposes a copy AND a share
of the source AMI. Add --share-copy to share the copy instead: the copy does
not exist yet, so the gate adds it as AWS will make it (a placeholder AMI in
the destination, owned by the copying account, its snapshots encrypted with
the key CopyImage picks: --kms-key, else the account's default EBS key there,
which may be the AWS managed aws/ebs key) and judges the share on that key
(AMI-004, AMI-005). A plan whose aws_ami_launch_permission shares the
aws_ami_copy it creates (image_id = aws_ami_copy.NAME.id) is judged the same
way. A key that cannot be read fails the gate closed.

Findings the change causes say which part of it causes them; for a plan, SARIF
points at the resource address. Account-level settings are left to the nightly
scan.

It fails closed: if anything the decision depends on cannot be read, it
reports SCAN-001 and exits 3, never 0.

Exit codes: 0 the change is fine; 1 a finding at or above --fail-on (default
high); 2 usage, configuration or plan error; 3 the decision could not be made.`,
		Example: `  # Share with an account and an OU
  amiaudit gate --image ami-0123456789abcdef0 --region us-east-1 \
    --share-with 111122223333 --share-with arn:aws:organizations::123456789012:ou/o-abc1234567/ou-ab12-cdefgh34

  # Make it public (expect AMI-001)
  amiaudit gate --image ami-0123456789abcdef0 --region us-east-1 --public

  # Copy to another region, re-encrypted with a customer managed key
  amiaudit gate --image ami-0123456789abcdef0 --region us-east-1 --copy-to-region eu-west-1 \
    --encrypted --kms-key arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab

  # Copy to another region and share the copy (not the source) with an account:
  # judged on the key AWS gives the copy (the default EBS key of eu-west-1)
  amiaudit gate --image ami-0123456789abcdef0 --region us-east-1 --copy-to-region eu-west-1 \
    --share-copy --share-with 111122223333

  # A Terraform plan, as SARIF for code scanning
  terraform show -json tfplan > plan.json
  amiaudit gate --plan plan.json --region us-east-1 --format sarif --output gate.sarif`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f.encryptedGiven = cmd.Flags().Changed("encrypted")
			if f.snapshotFile != "" {
				// A flag that tunes the live read would be ignored: refused
				// rather than silently dropped, so no one believes a --deep
				// gate ran.
				if err := refuseReadsAWS(cmd.Flags(), "with --snapshot the gate reads no AWS", "drop --snapshot to read AWS"); err != nil {
					return err
				}
			}
			return runGate(cmd.Context(), e, &f, &rf)
		},
	}
	// The gate rules are listed from their METADATA when help is asked for,
	// not copied here: loading the rules costs a compilation that no other
	// use of the command should pay.
	help := cmd.HelpFunc()
	cmd.SetHelpFunc(func(c *cobra.Command, args []string) {
		if c == cmd {
			c.Long = strings.Replace(c.Long, gateRulesMarker, gateRulesHelp(c.Context()), 1)
		}
		help(c, args)
	})
	fl := cmd.Flags()
	fl.StringSliceVar(&f.images, "image", nil, "AMI ID the change is about (repeatable)")
	fl.StringVar(&f.region, "region", "", "region of the AMIs (and of plan resources that name none; default: the --snapshot's region if it has only one, else the SDK's region)")
	fl.StringArrayVar(&f.shareWith, "share-with", nil, "proposed launch permission: an account ID, organization ARN or OU ARN (repeatable)")
	fl.BoolVar(&f.public, "public", false, "proposed public launch permission (Group=all)")
	fl.BoolVar(&f.volumePerm, "create-volume-permission", false, "also grant createVolumePermission on the AMIs' snapshots to the --share-with grantees")
	fl.StringVar(&f.copyTo, "copy-to-region", "", "proposed copy of the AMIs to this region")
	fl.BoolVar(&f.shareCopy, "share-copy", false, "with --copy-to-region: --share-with and --public share the copy (judged on the key AWS gives it), not the source AMI")
	fl.BoolVar(&f.encrypted, "encrypted", false, "the copy is encrypted (--encrypted=false asks for an unencrypted copy)")
	fl.StringVar(&f.kmsKey, "kms-key", "", "KMS key ARN the copy is encrypted with")
	fl.StringVar(&f.plan, "plan", "", "Terraform plan in JSON (terraform show -json PLAN)")
	fl.StringVar(&f.snapshotFile, "snapshot", "", "judge against this snapshot document instead of reading AWS (offline: --deep, --max-duration and the other flags that tune reading AWS are then refused)")
	fl.StringVar(&f.profile, "profile", "", "AWS shared config profile (with --snapshot only its region counts, as the default --region of a snapshot of several regions)")
	f.deep.register(fl, "the gated AMIs (every one you own, shared yet or not)", false)
	f.faults.register(fl, defaultGateMaxDuration, deadlineGate)
	rf.register(fl)
	return cmd
}

// gateRulesMarker stands in gate's Long help for the list of the gate rules
// (gateRulesHelp).
const gateRulesMarker = "{{gate rules}}"

// gateRulesHelp lists the built-in rules of area gate, ID and title, as
// gate --help shows them.
func gateRulesHelp(ctx context.Context) string {
	if ctx == nil {
		ctx = context.Background()
	}
	e, err := rules.Load(ctx)
	if err != nil {
		return "  (the gate rules could not be loaded: " + err.Error() + "; see amiaudit rules)"
	}
	var lines []string
	for _, r := range e.Rules() {
		if r.Area == finding.AreaGate && !r.Deprecated {
			lines = append(lines, fmt.Sprintf("  %-9s %s", r.ID, r.Title))
		}
	}
	lines = append(lines, "", "(amiaudit rules --format json describes each rule.)")
	return strings.Join(lines, "\n")
}

// gateFlagNames names gate.Proposal's fields by the flags that set them,
// for the errors of gate.Changes.
var gateFlagNames = map[string]string{
	gate.FieldImages:                 "--image",
	gate.FieldShareWith:              "--share-with",
	gate.FieldPublic:                 "--public",
	gate.FieldCreateVolumePermission: "--create-volume-permission",
	gate.FieldCopyTo:                 "--copy-to-region",
	gate.FieldEncrypted:              "--encrypted",
	gate.FieldKMSKeyID:               "--kms-key",
	gate.FieldShareCopy:              "--share-copy",
	gate.FieldPlan:                   "--plan",
}

// changes maps the flags and the plan onto a gate.Proposal and returns
// gate.Changes of it, its errors naming the flags.
func (f *gateFlags) changes(region string) ([]snapshot.ProposedChange, error) {
	p := gate.Proposal{
		Images: f.images, Region: region, ShareWith: f.shareWith, Public: f.public,
		CreateVolumePermission: f.volumePerm, CopyTo: f.copyTo, KMSKeyID: f.kmsKey, ShareCopy: f.shareCopy,
	}
	if f.encryptedGiven {
		p.Encrypted = &f.encrypted
	}
	if f.plan != "" {
		data, err := os.ReadFile(f.plan)
		if err != nil {
			return nil, fmt.Errorf("read plan: %w", err)
		}
		if p.Plan, err = gate.ParsePlan(f.plan, data, region); err != nil {
			return nil, err
		}
	}
	out, err := gate.Changes(p)
	var bad *gate.ProposalError
	if errors.As(err, &bad) {
		return nil, errors.New(bad.Text(func(field string) string { return gateFlagNames[field] }))
	}
	return out, err
}

// runGate builds the decision's inputs from the flags — the changes, the
// state (a snapshot document, or a reader of AWS), the rules — and renders
// gate.Judge's decision; the decision itself is the gate package's.
func runGate(ctx context.Context, e *env, f *gateFlags, rf *reportFlags) error {
	start := e.now()
	p, err := rf.prepare(ctx)
	if err != nil {
		return err
	}
	if err := f.deep.validate(); err != nil {
		return err
	}
	if err := f.faults.validate(); err != nil {
		return err
	}
	var loadOpts []func(*config.LoadOptions) error
	if f.profile != "" {
		loadOpts = append(loadOpts, config.WithSharedConfigProfile(f.profile))
	}
	req := gate.Request{Engine: p.engine, Config: p.cfg}
	if f.snapshotFile != "" {
		if req.State, req.SnapshotSHA256, err = readSnapshot(e.log, f.snapshotFile, e.stdin); err != nil {
			return err
		}
	}
	// The SDK's configuration is read when AWS is read, or when only it can
	// name the region (gate.Region: no --region, a --snapshot of several).
	var cfg aws.Config
	var cfgErr error
	sdkRegion := ""
	if req.State == nil || gate.Region(f.region, req.State, "") == "" {
		if cfg, cfgErr = config.LoadDefaultConfig(ctx, loadOpts...); cfgErr == nil {
			sdkRegion = cfg.Region
		}
	}
	if req.Changes, err = f.changes(gate.Region(f.region, req.State, sdkRegion)); err != nil {
		return usageError(err)
	}
	if req.State == nil {
		if cfgErr != nil {
			return incompleteError(explainAWS(fmt.Errorf("load AWS configuration: %w", cfgErr), effectiveProfile(f.profile)))
		}
		opts := collector.Options{Log: e.log, Now: e.now, ToolVersion: toolVersion()}
		f.deep.apply(&opts)
		f.faults.apply(&opts, start)
		req.Reader = &collector.GateReader{Config: cfg, Options: opts}
	}
	d, err := gate.Judge(ctx, req)
	var unread *gate.ReadError
	var bad *gate.ChangeError
	switch {
	case errors.As(err, &bad):
		return usageError(err)
	case errors.As(err, &unread) && ctx.Err() != nil:
		return incompleteError(errors.New("interrupted"))
	case errors.As(err, &unread):
		return incompleteError(explainAWS(fmt.Errorf("gate: %w", unread.Err), effectiveProfile(f.profile)))
	case err != nil:
		return err
	}
	a := p.engine.AuditFindings(d.State, d.SnapshotSHA256, p.cfg, e.now(), toolVersion(), d.Findings)
	if err := p.deliverAudit(e, a, rules.TouchedFindings); err != nil {
		return err
	}
	if len(d.Unseen) > 0 {
		return incompleteError(fmt.Errorf("the gate could not see everything the decision depends on (%d coverage findings, such as SCAN-001): failing closed", len(d.Unseen)))
	}
	return p.failure("findings", a.Report.FailsAt)
}
