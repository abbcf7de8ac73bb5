package scenario

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/smithy-go"

	"github.com/amiaudit/amiaudit/internal/awsid"
	"github.com/amiaudit/amiaudit/testbed/awslocal"
	"github.com/amiaudit/amiaudit/testbed/proxy"
)

// AccountIDTag is the CreateAccount tag with which the test bed's launcher
// creates an organization member with a chosen ID (a test-bed hook: AWS
// always picks the ID).
const AccountIDTag = "amiaudit-testbed:account-id"

// launchImage is the AMI the seeder's instances claim to run. It exists
// nowhere: moto does not check, and a real AMI made for the purpose would be
// one more image for the scan to report.
const launchImage = "ami-0123456789abcdef0"

// needLauncher ends the errors that mean moto runs without the test bed's
// patches.
const needLauncher = "moto is not running with the test bed's patches: start it with testbed/moto (launcher.py)"

// Seeded is what seeding created, by the scenario's names.
type Seeded struct {
	// Endpoint is the emulator that was seeded.
	Endpoint string
	// Accounts maps account names, external ones included, to 12-digit IDs.
	Accounts map[string]string
	// Images maps image names to AMI IDs (deregistered ones included).
	Images map[string]string
	// Snapshots maps snapshot names to snapshot IDs; an image's snapshots are
	// IMAGE/0, IMAGE/1, … in volume order.
	Snapshots map[string]string
	// Keys maps key names to key ARNs.
	Keys map[string]string
	// OrgID, OrgARN and OUs (OU name → ARN) are empty without an organization.
	OrgID, OrgARN string
	OUs           map[string]string
	// OUPaths maps OU names to their organization paths (o-…/r-…/ou-…/…/).
	OUPaths map[string]string
	// ManagementAccount is the organization's management account ID.
	ManagementAccount string
	// HomeAccount is the account a scan starts from: the management account,
	// or without an organization the scenario's first account.
	HomeAccount string

	s *Scenario
}

// SeedOption changes how Seed works.
type SeedOption func(*seedOptions)

type seedOptions struct{ fresh bool }

// FreshAccountIDs ignores the scenario's fixed account IDs and uses new
// random ones, so that one emulator can hold several seeds (of the same
// scenario, even) without them meeting. External accounts keep their IDs.
func FreshAccountIDs() SeedOption { return func(o *seedOptions) { o.fresh = true } }

// Seed creates the scenario in the emulator at endpoint, which must be on a
// loopback address: seeding creates and changes resources, and is refused
// anywhere else. It calls AWS's APIs through aws-sdk-go-v2, acting as each
// account by AssumeRole into its OrganizationAccountAccessRole.
func (s *Scenario) Seed(ctx context.Context, endpoint string, opts ...SeedOption) (*Seeded, error) {
	var o seedOptions
	for _, opt := range opts {
		opt(&o)
	}
	if err := awslocal.CheckLoopback(endpoint); err != nil {
		return nil, fmt.Errorf("seed %s: %w", s.Name, err)
	}
	base, err := awslocal.Config(endpoint, s.Regions[0])
	if err != nil {
		return nil, err
	}
	sd := &seeder{
		s:    s,
		base: base,
		cfgs: map[string]aws.Config{},
		out: &Seeded{
			Endpoint:  endpoint,
			Accounts:  map[string]string{},
			Images:    map[string]string{},
			Snapshots: map[string]string{},
			Keys:      map[string]string{},
			OUs:       map[string]string{},
			OUPaths:   map[string]string{},
			s:         s,
		},
	}
	steps := []struct {
		what string
		run  func(context.Context, seedOptions) error
	}{
		{"accounts", sd.accounts},
		{"keys", sd.keys},
		{"images", sd.images},
		{"snapshots", sd.snapshots},
		{"permissions", sd.permissions},
		{"deregistration", sd.deregister},
		{"key states", sd.keyStates},
		{"settings", sd.settings},
	}
	for _, step := range steps {
		if err := step.run(ctx, o); err != nil {
			return nil, fmt.Errorf("seed %s (%s): %w", s.Name, step.what, err)
		}
	}
	return sd.out, nil
}

type seeder struct {
	s    *Scenario
	base aws.Config
	out  *Seeded
	cfgs map[string]aws.Config // by account ID, in the home region
}

// config acts as the named scenario account in region.
func (sd *seeder) config(ctx context.Context, account, region string) (aws.Config, error) {
	id, ok := sd.out.Accounts[account]
	if !ok {
		return aws.Config{}, fmt.Errorf("account %s has no ID yet", account)
	}
	return sd.configID(ctx, id, region)
}

