package gate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/amiaudit/amiaudit/snapshot"
)

// The copy and share model (issue 11): how AWS carries out a proposed change,
// so that the rules judge what AWS will make, not what was asked.

// copyVolumes models CopyImage for each snapshot of img copied by account
// copier into c.DestinationRegion:
//
//   - "Copies of encrypted backing snapshots for the AMI are encrypted. Copies
//     of unencrypted backing snapshots remain unencrypted, unless you set
//     Encrypted during the copy operation. You cannot create an unencrypted
//     copy of an encrypted backing snapshot."
//     https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CopyImage.html
//   - KmsKeyId names the key of the copy (it must be in the destination
//     Region). Without it, a copy of your own encrypted AMI within its Region
//     keeps the source key; otherwise (another Region, or an AMI shared with
//     you) the copy is encrypted with your default KMS key for EBS in the
//     destination Region; an unencrypted source is encrypted the same way when
//     Encrypted is set or encryption by default is on there.
//     https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/AMIEncryption.html
//
// dest is the copier's settings in the destination Region, nil when unread.
func copyVolumes(doc *snapshot.Document, img *snapshot.Image, c *snapshot.ProposedChange, copier string, dest *snapshot.AccountRegion) []snapshot.CopyVolume {
	var out []snapshot.CopyVolume
	yes, no := true, false
	defaultKey := func(v *snapshot.CopyVolume, because string) {
		if dest == nil || dest.EBSDefaultKMSKeyID == nil {
			v.Encrypted = &yes
			v.Why = because + ": the copying account's default EBS key in " + c.DestinationRegion + ", which could not be read"
			return
		}
		v.Encrypted, v.KMSKeyID = &yes, *dest.EBSDefaultKMSKeyID
		v.Why = because + ": the copying account's default EBS key in " + c.DestinationRegion
	}
	for _, b := range img.BlockDeviceMappings {
		if b.SnapshotID == "" {
			continue
		}
		v := snapshot.CopyVolume{SnapshotID: b.SnapshotID, SourceEncrypted: b.Encrypted, SourceKMSKeyID: b.KMSKeyID}
		if s := findSnapshot(doc, img.Region, b.SnapshotID); s != nil {
			v.SourceEncrypted, v.SourceKMSKeyID = s.Encrypted, s.KMSKeyID
		}
		asked := c.Encrypted != nil && *c.Encrypted
		switch {
		case c.KMSKeyID != "" && (v.SourceEncrypted || asked):
			v.Encrypted, v.KMSKeyID, v.Why = &yes, c.KMSKeyID, "the key the copy names (KmsKeyId)"
		case v.SourceEncrypted && copier == img.Account && c.DestinationRegion == img.Region && v.SourceKMSKeyID != "":
			v.Encrypted, v.KMSKeyID, v.Why = &yes, v.SourceKMSKeyID, "an encrypted copy of one's own AMI within its Region keeps the source key"
		case v.SourceEncrypted:
			because := "an encrypted snapshot is always copied encrypted, and the source key cannot be used"
			if copier != img.Account {
				because = "an encrypted snapshot is always copied encrypted; a copy of a shared AMI uses"
			} else if c.DestinationRegion != img.Region {
				because = "an encrypted snapshot is always copied encrypted; a key of another Region cannot be used, so the copy uses"
			}
			defaultKey(&v, because)
		case asked:
			defaultKey(&v, "Encrypted is set without a key")
		case dest != nil && dest.EBSEncryptionByDefault != nil && *dest.EBSEncryptionByDefault:
			defaultKey(&v, "encryption by default is on in "+c.DestinationRegion)
		case dest == nil || dest.EBSEncryptionByDefault == nil:
			v.Why = "the copy of an unencrypted snapshot is encrypted only if encryption by default is on in " + c.DestinationRegion + ", which could not be read"
		default:
			v.Encrypted, v.Why = &no, "an unencrypted snapshot stays unencrypted (no Encrypted, encryption by default off)"
		}
		out = append(out, v)
	}
	return out
}

