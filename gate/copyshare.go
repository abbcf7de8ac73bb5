package gate

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/amiaudit/amiaudit/internal/awsid"
	"github.com/amiaudit/amiaudit/snapshot"
)

// Sharing a copy that the same plan makes (issue 11): the copy does not
// exist yet, so the gate adds it to the state as AWS will make it — a
// placeholder image in the destination region, owned by the copying
// account, whose snapshots are encrypted with the key CopyImage picks (see
// copyVolumes) — and applies the share to it. AMI-004 and AMI-005 then judge
// the copy's key, not the source's.

// ProposedTagKey is the tag that marks an image or snapshot the gate added
// for a proposed copy; its value is the copy's resource address.
const ProposedTagKey = "amiaudit:proposed"

// awsEBSAlias is the alias of the AWS managed key for EBS. Aliases that
// begin with alias/aws/ are reserved for AWS managed keys, and the account's
// default EBS key is that key unless a customer managed key was set
// (https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#aws-managed-key,
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyEbsDefaultKmsKeyId.html).
const awsEBSAlias = "alias/aws/ebs"

// CopyKey names a proposed copy for the shares of it (CopyAddress): its
// Terraform address, or for a copy from flags (--copy-to-region with
// --share-copy) the flags that ask for it.
func CopyKey(c snapshot.ProposedChange) string {
	if c.Address != "" {
		return c.Address
	}
	return "--copy-to-region " + c.DestinationRegion + " of " + c.ImageID
}

// ShareCopy makes lp, a launch permission, share the copy that cp (a
// ChangeCopy) will make rather than cp's source: lp names the copy by
// CopyKey, and the image it shares is the copy's placeholder in cp's
// destination region, which Judge builds as CopyImage will make it. The
// flags (--share-copy) and a plan sharing its own aws_ami_copy both set up
// the share here.
func ShareCopy(lp *snapshot.ProposedChange, cp snapshot.ProposedChange) {
	lp.CopyAddress = CopyKey(cp)
	lp.ImageID, lp.Region = ProposedImageID(lp.CopyAddress), cp.DestinationRegion
}

// ProposedImageID is the placeholder ID of the AMI that the copy named
// address (its CopyKey) will create: AWS names it only on apply. It is
// derived from the address, so a plan gives the same ID every time, and the
// image is marked as proposed (see apply, in Judge).
func ProposedImageID(address string) string {
	return placeholderID(awsid.ImageIDPrefix, address)
}

// proposedSnapshotID is the placeholder ID of the copy of snapshot src made
// by the copy at address.
func proposedSnapshotID(address, src string) string {
	return placeholderID(awsid.SnapshotIDPrefix, address+"\x00"+src)
}

// placeholderID is a resource ID of the long form EC2 issues (prefix and 17
// hex digits), derived from what names the resource so that the same change
// gets the same ID every time.
func placeholderID(prefix, name string) string {
	sum := sha256.Sum256([]byte("amiaudit proposed copy\x00" + name))
	return prefix + hex.EncodeToString(sum[:])[:17]
}