func (sd *seeder) configID(ctx context.Context, id, region string) (aws.Config, error) {
	cfg, ok := sd.cfgs[id]
	if !ok {
		var err error
		if cfg, err = awslocal.AssumeAccount(ctx, sd.base, id); err != nil {
			return aws.Config{}, err
		}
		sd.cfgs[id] = cfg
	}
	return awslocal.InRegion(cfg, region), nil
}

func (sd *seeder) ec2(ctx context.Context, account, region string) (*ec2.Client, error) {
	cfg, err := sd.config(ctx, account, region)
	if err != nil {
		return nil, err
	}
	return ec2.NewFromConfig(cfg), nil
}

func (sd *seeder) kms(ctx context.Context, account, region string) (*kms.Client, error) {
	cfg, err := sd.config(ctx, account, region)
	if err != nil {
		return nil, err
	}
	return kms.NewFromConfig(cfg), nil
}

// resolver knows every placeholder once accounts and the organization exist.
func (sd *seeder) resolver(account, region string) *resolver {
	r := &resolver{accounts: sd.out.Accounts, orgID: sd.out.OrgID, orgARN: sd.out.OrgARN, ous: sd.out.OUs, ouPaths: sd.out.OUPaths, region: region}
	if account != "" {
		r.account = sd.out.Accounts[account]
	}
	return r
}

func (sd *seeder) expand(text string) (string, error) { return sd.resolver("", "").expand(text) }

// randomAccountID returns an unused random account ID.
func (sd *seeder) randomAccountID(taken map[string]bool) string {
	for {
		id := fmt.Sprintf("%012d", rand.Int64N(9e11)+1e11)
		if !taken[id] {
			taken[id] = true
			return id
		}
	}
}

func (sd *seeder) accounts(ctx context.Context, o seedOptions) error {
	s := sd.s
	// Fresh IDs stay clear of moto's default account, which any unknown
	// access key acts as.
	taken := map[string]bool{awslocal.DefaultAccount: true}
	for _, a := range s.ExternalAccounts {
		sd.out.Accounts[a.Name] = a.ID
		taken[a.ID] = true
	}
	fixed := func(a *Account) string {
		if o.fresh {
			return ""
		}
		taken[a.ID] = true
		return a.ID
	}
	if s.Organization == nil {
		for i := range s.Accounts {
			a := &s.Accounts[i]
			id := fixed(a)
			if id == "" {
				id = sd.randomAccountID(taken)
			}
			sd.out.Accounts[a.Name] = id
		}
		sd.out.HomeAccount = sd.out.Accounts[s.Accounts[0].Name]
		return nil
	}
	mgmt := s.account(s.Organization.Management)
	mgmtID := fixed(mgmt)
	if mgmtID == "" {
		mgmtID = sd.randomAccountID(taken)
	}
	sd.out.Accounts[mgmt.Name] = mgmtID
	sd.out.ManagementAccount, sd.out.HomeAccount = mgmtID, mgmtID
	cfg, err := sd.configID(ctx, mgmtID, awslocal.HomeRegion)
	if err != nil {
		return err
	}
	org := organizations.NewFromConfig(cfg)
	if _, err := org.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll}); err != nil {
		if code(err) == "AlreadyInOrganizationException" {
			return fmt.Errorf("account %s already has an organization: seed into a fresh emulator, or with FreshAccountIDs: %w", mgmtID, err)
		}
		return fmt.Errorf("create organization in %s: %w", mgmtID, err)
	}
	desc, err := org.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil {
		return fmt.Errorf("describe organization: %w", err)
	}
	sd.out.OrgID, sd.out.OrgARN = aws.ToString(desc.Organization.Id), aws.ToString(desc.Organization.Arn)
	roots, err := org.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil || len(roots.Roots) == 0 {
		return fmt.Errorf("list roots: %v", err)
	}
	root := aws.ToString(roots.Roots[0].Id)

	// OUs, parents first.
	ouIDs := map[string]string{}
	for len(ouIDs) < len(s.Organization.OUs) {
		for _, ou := range s.Organization.OUs {
			if _, done := ouIDs[ou.Name]; done {
				continue
			}
			parent := root
			if ou.Parent != "" {
				var ok bool
				if parent, ok = ouIDs[ou.Parent]; !ok {
					continue
				}
			}
			out, err := org.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(parent), Name: aws.String(ou.Name)})
			if err != nil {
				return fmt.Errorf("create OU %s: %w", ou.Name, err)
			}
			ouIDs[ou.Name] = aws.ToString(out.OrganizationalUnit.Id)
			sd.out.OUs[ou.Name] = aws.ToString(out.OrganizationalUnit.Arn)
			parentPath := sd.out.OrgID + "/" + root + "/"
			if ou.Parent != "" {
				parentPath = sd.out.OUPaths[ou.Parent]
			}
			sd.out.OUPaths[ou.Name] = parentPath + ouIDs[ou.Name] + "/"
		}
	}

	for i := range s.Accounts {
		a := &s.Accounts[i]
		id := mgmtID
		if a != mgmt {
			in := &organizations.CreateAccountInput{
				AccountName: aws.String(a.Name),
				Email:       aws.String(orDefault(a.Email, a.Name+"@example.com")),
			}
			want := fixed(a)
			if want != "" {
				in.Tags = []orgtypes.Tag{{Key: aws.String(AccountIDTag), Value: aws.String(want)}}
			}
			if id, err = createAccount(ctx, org, in); err != nil {
				return fmt.Errorf("create account %s: %w", a.Name, err)
			}
			if want != "" && id != want {
				return fmt.Errorf("account %s: asked for ID %s, got %s: %s", a.Name, want, id, needLauncher)
			}
			sd.out.Accounts[a.Name] = id
		}
		if a.OU != "" {
			if _, err := org.MoveAccount(ctx, &organizations.MoveAccountInput{
				AccountId: aws.String(id), SourceParentId: aws.String(root), DestinationParentId: aws.String(ouIDs[a.OU]),
			}); err != nil {
				return fmt.Errorf("move account %s to OU %s: %w", a.Name, a.OU, err)
			}
		}
	}
	return nil
}