// restorable splits the source AMI's snapshots by whether the copying
// account may read them (createVolumePermission: its own, public, or granted
// to it), for the snapshots whose permissions are in the document. The
// collector fills the lists for the snapshots it could only probe.
func restorable(doc *snapshot.Document, img *snapshot.Image, c *snapshot.ProposedChange, copier string) {
	if copier == img.Account {
		return
	}
	for _, b := range img.BlockDeviceMappings {
		if b.SnapshotID == "" || slices.Contains(c.RestorableSnapshots, b.SnapshotID) || slices.Contains(c.UnrestorableSnapshots, b.SnapshotID) {
			continue
		}
		s := findSnapshot(doc, img.Region, b.SnapshotID)
		if s == nil || s.Account != img.Account || s.CreateVolumePermissions == nil {
			continue // not read as its owner: undetermined
		}
		ok := slices.ContainsFunc(s.CreateVolumePermissions, func(p snapshot.CreateVolumePermission) bool {
			return p.Group == snapshot.GroupAll || p.UserID == copier
		})
		if ok {
			c.RestorableSnapshots = append(c.RestorableSnapshots, b.SnapshotID)
		} else {
			c.UnrestorableSnapshots = append(c.UnrestorableSnapshots, b.SnapshotID)
		}
	}
}

// refusal says why AWS refuses a public share of img outright, or "".
// (A disabled AMI refuses every share:
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DisableImage.html.)
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/sharingamis-intro.html
// (AMIs with encrypted volumes or product codes cannot be made public) and
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/block-public-access-to-amis.html
// (block-new-sharing refuses any new public share).
func refusal(doc *snapshot.Document, img *snapshot.Image) string {
	var why []string
	var encrypted []string
	for _, b := range img.BlockDeviceMappings {
		enc := b.Encrypted
		if s := findSnapshot(doc, img.Region, b.SnapshotID); s != nil {
			enc = s.Encrypted
		}
		if enc && b.SnapshotID != "" {
			encrypted = append(encrypted, b.SnapshotID)
		}
	}
	if len(encrypted) > 0 {
		why = append(why, fmt.Sprintf("an AMI with encrypted snapshots (%s) cannot be made public", strings.Join(encrypted, ", ")))
	}
	if len(img.ProductCodes) > 0 {
		var codes []string
		for _, pc := range img.ProductCodes {
			codes = append(codes, pc.ID)
		}
		why = append(why, fmt.Sprintf("an AMI with a product code (%s) cannot be made public", strings.Join(codes, ", ")))
	}
	for _, ar := range doc.AccountRegions {
		if ar.Account == img.Account && ar.Region == img.Region && ar.ImageBlockPublicAccess != nil && *ar.ImageBlockPublicAccess == snapshot.BlockNewSharing {
			why = append(why, fmt.Sprintf("image block public access is block-new-sharing in account %s, region %s", img.Account, img.Region))
		}
	}
	return strings.Join(why, "; ")
}

// snapshotRefusal says why AWS refuses to make snapshot s public, or "":
// encrypted snapshots cannot be made public, and snapshot block public access
// (block-new-sharing or block-all-sharing) refuses any new public share.
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifySnapshotAttribute.html
// https://docs.aws.amazon.com/ebs/latest/userguide/block-public-access-snapshots.html
func snapshotRefusal(doc *snapshot.Document, s *snapshot.Snapshot, grantee string) string {
	if grantee != snapshot.GroupAll {
		return ""
	}
	var why []string
	if s.Encrypted {
		why = append(why, fmt.Sprintf("encrypted snapshot %s cannot be made public", s.ID))
	}
	if ar := accountRegion(doc, s.Account, s.Region); ar != nil && ar.SnapshotBlockPublicAccess != nil &&
		(*ar.SnapshotBlockPublicAccess == snapshot.BlockNewSharing || *ar.SnapshotBlockPublicAccess == snapshot.BlockAllSharing) {
		why = append(why, fmt.Sprintf("snapshot block public access is %s in account %s, region %s (snapshot %s)", *ar.SnapshotBlockPublicAccess, s.Account, s.Region, s.ID))
	}
	return strings.Join(why, "; ")
}

func accountRegion(doc *snapshot.Document, account, region string) *snapshot.AccountRegion {
	for i := range doc.AccountRegions {
		if doc.AccountRegions[i].Account == account && doc.AccountRegions[i].Region == region {
			return &doc.AccountRegions[i]
		}
	}
	return nil
}
