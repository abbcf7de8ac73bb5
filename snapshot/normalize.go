package snapshot

import (
	"fmt"
	"strings"

	"github.com/amiaudit/amiaudit/internal/awsid"
)

// Validate checks what JSON decoding cannot: identifiers in their AWS form and
// permissions that name exactly one grantee. Errors name the JSON pointer.
func (d *Document) Validate() error {
	if d.CollectedAt.IsZero() {
		return fmt.Errorf("/collected_at: expected the RFC 3339 time the snapshot was collected")
	}
	for i, a := range d.Scope.Accounts {
		if !awsid.IsAccountID(a) {
			return fmt.Errorf("/scope/accounts/%d: expected a 12-digit account ID, found %q", i, a)
		}
	}
	for i, ar := range d.AccountRegions {
		if err := checkAccountRegion(fmt.Sprintf("/account_regions/%d", i), ar.Account, ar.Region); err != nil {
			return err
		}
	}
	for i, img := range d.Images {
		p := fmt.Sprintf("/images/%d", i)
		if !awsid.IsImageID(img.ID) {
			return fmt.Errorf("%s/id: expected an AMI ID (ami-…), found %q", p, img.ID)
		}
		if err := checkAccountRegion(p, img.Account, img.Region); err != nil {
			return err
		}
		for j, lp := range img.LaunchPermissions {
			n := countSet(lp.UserID, lp.Group, lp.OrganizationARN, lp.OrganizationalUnitARN)
			if n != 1 {
				return fmt.Errorf("%s/launch_permissions/%d: expected exactly one of user_id, group, organization_arn, organizational_unit_arn, found %d", p, j, n)
			}
			if lp.Group != "" && lp.Group != GroupAll {
				return fmt.Errorf("%s/launch_permissions/%d/group: expected \"all\", found %q", p, j, lp.Group)
			}
		}
	}
	for i, s := range d.Snapshots {
		p := fmt.Sprintf("/snapshots/%d", i)
		if !awsid.IsSnapshotID(s.ID) {
			return fmt.Errorf("%s/id: expected a snapshot ID (snap-…), found %q", p, s.ID)
		}
		if err := checkAccountRegion(p, s.Account, s.Region); err != nil {
			return err
		}
		for j, cvp := range s.CreateVolumePermissions {
			if n := countSet(cvp.UserID, cvp.Group); n != 1 {
				return fmt.Errorf("%s/create_volume_permissions/%d: expected exactly one of user_id, group, found %d", p, j, n)
			}
			if cvp.Group != "" && cvp.Group != GroupAll {
				return fmt.Errorf("%s/create_volume_permissions/%d/group: expected \"all\", found %q", p, j, cvp.Group)
			}
		}
	}
	for i, k := range d.Keys {
		p := fmt.Sprintf("/keys/%d", i)
		if !strings.Contains(k.ARN, ":kms:") {
			return fmt.Errorf("%s/arn: expected a KMS key ARN, found %q", p, k.ARN)
		}
		if err := checkAccountRegion(p, k.Account, k.Region); err != nil {
			return err
		}
		if k.KeyManager != KeyManagerAWS && k.KeyManager != KeyManagerCustomer {
			return fmt.Errorf("%s/key_manager: expected AWS or CUSTOMER, found %q", p, k.KeyManager)
		}
	}
	return nil
}

func checkAccountRegion(path, account, region string) error {
	if !awsid.IsAccountID(account) {
		return fmt.Errorf("%s/account: expected a 12-digit account ID, found %q", path, account)
	}
	if region == "" {
		return fmt.Errorf("%s/region: expected a region name such as us-east-1", path)
	}
	return nil
}

func countSet(vals ...string) int {
	n := 0
	for _, v := range vals {
		if v != "" {
			n++
		}
	}
	return n
}

// Normalize fills what a document may leave out because it can be derived:
// the partition (aws), image and snapshot ARNs, parsed key policy statements and
// grant accounts; and it turns absent lists into empty ones so that every
// consumer sees the same shape.
func (d *Document) Normalize() error {
	d.Partition = d.PartitionOrDefault()
	for i := range d.Images {
		img := &d.Images[i]
		if img.ARN == "" {
			img.ARN = ImageARN(d.Partition, img.Region, img.ID)
		}
		if img.LaunchPermissions == nil {
			img.LaunchPermissions = []LaunchPermission{}
		}
		if img.BlockDeviceMappings == nil {
			img.BlockDeviceMappings = []BlockDeviceMapping{}
		}
	}
	for i := range d.Snapshots {
		s := &d.Snapshots[i]
		if s.ARN == "" {
			s.ARN = SnapshotARN(d.Partition, s.Region, s.ID)
		}
		if s.CreateVolumePermissions == nil {
			s.CreateVolumePermissions = []CreateVolumePermission{}
		}
	}
	for i := range d.Keys {
		k := &d.Keys[i]
		if k.PolicyStatements == nil && k.Policy != "" {
			st, err := ParsePolicy(k.Policy)
			if err != nil {
				return fmt.Errorf("/keys/%d/policy: %w", i, err)
			}
			k.PolicyStatements = st
		}
		if k.Grants == nil {
			k.Grants = []Grant{}
		}
		for j := range k.Grants {
			g := &k.Grants[j]
			if g.GranteeAccount == "" {
				g.GranteeAccount, _ = AccountOfPrincipal(g.GranteePrincipal)
			}
		}
	}
	if d.AccountRegions == nil {
		d.AccountRegions = []AccountRegion{}
	}
	if d.Images == nil {
		d.Images = []Image{}
	}
	if d.Snapshots == nil {
		d.Snapshots = []Snapshot{}
	}
	if d.Keys == nil {
		d.Keys = []Key{}
	}
	if d.Errors == nil {
		d.Errors = []CollectionError{}
	}
	return nil
}

// NothingRead reports whether the collection read nothing at all: no image,
// no snapshot, no account-region setting, and errors recorded. Such a run
// could not complete, whatever its report says (the CLI exits 3).
func (d *Document) NothingRead() bool {
	if len(d.Images) > 0 || len(d.Snapshots) > 0 {
		return false
	}
	for _, ar := range d.AccountRegions {
		if ar.ImageBlockPublicAccess != nil || ar.SnapshotBlockPublicAccess != nil || ar.AllowedImages != nil || ar.EBSEncryptionByDefault != nil {
			return false
		}
	}
	return len(d.Errors) > 0
}

// PartitionOrDefault is the document's partition, awsid.DefaultPartition
// (aws) when it names none.
func (d *Document) PartitionOrDefault() string {
	if d.Partition == "" {
		return awsid.DefaultPartition
	}
	return d.Partition
}

// ImageARN is the ARN of an AMI. AMI ARNs carry no account.
func ImageARN(partition, region, id string) string {
	return fmt.Sprintf("arn:%s:ec2:%s::image/%s", partition, region, id)
}

// SnapshotARN is the ARN of an EBS snapshot. Snapshot ARNs carry no account.
func SnapshotARN(partition, region, id string) string {
	return fmt.Sprintf("arn:%s:ec2:%s::snapshot/%s", partition, region, id)
}