// createAccount creates an account and waits for it, as on AWS, where
// CreateAccount only starts the work (moto finishes at once).
func createAccount(ctx context.Context, org *organizations.Client, in *organizations.CreateAccountInput) (string, error) {
	out, err := org.CreateAccount(ctx, in)
	if err != nil {
		return "", err
	}
	st := out.CreateAccountStatus
	for st.State == orgtypes.CreateAccountStateInProgress {
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		d, err := org.DescribeCreateAccountStatus(ctx, &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: st.Id})
		if err != nil {
			return "", err
		}
		st = d.CreateAccountStatus
	}
	if st.State != orgtypes.CreateAccountStateSucceeded {
		return "", fmt.Errorf("state %s: %s", st.State, st.FailureReason)
	}
	return aws.ToString(st.AccountId), nil
}

func (sd *seeder) keys(ctx context.Context, _ seedOptions) error {
	for _, k := range sd.s.Keys {
		c, err := sd.kms(ctx, k.Account, k.Region)
		if err != nil {
			return err
		}
		if k.AWSManaged {
			// AWS creates the key on first use; so does moto, on a DescribeKey
			// of the alias.
			out, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/aws/ebs")})
			if err != nil {
				return fmt.Errorf("key %s: describe alias/aws/ebs: %w", k.Name, err)
			}
			if out.KeyMetadata.KeyManager != kmstypes.KeyManagerTypeAws {
				return fmt.Errorf("key %s: alias/aws/ebs reports KeyManager %s: %s", k.Name, out.KeyMetadata.KeyManager, needLauncher)
			}
			sd.out.Keys[k.Name] = aws.ToString(out.KeyMetadata.Arn)
			continue
		}
		r := sd.resolver(k.Account, k.Region)
		in := &kms.CreateKeyInput{Description: aws.String(k.Description)}
		if k.Policy != "" {
			policy, err := r.expand(k.Policy)
			if err != nil {
				return fmt.Errorf("key %s: policy: %w", k.Name, err)
			}
			in.Policy = aws.String(policy)
		}
		out, err := c.CreateKey(ctx, in)
		if err != nil {
			return fmt.Errorf("key %s: create: %w", k.Name, err)
		}
		arn := aws.ToString(out.KeyMetadata.Arn)
		sd.out.Keys[k.Name] = arn
		for _, alias := range k.Aliases {
			if _, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(alias), TargetKeyId: out.KeyMetadata.KeyId}); err != nil {
				return fmt.Errorf("key %s: alias %s: %w", k.Name, alias, err)
			}
		}
		for _, g := range k.Grants {
			grantee, err := sd.principal(r, g.Grantee)
			if err != nil {
				return fmt.Errorf("key %s: grant %s: %w", k.Name, g.Name, err)
			}
			in := &kms.CreateGrantInput{KeyId: aws.String(arn), GranteePrincipal: aws.String(grantee)}
			if g.Name != "" {
				in.Name = aws.String(g.Name)
			}
			for _, op := range g.Operations {
				in.Operations = append(in.Operations, kmstypes.GrantOperation(op))
			}
			if g.RetiringPrincipal != "" {
				retiring, err := sd.principal(r, g.RetiringPrincipal)
				if err != nil {
					return fmt.Errorf("key %s: grant %s: %w", k.Name, g.Name, err)
				}
				in.RetiringPrincipal = aws.String(retiring)
			}
			if _, err := c.CreateGrant(ctx, in); err != nil {
				return fmt.Errorf("key %s: grant %s: %w", k.Name, g.Name, err)
			}
		}
	}
	return nil
}