// proposedCopy adds to doc the image that the copy named by lp.CopyAddress
// will create, and returns it (nil when the copy itself could not be
// judged: its source was not read, which the copy reports). What the model
// cannot tell — whether a volume is encrypted, or the key it will use, when
// the destination's settings or the key could not be read — is a collection
// error: the gate fails closed.
func proposedCopy(doc *snapshot.Document, changes []snapshot.ProposedChange, lp *snapshot.ProposedChange, missing []snapshot.CollectionError) (*snapshot.Image, []snapshot.CollectionError) {
	var cp *snapshot.ProposedChange
	for i := range changes {
		if changes[i].Kind == snapshot.ChangeCopy && CopyKey(changes[i]) == lp.CopyAddress {
			cp = &changes[i]
		}
	}
	if cp == nil {
		return nil, append(missing, snapshot.CollectionError{Region: lp.Region, Service: "ec2", Action: "CopyImage", Resource: lp.CopyAddress,
			Code: "NotFound", Message: "the copy the share refers to is not among the changes (" + lp.Describe() + ")"})
	}
	src := findImage(doc, cp.Region, cp.ImageID)
	if src == nil || cp.CopyingAccount == "" {
		return nil, missing
	}
	partition := doc.PartitionOrDefault()
	region, account := cp.DestinationRegion, cp.CopyingAccount
	fail := func(service, action, resource, why string) {
		for _, e := range append(doc.Errors, missing...) {
			if e.Account == account && e.Region == region && e.Action == action && e.Resource == resource {
				return // already reported
			}
		}
		missing = append(missing, snapshot.CollectionError{Account: account, Region: region, Service: service, Action: action, Resource: resource,
			Code: "Unavailable", Message: why + " (" + lp.Describe() + ")"})
	}
	tag := []snapshot.Tag{{Key: ProposedTagKey, Value: lp.CopyAddress}}
	created := doc.CollectedAt
	img := snapshot.Image{
		ID:                lp.ImageID,
		ARN:               snapshot.ImageARN(partition, region, lp.ImageID),
		Account:           account,
		Region:            region,
		Name:              "proposed copy of " + src.ID + " (" + lp.CopyAddress + ")",
		Description:       fmt.Sprintf("Proposed by %s: the copy of %s from %s, not made yet; its ID is a placeholder", lp.CopyAddress, src.ID, src.Region),
		State:             "available",
		CreationDate:      &created,
		Platform:          src.Platform,
		Architecture:      src.Architecture,
		RootDeviceType:    src.RootDeviceType,
		SourceImageID:     src.ID,
		SourceRegion:      src.Region,
		ProductCodes:      src.ProductCodes,
		PlatformDetails:   src.PlatformDetails,
		UsageOperation:    src.UsageOperation,
		Tags:              tag,
		LaunchPermissions: []snapshot.LaunchPermission{}, // CopyImage copies no launch permissions
	}
	for _, b := range src.BlockDeviceMappings {
		nb := b
		if b.SnapshotID == "" {
			img.BlockDeviceMappings = append(img.BlockDeviceMappings, nb)
			continue
		}
		var v *snapshot.CopyVolume
		for i := range cp.CopyVolumes {
			if cp.CopyVolumes[i].SnapshotID == b.SnapshotID {
				v = &cp.CopyVolumes[i]
			}
		}
		s := snapshot.Snapshot{
			ID:      proposedSnapshotID(lp.CopyAddress, b.SnapshotID),
			Account: account, Region: region,
			Description:             fmt.Sprintf("Proposed by %s: the copy of %s for %s, not made yet", lp.CopyAddress, b.SnapshotID, img.ID),
			State:                   "completed",
			StartTime:               &created,
			Tags:                    tag,
			CreateVolumePermissions: []snapshot.CreateVolumePermission{},
		}
		s.ARN = snapshot.SnapshotARN(partition, region, s.ID)
		if from := findSnapshot(doc, src.Region, b.SnapshotID); from != nil {
			s.VolumeSize = from.VolumeSize
		}
		switch {
		case v == nil || v.Encrypted == nil:
			// Counted as encrypted with an unknown key: no rule judges it, and
			// the error below fails the gate.
			s.Encrypted = true
			fail("ec2", "GetEbsEncryptionByDefault", "", fmt.Sprintf("whether the copy of snapshot %s is encrypted depends on EBS encryption by default of account %s in %s, which could not be read", b.SnapshotID, account, region))
		case *v.Encrypted && v.KMSKeyID == "":
			s.Encrypted = true
			fail("ec2", "GetEbsDefaultKmsKeyId", "", fmt.Sprintf("the copy of snapshot %s is encrypted with the default EBS key of account %s in %s, which could not be read", b.SnapshotID, account, region))
		case *v.Encrypted:
			s.Encrypted = true
			if k := copyKey(doc, v.KMSKeyID, region, account, partition); k != nil {
				s.KMSKeyID = k.ARN
			} else {
				s.KMSKeyID = v.KMSKeyID
				fail("kms", "DescribeKey", v.KMSKeyID, fmt.Sprintf("key %s, which the copy of snapshot %s would use in %s, could not be read: whether the grantees can use it is unknown", v.KMSKeyID, b.SnapshotID, region))
			}
		}
		nb.SnapshotID, nb.Encrypted, nb.KMSKeyID = s.ID, s.Encrypted, s.KMSKeyID
		img.BlockDeviceMappings = append(img.BlockDeviceMappings, nb)
		doc.Snapshots = append(doc.Snapshots, s)
	}
	doc.Images = append(doc.Images, img)
	return &doc.Images[len(doc.Images)-1], missing
}

