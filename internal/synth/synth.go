// Package synth generates synthetic organizations: snapshot documents with
// realistic proportions of shared, public, encrypted, copied and orphaned
// resources, for benchmarks and scale tests. The same seed gives the same document.
package synth

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/amiaudit/amiaudit/snapshot"
)

// Spec sizes a synthetic organization.
type Spec struct {
	Accounts int
	Regions  int
	Images   int // in total, spread over the account-regions
	// SnapshotsPerImage is the mean number of snapshots per image (block devices);
	// orphans and plain backups come on top so that Snapshots is reached.
	Snapshots int
	Keys      int
	Seed      uint64
}

// Large is the benchmark size of the scale issue: 100,000 AMIs, 300,000 snapshots, 5,000 keys.
var Large = Spec{Accounts: 50, Regions: 4, Images: 100_000, Snapshots: 300_000, Keys: 5_000, Seed: 1}

var regionNames = []string{"us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2", "ap-northeast-1", "sa-east-1", "ca-central-1"}

// Generate builds the document.
func Generate(s Spec) *snapshot.Document {
	r := rand.New(rand.NewPCG(s.Seed, 0x616d69617564))
	collected := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
	orgID := "o-synthetic001"
	mgmt := account(0)
	doc := &snapshot.Document{
		SchemaVersion: snapshot.SchemaVersion,
		Tool:          snapshot.Tool{Name: "amiaudit-synth", Version: "1"},
		CollectedAt:   collected,
		Partition:     "aws",
		Organization: &snapshot.Organization{
			ID: orgID, ARN: fmt.Sprintf("arn:aws:organizations::%s:organization/%s", mgmt, orgID), ManagementAccount: mgmt,
		},
	}
	regions := regionNames[:min(s.Regions, len(regionNames))]
	doc.Scope.Regions = regions
	doc.Scope.Organization = true
	for a := 0; a < s.Accounts; a++ {
		id := account(a)
		doc.Scope.Accounts = append(doc.Scope.Accounts, id)
		doc.Organization.Accounts = append(doc.Organization.Accounts, snapshot.OrgAccount{ID: id, Status: "ACTIVE", ParentOU: "ou-syn1-workload1"})
		for _, region := range regions {
			doc.AccountRegions = append(doc.AccountRegions, snapshot.AccountRegion{
				Account: id, Region: region,
				ImageBlockPublicAccess:    pick(r, 0.7, snapshot.BlockNewSharing, snapshot.Unblocked),
				SnapshotBlockPublicAccess: pick(r, 0.6, snapshot.BlockAllSharing, snapshot.Unblocked),
				AllowedImages:             pick(r, 0.5, snapshot.AllowedImagesEnabled, snapshot.AllowedImagesDisabled),
			})
		}
	}
	outsider := "999988887777"

	// Keys: customer managed, spread over account-regions; 1 in 50 is AWS managed,
	// 1 in 200 opens to the world, 1 in 100 is scheduled for deletion; others
	// share with the organization (some behind a Deny-outside-the-organization
	// guard, some for an OU subtree through EC2) or grant to an outsider.
	type keyRef struct{ arn, account, region string }
	keysByAR := map[string][]keyRef{}
	for k := 0; k < s.Keys; k++ {
		acct := account(k % s.Accounts)
		region := regions[(k/s.Accounts)%len(regions)]
		id := fmt.Sprintf("%08x-0000-4000-8000-%012x", k, k)
		arn := fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", region, acct, id)
		key := snapshot.Key{ARN: arn, ID: id, Account: acct, Region: region, KeyManager: snapshot.KeyManagerCustomer, KeyState: "Enabled", Grants: []snapshot.Grant{}}
		stmts := []string{fmt.Sprintf(`{"Sid":"Root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":"kms:*","Resource":"*"}`, acct)}
		switch {
		case k%50 == 0:
			key.KeyManager = snapshot.KeyManagerAWS
			key.Aliases = []string{snapshot.AWSManagedEBSKeyAlias}
		case k%200 == 1:
			stmts = append(stmts, `{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*"}`)
		case k%7 == 0:
			stmts = append(stmts, fmt.Sprintf(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":["kms:Decrypt","kms:DescribeKey","kms:CreateGrant","kms:ReEncrypt*","kms:GenerateDataKey*"],"Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"%s"}}}`, orgID))
		case k%11 == 0:
			// The common guard: usable by the organization, denied outside it.
			stmts = append(stmts,
				fmt.Sprintf(`{"Sid":"OrgUse","Effect":"Allow","Principal":"*","Action":["kms:Decrypt","kms:DescribeKey","kms:CreateGrant","kms:ReEncrypt*","kms:GenerateDataKey*"],"Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"%s"}}}`, orgID),
				fmt.Sprintf(`{"Sid":"DenyOutsideOrg","Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"%s"},"Bool":{"aws:PrincipalIsAWSService":"false"}}}`, orgID))
		case k%13 == 0:
			// An OU subtree through aws:PrincipalOrgPaths, through EC2 only.
			stmts = append(stmts, fmt.Sprintf(`{"Sid":"WorkloadsViaEC2","Effect":"Allow","Principal":{"AWS":"*"},"Action":["kms:Decrypt","kms:DescribeKey","kms:CreateGrant","kms:ReEncrypt*","kms:GenerateDataKey*"],"Resource":"*","Condition":{"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":"%s/r-syn1/ou-syn1-workload1/*"},"StringEquals":{"kms:ViaService":"ec2.%s.amazonaws.com"}}}`, orgID, region))
		case k%97 == 0:
			key.Grants = append(key.Grants, snapshot.Grant{GrantID: fmt.Sprintf("g%d", k), GranteePrincipal: "arn:aws:iam::" + outsider + ":root", Operations: []string{"Decrypt"}})
		}
		if k%100 == 3 {
			key.KeyState = "PendingDeletion"
		}
		key.Policy = `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
		doc.Keys = append(doc.Keys, key)
		ar := acct + "/" + region
		keysByAR[ar] = append(keysByAR[ar], keyRef{arn, acct, region})
	}

	snapN := 0
	newSnap := func(acct, region, desc string) *snapshot.Snapshot {
		snapN++
		doc.Snapshots = append(doc.Snapshots, snapshot.Snapshot{
			ID: fmt.Sprintf("snap-%017x", snapN), Account: acct, Region: region, Description: desc,
			VolumeSize: 8, State: "completed", CreateVolumePermissions: []snapshot.CreateVolumePermission{},
		})
		return &doc.Snapshots[len(doc.Snapshots)-1]
	}
	// Pre-size so that pointers into doc.Snapshots stay valid.
	doc.Snapshots = make([]snapshot.Snapshot, 0, s.Snapshots+s.Images)
	doc.Images = make([]snapshot.Image, 0, s.Images)
	devicesPerImage := max(1, (s.Snapshots*2/3)/max(1, s.Images))
	for i := 0; i < s.Images; i++ {
		acct := account(i % s.Accounts)
		region := regions[(i/s.Accounts)%len(regions)]
		id := fmt.Sprintf("ami-%017x", i+1)
		created := collected.Add(-time.Duration(r.IntN(900)) * 24 * time.Hour)
		img := snapshot.Image{ID: id, Account: acct, Region: region, Name: fmt.Sprintf("app-%d-build-%d", i%300, i), State: "available",
			CreationDate: &created, LaunchPermissions: []snapshot.LaunchPermission{}}
		if r.Float64() < 0.3 {
			dep := created.Add(365 * 24 * time.Hour)
			img.DeprecationTime = &dep
		}
		if i%5 == 1 {
			img.SourceImageID = fmt.Sprintf("ami-%017x", i)
			img.SourceRegion = regions[0]
		}
		// Sharing: 10% to org members, 1% to the org, 0.5% to an outsider, 0.1% public.
		switch p := r.Float64(); {
		case p < 0.001:
			img.Public = true
			img.LaunchPermissions = append(img.LaunchPermissions, snapshot.LaunchPermission{Group: "all"})
		case p < 0.006:
			img.LaunchPermissions = append(img.LaunchPermissions, snapshot.LaunchPermission{UserID: outsider})
		case p < 0.016:
			img.LaunchPermissions = append(img.LaunchPermissions, snapshot.LaunchPermission{OrganizationARN: doc.Organization.ARN})
		case p < 0.116:
			img.LaunchPermissions = append(img.LaunchPermissions, snapshot.LaunchPermission{UserID: account((i + 1) % s.Accounts)})
		}
		if i%1000 == 7 {
			img.Description = "build key AKIA" + fmt.Sprintf("%016X", uint64(i)*0x9E3779B97F4A7C15)[:16]
		}
		keys := keysByAR[acct+"/"+region]
		for d := 0; d < devicesPerImage; d++ {
			sn := newSnap(acct, region, fmt.Sprintf("Created by CreateImage(i-%017x) for %s from vol-%017x", i, id, i*4+d))
			if len(keys) > 0 && r.Float64() < 0.6 {
				sn.Encrypted = true
				sn.KMSKeyID = keys[r.IntN(len(keys))].arn
			}
			if r.Float64() < 0.002 {
				sn.CreateVolumePermissions = append(sn.CreateVolumePermissions, snapshot.CreateVolumePermission{UserID: outsider})
			}
			img.BlockDeviceMappings = append(img.BlockDeviceMappings, snapshot.BlockDeviceMapping{
				DeviceName: fmt.Sprintf("/dev/xvd%c", 'a'+d), SnapshotID: sn.ID, VolumeSize: 8, VolumeType: "gp3", Encrypted: sn.Encrypted,
			})
		}
		doc.Images = append(doc.Images, img)
	}
	// The rest: orphans of deregistered AMIs (a third, some shared) and plain backups.
	for k := 0; len(doc.Snapshots) < s.Snapshots; k++ {
		acct := account(k % s.Accounts)
		region := regions[(k/s.Accounts)%len(regions)]
		if k%3 == 0 {
			sn := newSnap(acct, region, fmt.Sprintf("Copied for DestinationAmi ami-%017x from SourceAmi ami-%017x for SourceSnapshot snap-%017x. Task created on 1,700,000,000,000.", 0xdead0000+k, 0xbeef0000+k, k))
			if k%30 == 0 {
				sn.CreateVolumePermissions = append(sn.CreateVolumePermissions, snapshot.CreateVolumePermission{UserID: account((k + 1) % s.Accounts)})
			}
			continue
		}
		newSnap(acct, region, fmt.Sprintf("daily backup of vol-%017x", k))
	}
	doc.Errors = []snapshot.CollectionError{}
	return doc
}

func account(i int) string { return fmt.Sprintf("%012d", 100000000000+i*1111) }

func pick(r *rand.Rand, p float64, a, b string) *string {
	if r.Float64() < p {
		return &a
	}
	return &b
}