// principal turns an account name or ID into its root ARN; anything else is
// an ARN with placeholders.
func (sd *seeder) principal(r *resolver, p string) (string, error) {
	if id, ok := sd.out.Accounts[p]; ok {
		return "arn:aws:iam::" + id + ":root", nil
	}
	if awsid.IsAccountID(p) {
		return "arn:aws:iam::" + p + ":root", nil
	}
	return r.expand(p)
}

// accountID resolves a permission's account: a name or an ID.
func (sd *seeder) accountID(p string) (string, error) {
	if id, ok := sd.out.Accounts[p]; ok {
		return id, nil
	}
	return sd.expand(p)
}

func tagList(tags map[string]string, expand func(string) (string, error)) ([]ec2types.Tag, error) {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []ec2types.Tag
	for _, k := range keys {
		v, err := expand(tags[k])
		if err != nil {
			return nil, fmt.Errorf("tag %s: %w", k, err)
		}
		out = append(out, ec2types.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return out, nil
}

func (sd *seeder) tag(ctx context.Context, c *ec2.Client, id string, tags map[string]string) error {
	if len(tags) == 0 {
		return nil
	}
	list, err := tagList(tags, sd.expand)
	if err != nil {
		return err
	}
	if _, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: list}); err != nil {
		return fmt.Errorf("tag %s: %w", id, err)
	}
	return nil
}

// images creates every image, sources before their copies.
func (sd *seeder) images(ctx context.Context, _ seedOptions) error {
	for len(sd.out.Images) < len(sd.s.Images) {
		for i := range sd.s.Images {
			img := &sd.s.Images[i]
			if _, done := sd.out.Images[img.Name]; done {
				continue
			}
			var err error
			switch {
			case img.CopyOf != "":
				if _, ready := sd.out.Images[img.CopyOf]; !ready {
					continue
				}
				err = sd.copyImage(ctx, img)
			case img.Source == "snapshots":
				err = sd.registerImage(ctx, img)
			default:
				err = sd.createImage(ctx, img)
			}
			if err != nil {
				return fmt.Errorf("image %s: %w", img.Name, err)
			}
		}
	}
	return nil
}

func (sd *seeder) keyARN(name string) *string {
	if name == "" {
		return nil
	}
	return aws.String(sd.out.Keys[name])
}

// createImage launches an instance with the image's volumes and makes the
// AMI with CreateImage, as an image pipeline does.
func (sd *seeder) createImage(ctx context.Context, img *Image) error {
	c, err := sd.ec2(ctx, img.Account, img.Region)
	if err != nil {
		return err
	}
	var bdms []ec2types.BlockDeviceMapping
	for i, v := range img.Volumes {
		ebs := &ec2types.EbsBlockDevice{
			VolumeSize:          aws.Int32(orDefault(v.Size, 8)),
			VolumeType:          ec2types.VolumeType(orDefault(v.Type, "gp3")),
			DeleteOnTermination: aws.Bool(true),
		}
		if v.Key != "" {
			ebs.Encrypted, ebs.KmsKeyId = aws.Bool(true), sd.keyARN(v.Key)
		}
		bdms = append(bdms, ec2types.BlockDeviceMapping{DeviceName: aws.String(device(v, i)), Ebs: ebs})
	}
	run, err := c.RunInstances(ctx, &ec2.RunInstancesInput{
		ImageId: aws.String(launchImage), InstanceType: ec2types.InstanceTypeT3Micro,
		MinCount: aws.Int32(1), MaxCount: aws.Int32(1), BlockDeviceMappings: bdms,
	})
	if err != nil {
		return fmt.Errorf("run the build instance: %w", err)
	}
	instance := run.Instances[0].InstanceId
	desc, err := sd.expand(img.Description)
	if err != nil {
		return err
	}
	out, err := c.CreateImage(ctx, &ec2.CreateImageInput{
		InstanceId: instance, Name: aws.String(orDefault(img.AMIName, img.Name)), Description: aws.String(desc),
	})
	if err != nil {
		return fmt.Errorf("create image: %w", err)
	}
	if _, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{aws.ToString(instance)}}); err != nil {
		return fmt.Errorf("terminate the build instance: %w", err)
	}
	return sd.imageMade(ctx, c, img, aws.ToString(out.ImageId), img.Volumes)
}