// copyKey finds the key that ref (a key ARN, key ID, alias name or alias
// ARN, as CopyImage's KmsKeyId and GetEbsDefaultKmsKeyId give it) names in
// region. The AWS managed key for EBS named by its alias is known without
// reading it: when the document does not hold it, it is added (by its alias
// ARN, its key ID unread). Another key not in the document gives nil.
func copyKey(doc *snapshot.Document, ref, region, account, partition string) *snapshot.Key {
	alias := ""
	switch {
	case strings.HasPrefix(ref, "alias/"):
		alias = ref
	case strings.HasPrefix(ref, "arn:") && strings.Contains(ref, ":alias/"):
		alias = ref[strings.Index(ref, ":alias/")+1:]
	}
	for i := range doc.Keys {
		k := &doc.Keys[i]
		if k.ARN == ref || (k.ID == ref && k.Region == region) {
			return k
		}
		if alias != "" && k.Region == region && (k.Account == account || strings.HasPrefix(ref, "arn:")) {
			for _, a := range k.Aliases {
				if a == alias {
					return k
				}
			}
		}
	}
	if alias != awsEBSAlias {
		return nil
	}
	doc.Keys = append(doc.Keys, snapshot.Key{
		ARN: fmt.Sprintf("arn:%s:kms:%s:%s:%s", partition, region, account, awsEBSAlias), ID: awsEBSAlias,
		Account: account, Region: region, KeyManager: snapshot.KeyManagerAWS, KeyState: "Enabled",
		Description: "the AWS managed key for EBS (aws/ebs) of the copying account; its key ID was not read",
		Aliases:     []string{awsEBSAlias}, Grants: []snapshot.Grant{},
	})
	return &doc.Keys[len(doc.Keys)-1]
}

// copyKeyRefs lists, per destination region, the keys that the proposed
// copies which the changes also share will use as CopyImage picks them: the
// KmsKeyId the copy names, else the copying account's default EBS key there
// (from doc, as CopyContext read it). The collector reads them, so that the
// access model can judge the share of the copy.
func copyKeyRefs(doc *snapshot.Document, changes []snapshot.ProposedChange) map[string][]string {
	shared := map[string]bool{}
	for _, c := range changes {
		if c.CopyAddress != "" {
			shared[c.CopyAddress] = true
		}
	}
	out := map[string][]string{}
	seen := map[string]bool{}
	for _, c := range changes {
		if c.Kind != snapshot.ChangeCopy || !shared[CopyKey(c)] || c.DestinationRegion == "" {
			continue
		}
		ref := c.KMSKeyID
		if ref == "" && len(doc.Scope.Accounts) == 1 {
			if ar := accountRegion(doc, doc.Scope.Accounts[0], c.DestinationRegion); ar != nil && ar.EBSDefaultKMSKeyID != nil {
				ref = *ar.EBSDefaultKMSKeyID
			}
		}
		if ref != "" && !seen[c.DestinationRegion+"\x00"+ref] {
			seen[c.DestinationRegion+"\x00"+ref] = true
			out[c.DestinationRegion] = append(out[c.DestinationRegion], ref)
		}
	}
	return out
}