// registerImage makes a snapshot of a new volume for each of the image's
// volumes and registers the AMI from them.
func (sd *seeder) registerImage(ctx context.Context, img *Image) error {
	c, err := sd.ec2(ctx, img.Account, img.Region)
	if err != nil {
		return err
	}
	var bdms []ec2types.BlockDeviceMapping
	for i, v := range img.Volumes {
		snap, err := sd.snapshotOfNewVolume(ctx, c, img.Region, orDefault(v.Size, 8), v.Type, v.Key, v.Description, nil)
		if err != nil {
			return fmt.Errorf("volume %d: %w", i, err)
		}
		bdms = append(bdms, ec2types.BlockDeviceMapping{
			DeviceName: aws.String(device(v, i)),
			Ebs: &ec2types.EbsBlockDevice{
				SnapshotId: aws.String(snap), VolumeSize: aws.Int32(orDefault(v.Size, 8)),
				VolumeType: ec2types.VolumeType(orDefault(v.Type, "gp3")), DeleteOnTermination: aws.Bool(true),
			},
		})
	}
	desc, err := sd.expand(img.Description)
	if err != nil {
		return err
	}
	out, err := c.RegisterImage(ctx, &ec2.RegisterImageInput{
		Name: aws.String(orDefault(img.AMIName, img.Name)), Description: aws.String(desc),
		Architecture:   ec2types.ArchitectureValues(orDefault(img.Architecture, "x86_64")),
		RootDeviceName: bdms[0].DeviceName, BlockDeviceMappings: bdms, VirtualizationType: aws.String("hvm"),
	})
	if err != nil {
		return fmt.Errorf("register image: %w", err)
	}
	return sd.imageMade(ctx, c, img, aws.ToString(out.ImageId), img.Volumes)
}

// copyImage copies the image's source into the image's region.
func (sd *seeder) copyImage(ctx context.Context, img *Image) error {
	c, err := sd.ec2(ctx, img.Account, img.Region)
	if err != nil {
		return err
	}
	src := sd.s.image(img.CopyOf)
	in := &ec2.CopyImageInput{
		SourceImageId: aws.String(sd.out.Images[src.Name]),
		SourceRegion:  aws.String(src.Region),
		Name:          aws.String(orDefault(img.AMIName, orDefault(src.AMIName, src.Name))),
	}
	if img.Description != "" {
		desc, err := sd.expand(img.Description)
		if err != nil {
			return err
		}
		in.Description = aws.String(desc)
	}
	if img.Key != "" {
		in.Encrypted, in.KmsKeyId = aws.Bool(true), sd.keyARN(img.Key)
	}
	out, err := c.CopyImage(ctx, in)
	if err != nil {
		return fmt.Errorf("copy image %s from %s: %w", aws.ToString(in.SourceImageId), src.Region, err)
	}
	return sd.imageMade(ctx, c, img, aws.ToString(out.ImageId), sd.s.volumes(img))
}

// imageMade records a new image and its snapshots, checking that moto made
// what AWS would have: one snapshot per volume, encrypted as asked.
func (sd *seeder) imageMade(ctx context.Context, c *ec2.Client, img *Image, id string, volumes []Volume) error {
	sd.out.Images[img.Name] = id
	out, err := c.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{id}})
	if err != nil || len(out.Images) != 1 {
		return fmt.Errorf("describe image %s: %v", id, err)
	}
	byDevice := map[string]ec2types.EbsBlockDevice{}
	for _, m := range out.Images[0].BlockDeviceMappings {
		if m.Ebs != nil {
			byDevice[aws.ToString(m.DeviceName)] = *m.Ebs
		}
	}
	if len(byDevice) != len(volumes) {
		return fmt.Errorf("image %s has %d EBS devices, want %d: %s", id, len(byDevice), len(volumes), needLauncher)
	}
	for i, v := range volumes {
		ebs, ok := byDevice[device(v, i)]
		if !ok {
			return fmt.Errorf("image %s has no device %s: %s", id, device(v, i), needLauncher)
		}
		wantEncrypted := v.Key != "" || img.Key != ""
		if img.CopyOf == "" && aws.ToBool(ebs.Encrypted) != wantEncrypted {
			return fmt.Errorf("image %s: device %s encrypted=%v, want %v: %s", id, device(v, i), aws.ToBool(ebs.Encrypted), wantEncrypted, needLauncher)
		}
		snap := aws.ToString(ebs.SnapshotId)
		sd.out.Snapshots[fmt.Sprintf("%s/%d", img.Name, i)] = snap
		if img.CopyOf == "" {
			if err := sd.tag(ctx, c, snap, v.Tags); err != nil {
				return err
			}
		}
	}
	if err := sd.tag(ctx, c, id, img.Tags); err != nil {
		return err
	}
	return nil
}

// snapshotOfNewVolume snapshots a volume made for the purpose, then deletes
// the volume, leaving only the snapshot.
func (sd *seeder) snapshotOfNewVolume(ctx context.Context, c *ec2.Client, region string, size int32, typ, key, description string, tags map[string]string) (string, error) {
	in := &ec2.CreateVolumeInput{
		AvailabilityZone: aws.String(region + "a"),
		Size:             aws.Int32(size),
		VolumeType:       ec2types.VolumeType(orDefault(typ, "gp3")),
	}
	if key != "" {
		in.Encrypted, in.KmsKeyId = aws.Bool(true), sd.keyARN(key)
	}
	vol, err := c.CreateVolume(ctx, in)
	if err != nil {
		return "", fmt.Errorf("create volume: %w", err)
	}
	desc, err := sd.expand(description)
	if err != nil {
		return "", err
	}
	snapIn := &ec2.CreateSnapshotInput{VolumeId: vol.VolumeId, Description: aws.String(desc)}
	if len(tags) > 0 {
		list, err := tagList(tags, sd.expand)
		if err != nil {
			return "", err
		}
		snapIn.TagSpecifications = []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeSnapshot, Tags: list}}
	}
	snap, err := c.CreateSnapshot(ctx, snapIn)
	if err != nil {
		return "", fmt.Errorf("create snapshot of %s: %w", aws.ToString(vol.VolumeId), err)
	}
	if key != "" && aws.ToString(snap.KmsKeyId) != sd.out.Keys[key] {
		return "", fmt.Errorf("snapshot %s: key %q, want %s: %s", aws.ToString(snap.SnapshotId), aws.ToString(snap.KmsKeyId), sd.out.Keys[key], needLauncher)
	}
	if _, err := c.DeleteVolume(ctx, &ec2.DeleteVolumeInput{VolumeId: vol.VolumeId}); err != nil {
		return "", fmt.Errorf("delete volume %s: %w", aws.ToString(vol.VolumeId), err)
	}
	return aws.ToString(snap.SnapshotId), nil
}

func (sd *seeder) snapshots(ctx context.Context, _ seedOptions) error {
	for _, sn := range sd.s.Snapshots {
		c, err := sd.ec2(ctx, sn.Account, sn.Region)
		if err != nil {
			return err
		}
		id, err := sd.snapshotOfNewVolume(ctx, c, sn.Region, orDefault(sn.Size, 8), "", sn.Key, sn.Description, sn.Tags)
		if err != nil {
			return fmt.Errorf("snapshot %s: %w", sn.Name, err)
		}
		sd.out.Snapshots[sn.Name] = id
	}
	return nil
}

// permissions shares images and snapshots, and sets deprecation times.
func (sd *seeder) permissions(ctx context.Context, _ seedOptions) error {
	for _, img := range sd.s.Images {
		c, err := sd.ec2(ctx, img.Account, img.Region)
		if err != nil {
			return err
		}
		id := sd.out.Images[img.Name]
		if len(img.LaunchPermissions) > 0 {
			var add []ec2types.LaunchPermission
			for _, p := range img.LaunchPermissions {
				lp, err := sd.launchPermission(p)
				if err != nil {
					return fmt.Errorf("image %s: %w", img.Name, err)
				}
				add = append(add, lp)
			}
			if _, err := c.ModifyImageAttribute(ctx, &ec2.ModifyImageAttributeInput{
				ImageId: aws.String(id), LaunchPermission: &ec2types.LaunchPermissionModifications{Add: add},
			}); err != nil {
				return fmt.Errorf("image %s: launch permissions: %w", img.Name, err)
			}
		}
		for i := range sd.s.volumes(&img) {
			snap := sd.out.Snapshots[fmt.Sprintf("%s/%d", img.Name, i)]
			if err := sd.createVolumePermissions(ctx, c, snap, img.CreateVolumePermissions); err != nil {
				return fmt.Errorf("image %s: %w", img.Name, err)
			}
		}
		if img.DeprecationTime != nil {
			if _, err := c.EnableImageDeprecation(ctx, &ec2.EnableImageDeprecationInput{
				ImageId: aws.String(id), DeprecateAt: aws.Time(img.DeprecationTime.At(time.Now())),
			}); err != nil {
				return fmt.Errorf("image %s: deprecation time: %w (%s)", img.Name, err, needLauncher)
			}
		}
	}
	for _, sn := range sd.s.Snapshots {
		c, err := sd.ec2(ctx, sn.Account, sn.Region)
		if err != nil {
			return err
		}
		if err := sd.createVolumePermissions(ctx, c, sd.out.Snapshots[sn.Name], sn.CreateVolumePermissions); err != nil {
			return fmt.Errorf("snapshot %s: %w", sn.Name, err)
		}
	}
	return nil
}

func (sd *seeder) launchPermission(p Permission) (ec2types.LaunchPermission, error) {
	switch {
	case p.Account != "":
		id, err := sd.accountID(p.Account)
		return ec2types.LaunchPermission{UserId: aws.String(id)}, err
	case p.Group != "":
		return ec2types.LaunchPermission{Group: ec2types.PermissionGroup(p.Group)}, nil
	case p.Organization == "self":
		return ec2types.LaunchPermission{OrganizationArn: aws.String(sd.out.OrgARN)}, nil
	case p.Organization != "":
		arn, err := sd.expand(p.Organization)
		return ec2types.LaunchPermission{OrganizationArn: aws.String(arn)}, err
	default:
		arn, ok := sd.out.OUs[p.OU]
		if !ok {
			var err error
			if arn, err = sd.expand(p.OU); err != nil {
				return ec2types.LaunchPermission{}, err
			}
		}
		return ec2types.LaunchPermission{OrganizationalUnitArn: aws.String(arn)}, nil
	}
}

// createVolumePermissions grants perms on snap, in the OperationType form:
// moto ignores the structured CreateVolumePermission.Add form.
func (sd *seeder) createVolumePermissions(ctx context.Context, c *ec2.Client, snap string, perms []Permission) error {
	if len(perms) == 0 {
		return nil
	}
	in := &ec2.ModifySnapshotAttributeInput{
		SnapshotId: aws.String(snap), Attribute: ec2types.SnapshotAttributeNameCreateVolumePermission,
		OperationType: ec2types.OperationTypeAdd,
	}
	for _, p := range perms {
		if p.Group != "" {
			in.GroupNames = append(in.GroupNames, p.Group)
			continue
		}
		id, err := sd.accountID(p.Account)
		if err != nil {
			return err
		}
		in.UserIds = append(in.UserIds, id)
	}
	if _, err := c.ModifySnapshotAttribute(ctx, in); err != nil {
		return fmt.Errorf("createVolumePermission on %s: %w", snap, err)
	}
	return nil
}

func (sd *seeder) deregister(ctx context.Context, _ seedOptions) error {
	for _, img := range sd.s.Images {
		if !img.Deregistered {
			continue
		}
		c, err := sd.ec2(ctx, img.Account, img.Region)
		if err != nil {
			return err
		}
		if _, err := c.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: aws.String(sd.out.Images[img.Name])}); err != nil {
			return fmt.Errorf("image %s: %w", img.Name, err)
		}
	}
	return nil
}

func (sd *seeder) keyStates(ctx context.Context, _ seedOptions) error {
	for _, k := range sd.s.Keys {
		if k.State == "" || k.State == "Enabled" {
			continue
		}
		c, err := sd.kms(ctx, k.Account, k.Region)
		if err != nil {
			return err
		}
		// The key ID, not the ARN: moto's DisableKey and ScheduleKeyDeletion
		// answer HTTP 500 for an ARN (AWS takes either).
		arn := sd.out.Keys[k.Name]
		id := aws.String(arn[strings.LastIndex(arn, "/")+1:])
		switch k.State {
		case "Disabled":
			_, err = c.DisableKey(ctx, &kms.DisableKeyInput{KeyId: id})
		case "PendingDeletion":
			_, err = c.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: id, PendingWindowInDays: aws.Int32(30)})
		}
		if err != nil {
			return fmt.Errorf("key %s: %s: %w", k.Name, k.State, err)
		}
	}
	return nil
}

// settings seeds what moto serves of the account settings: encryption by
// default, and the default key (so that moto's own default-key behaviour
// follows it). The rest goes to the proxy.
func (sd *seeder) settings(ctx context.Context, _ seedOptions) error {
	for _, st := range sd.out.mergedSettings() {
		if st.ebsEncryptionByDefault == nil && st.ebsDefaultKey == "" {
			continue
		}
		c, err := sd.ec2(ctx, st.account, st.region)
		if err != nil {
			return err
		}
		if v := st.ebsEncryptionByDefault; v != nil && *v {
			_, err = c.EnableEbsEncryptionByDefault(ctx, &ec2.EnableEbsEncryptionByDefaultInput{})
		} else if v != nil {
			_, err = c.DisableEbsEncryptionByDefault(ctx, &ec2.DisableEbsEncryptionByDefaultInput{})
		}
		if err != nil {
			return fmt.Errorf("%s/%s: EBS encryption by default: %w", st.account, st.region, err)
		}
		if st.ebsDefaultKey != "" {
			if _, err := c.ModifyEbsDefaultKmsKeyId(ctx, &ec2.ModifyEbsDefaultKmsKeyIdInput{KmsKeyId: aws.String(st.ebsDefaultKey)}); err != nil {
				return fmt.Errorf("%s/%s: EBS default key: %w", st.account, st.region, err)
			}
		}
	}
	return nil
}

// mergedSetting is the settings of one account-region once every entry that
// covers it is applied, later entries overriding earlier ones field by field.
type mergedSetting struct {
	account, region string // scenario names
	proxy.Setting
	ebsEncryptionByDefault *bool
	ebsDefaultKey          string // a scenario key's ARN, the only kind moto is told
}

func (s *Seeded) mergedSettings() []mergedSetting {
	sc := s.s
	var out []mergedSetting
	for _, a := range sc.Accounts {
		for _, r := range sc.Regions {
			m := mergedSetting{account: a.Name, region: r, Setting: proxy.Setting{Account: s.Accounts[a.Name], Region: r}}
			covered := false
			for _, st := range sc.Settings {
				if (st.Account != "" && st.Account != a.Name) || (st.Region != "" && st.Region != r) {
					continue
				}
				covered = true
				m.ImageBlockPublicAccess = override(m.ImageBlockPublicAccess, st.ImageBlockPublicAccess)
				m.SnapshotBlockPublicAccess = override(m.SnapshotBlockPublicAccess, st.SnapshotBlockPublicAccess)
				m.AllowedImages = override(m.AllowedImages, st.AllowedImages)
				m.ebsEncryptionByDefault = override(m.ebsEncryptionByDefault, st.EBSEncryptionByDefault)
				m.ManagedBy = override(m.ManagedBy, st.ManagedBy)
				if st.AllowedImagesCriteria != nil {
					m.AllowedImagesCriteria = s.criteria(st.AllowedImagesCriteria)
				}
				if v := st.EBSDefaultKMSKey; v != nil {
					m.EBSDefaultKMSKeyID, m.ebsDefaultKey = v, ""
					if arn, ok := s.Keys[*v]; ok {
						m.EBSDefaultKMSKeyID, m.ebsDefaultKey = aws.String(arn), arn
					}
				}
			}
			if covered {
				out = append(out, m)
			}
		}
	}
	return out
}

func override[T any](old, new *T) *T {
	if new != nil {
		return new
	}
	return old
}

// Credentials returns credentials that act as the home account (the
// management account), for the scan's base identity. They come from
// AssumeRole through endpoint: give the fault proxy's URL when there is one,
// so that it learns which account they act as.
func (s *Seeded) Credentials(ctx context.Context, endpoint string) (aws.Credentials, error) {
	cfg, err := awslocal.Config(endpoint, awslocal.HomeRegion)
	if err != nil {
		return aws.Credentials{}, err
	}
	return awslocal.AssumeRole(ctx, cfg, awslocal.RoleARN(s.HomeAccount, awslocal.AccessRole), "amiaudit-scan")
}

// Environ returns the environment that points amiaudit (the standard SDK
// credential and endpoint chain) at endpoint with creds, and nowhere else:
// no shared config or credentials file, no instance metadata.
func Environ(creds aws.Credentials, endpoint, region string) []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + creds.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + creds.SecretAccessKey,
		"AWS_SESSION_TOKEN=" + creds.SessionToken,
		"AWS_ENDPOINT_URL=" + endpoint,
		"AWS_REGION=" + region,
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// code is an AWS error's code, or "".
func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
