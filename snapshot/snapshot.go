// Package snapshot defines the snapshot document: the versioned, read-only
// inventory of AMIs, EBS snapshots, KMS keys and account-region settings that
// the collector writes and the rules engine evaluates. It is the evidence an
// audit keeps, so every field is documented and the JSON shape is a contract
// (see schema/snapshot.schema.json, generated from these types).
package snapshot

import "time"

// SchemaVersion is the version of the document this package reads and writes.
// A change that removes or renames a field, or changes a field's meaning, bumps it.
const SchemaVersion = "1"

// Document is one snapshot: everything collected in one run.
type Document struct {
	// SchemaVersion is always "1" for this version of the format.
	SchemaVersion string `json:"schema_version" jsonschema:"required,enum=1"`
	// Tool names the program that wrote the document.
	Tool Tool `json:"tool"`
	// CollectedAt is when collection finished (RFC 3339, UTC). Rules that depend on
	// age (AMI-009) measure it against this time, so re-evaluating an old snapshot
	// gives the same findings.
	CollectedAt time.Time `json:"collected_at" jsonschema:"required"`
	// StartedAt is when collection began; zero when unknown.
	StartedAt *time.Time `json:"started_at,omitempty"`
	// Partition is the AWS partition of every ARN in the document: aws, aws-cn or aws-us-gov.
	Partition string `json:"partition,omitempty" jsonschema:"enum=aws,enum=aws-cn,enum=aws-us-gov"`
	// Scope is what was asked for.
	Scope Scope `json:"scope" jsonschema:"required"`
	// Organization is the AWS Organization the scanned accounts belong to, when the
	// scanning identity could read it; null otherwise (the trust model then knows
	// only the accounts listed in the configuration).
	Organization *Organization `json:"organization" jsonschema:"nullable"`
	// AccountRegions holds the per-account, per-region settings, one entry for each
	// account-region that was scanned.
	AccountRegions []AccountRegion `json:"account_regions"`
	// Images are the AMIs owned by the scanned accounts.
	Images []Image `json:"images"`
	// Snapshots are the EBS snapshots owned by the scanned accounts.
	Snapshots []Snapshot `json:"snapshots"`
	// Keys are the KMS keys that back the encryption of the images and snapshots.
	Keys []Key `json:"keys"`
	// Errors lists every part of the scope that could not be read. An empty list
	// means collection saw everything it was asked to see.
	Errors []CollectionError `json:"errors"`
	// Proposed is set only by 'amiaudit gate': the changes under review, already
	// applied to the images, snapshots and keys above, so that the rules judge
	// the state after the change. Copies are listed here for the gate rules.
	Proposed []ProposedChange `json:"proposed,omitempty"`
	// Incremental is set only by an incremental collection (--baseline): how
	// it was made, so that an auditor can tell an incremental night from a
	// full one.
	Incremental *Incremental `json:"incremental,omitempty"`
	// DeepScans is set only by a deep scan (--deep): what was read inside each
	// AMI's volumes through the EBS direct APIs and the credentials found there
	// (AMI-008). An AMI that is not listed was not deep-scanned.
	DeepScans []DeepScan `json:"deep_scans,omitempty"`

	// Lifecycle (issue 11): what the Recycle Bin holds. A binned AMI can be
	// restored until its exit time, so its snapshots are not orphans yet.
	// Omitted when the Recycle Bin was not read (see Errors).

	// RecycleBinImages are ListImagesInRecycleBin, per account-region.
	RecycleBinImages []RecycleBinImage `json:"recycle_bin_images,omitempty"`
	// RecycleBinSnapshots are ListSnapshotsInRecycleBin, per account-region.
	RecycleBinSnapshots []RecycleBinSnapshot `json:"recycle_bin_snapshots,omitempty"`
}

// RecycleBinImage is one deregistered AMI that a Recycle Bin retention rule
// keeps: it can be restored until ExitTime, then it is deleted for good.
type RecycleBinImage struct {
	// ID is the AMI ID (ListImagesInRecycleBin ImageId).
	ID string `json:"id" jsonschema:"required,pattern=^ami-[0-9a-f]+$"`
	// Account is the account that owns the AMI: the account-region whose Recycle
	// Bin was read.
	Account string `json:"account" jsonschema:"required,pattern=^[0-9]{12}$"`
	// Region is the region whose Recycle Bin holds the AMI.
	Region string `json:"region" jsonschema:"required"`
	// Name is the AMI name (ListImagesInRecycleBin Name).
	Name string `json:"name,omitempty"`
	// Description is the AMI description (ListImagesInRecycleBin Description).
	Description string `json:"description,omitempty"`
	// EnterTime and ExitTime are RecycleBinEnterTime and RecycleBinExitTime.
	EnterTime *time.Time `json:"enter_time,omitempty"`
	ExitTime  *time.Time `json:"exit_time,omitempty"`
}

// RecycleBinSnapshot is one deleted snapshot that a Recycle Bin retention
// rule keeps until ExitTime.
type RecycleBinSnapshot struct {
	// ID is the snapshot ID (ListSnapshotsInRecycleBin SnapshotId).
	ID string `json:"id" jsonschema:"required,pattern=^snap-[0-9a-f]+$"`
	// Account is the account that owns the snapshot: the account-region whose
	// Recycle Bin was read.
	Account string `json:"account" jsonschema:"required,pattern=^[0-9]{12}$"`
	// Region is the region whose Recycle Bin holds the snapshot.
	Region string `json:"region" jsonschema:"required"`
	// Description is the snapshot description (ListSnapshotsInRecycleBin
	// Description).
	Description string `json:"description,omitempty"`
	// VolumeID is the volume the snapshot was taken from
	// (ListSnapshotsInRecycleBin VolumeId).
	VolumeID string `json:"volume_id,omitempty"`
	// EnterTime is when the snapshot entered the Recycle Bin
	// (RecycleBinEnterTime).
	EnterTime *time.Time `json:"enter_time,omitempty"`
	// ExitTime is when the Recycle Bin deletes it for good unless it is restored
	// (RecycleBinExitTime).
	ExitTime *time.Time `json:"exit_time,omitempty"`
}

// Incremental records how an incremental collection was made: the baseline
// it started from, and for each account-region whether it was read in full
// (and why) or incrementally, the CloudTrail events read, and how many
// resources were read again or carried over from the baseline.
type Incremental struct {
	// BaselineSHA256 is the sha256 of the baseline document's bytes as read
	// (after 'amiaudit merge' of shards collected from their own baselines:
	// their digests, comma-separated).
	BaselineSHA256 string `json:"baseline_sha256" jsonschema:"required"`
	// BaselineCollectedAt is the baseline's collected_at (the earliest, after a merge).
	BaselineCollectedAt time.Time `json:"baseline_collected_at" jsonschema:"required"`
	// EventsSince is the start of the CloudTrail window: the baseline's
	// collected_at minus the safety margin.
	EventsSince time.Time `json:"events_since" jsonschema:"required"`
	// AccountRegions has one entry per account-region collected.
	AccountRegions []IncrementalScope `json:"account_regions"`
}

// Collection modes of an account-region in an incremental collection.
const (
	ModeIncremental = "incremental"
	ModeFull        = "full"
)

// IncrementalScope is how one account-region was collected.
type IncrementalScope struct {
	// Account is the 12-digit ID of the account collected.
	Account string `json:"account" jsonschema:"required,pattern=^[0-9]{12}$"`
	// Region is the region collected.
	Region string `json:"region" jsonschema:"required"`
	// Mode is incremental (attributes read only for what is new or named by
	// an event) or full (everything read, as without a baseline).
	Mode string `json:"mode" jsonschema:"required,enum=incremental,enum=full"`
	// FullReason says why the account-region was read in full: --full was
	// given, the baseline is too old or of another schema or partition, the
	// account-region is not in the baseline or the baseline did not read it
	// completely, or its CloudTrail events could not be read.
	FullReason string `json:"full_reason,omitempty"`
	// Events is how many CloudTrail management events were read (LookupEvents).
	Events int `json:"events"`
	// ReRead and CarriedOver count the images, snapshots and keys whose
	// attributes were read from AWS, and those taken from the baseline.
	ReRead      ResourceCounts `json:"re_read"`
	CarriedOver ResourceCounts `json:"carried_over"`
	// SettingsReRead is true when the account-region settings were read
	// from AWS rather than carried over.
	SettingsReRead bool `json:"settings_re_read"`
}

// ResourceCounts counts resources by kind.
type ResourceCounts struct {
	// Images counts AMIs.
	Images int `json:"images"`
	// Snapshots counts EBS snapshots.
	Snapshots int `json:"snapshots"`
	// Keys counts KMS keys.
	Keys int `json:"keys"`
}

// DeepScan is the deep scan of one AMI: its EBS snapshots read through the
// EBS direct APIs, without launching it.
type DeepScan struct {
	// ImageID, Account and Region name the AMI.
	ImageID string `json:"image_id" jsonschema:"required"`
	Account string `json:"account" jsonschema:"required"`
	Region  string `json:"region" jsonschema:"required"`
	// SnapshotIDs are the snapshots read, in block device order.
	SnapshotIDs []string `json:"snapshot_ids"`
	// BytesRead and BlocksFetched count the data received from
	// GetSnapshotBlock (512 KiB blocks), what the scan cost.
	BytesRead     int64 `json:"bytes_read"`
	BlocksFetched int64 `json:"blocks_fetched"`
	// AllocatedBytes is the size of the blocks the snapshots hold, to compare
	// BytesRead with.
	AllocatedBytes int64 `json:"allocated_bytes"`
	// DurationMS is the wall time of the scan in milliseconds.
	DurationMS int64 `json:"duration_ms"`
	// Findings are the credentials found, in the order they were read.
	Findings []DeepScanFinding `json:"findings"`
	// Error says why the scan ended early or could not look (corrupt image,
	// byte budget, checksum mismatch, timeout); empty when it read every
	// target. Findings made before the error are kept. The error is also in
	// Errors, so that SCAN-001 reports the gap.
	Error string `json:"error,omitempty"`
}

// DeepScanFinding is one credential found on disk.
type DeepScanFinding struct {
	// SnapshotID is the snapshot (volume) the file is on.
	SnapshotID string `json:"snapshot_id" jsonschema:"required"`
	// Partition is the partition number as Linux counts it (1 for xvda1), or
	// "whole-disk" for a filesystem without a partition table.
	Partition string `json:"partition" jsonschema:"required"`
	// Path is the file's absolute path in its filesystem.
	Path string `json:"path" jsonschema:"required"`
	// Detector and Description say what was found (the secrets package's
	// detector IDs, plus ssh-authorized-keys for a non-empty authorized_keys).
	Detector    string `json:"detector" jsonschema:"required"`
	Description string `json:"description"`
	// Redacted identifies the secret without disclosing it (secrets.Redact).
	Redacted string `json:"redacted" jsonschema:"required"`
	// Line is the 1-based line of the secret in the file.
	Line int `json:"line,omitempty"`
}

// Kinds of proposed change.
const (
	ChangeLaunchPermission       = "launch-permission"
	ChangeCreateVolumePermission = "create-volume-permission"
	ChangeCopy                   = "copy"
	ChangeKMSGrant               = "kms-grant"
	ChangeKeyPolicy              = "key-policy"
)

// ChangeKinds are the kinds of proposed change, in the order of the schema's
// enum on ProposedChange.Kind (a test holds the two equal).
var ChangeKinds = []string{ChangeLaunchPermission, ChangeCreateVolumePermission, ChangeCopy, ChangeKMSGrant, ChangeKeyPolicy}

// ProposedChange is one change a pipeline proposes, from gate flags or a
// Terraform plan.
type ProposedChange struct {
	// Kind is launch-permission, create-volume-permission, copy, kms-grant or key-policy.
	Kind string `json:"kind" jsonschema:"required,enum=launch-permission,enum=create-volume-permission,enum=copy,enum=kms-grant,enum=key-policy"`
	// Source says where the change comes from: "flags", or the plan file; Address
	// is the Terraform resource address.
	Source  string `json:"source"`
	Address string `json:"address,omitempty"`
	// ImageID and Region name the AMI (launch permission, copy source).
	ImageID string `json:"image_id,omitempty"`
	Region  string `json:"region,omitempty"`
	// CopyAddress is set on a launch permission that shares the AMI a copy
	// of the same plan will create (its image_id is
	// known only after apply): the copy's resource address. ImageID is then
	// a placeholder derived from it, and Region the copy's destination.
	CopyAddress string `json:"copy_address,omitempty"`
	// SnapshotID names the snapshot of a create-volume-permission change.
	SnapshotID string `json:"snapshot_id,omitempty"`
	// Grantee is who a permission or grant is for: an account ID, "all", an
	// organization or OU ARN, or (grants) a principal ARN.
	Grantee string `json:"grantee,omitempty"`
	// DestinationRegion, Encrypted and KMSKeyID describe a copy. Encrypted is
	// null when the copy does not say.
	DestinationRegion string `json:"destination_region,omitempty"`
	Encrypted         *bool  `json:"encrypted,omitempty"`
	KMSKeyID          string `json:"kms_key_id,omitempty"`
	// CopyingAccount is the account that would make the copy.
	CopyingAccount string `json:"copying_account,omitempty"`
	// KeyID names the key of a grant or policy change; Operations are a
	// grant's operations; Policy is a new key policy.
	KeyID      string   `json:"key_id,omitempty"`
	Operations []string `json:"operations,omitempty"`
	Policy     string   `json:"policy,omitempty"`

	// Lifecycle (issue 11): what the gate works out about the change, as AWS
	// would carry it out.

	// CopyVolumes is how each snapshot of a copied AMI comes out of CopyImage:
	// encrypted or not, and with which key.
	CopyVolumes []CopyVolume `json:"copy_volumes,omitempty"`
	// RestorableSnapshots and UnrestorableSnapshots are the source AMI's
	// snapshots that the copying account can and cannot read (its
	// createVolumePermission), when the gate could tell.
	RestorableSnapshots   []string `json:"restorable_snapshots,omitempty"`
	UnrestorableSnapshots []string `json:"unrestorable_snapshots,omitempty"`
	// Refused says why AWS would refuse the change outright (a public share of
	// an encrypted AMI, of one with a product code, or under image block public
	// access block-new-sharing); such a change is not applied.
	Refused string `json:"refused,omitempty"`
}

// CopyVolume is one snapshot of a proposed copy, as CopyImage will make it.
type CopyVolume struct {
	// SnapshotID is the source snapshot.
	SnapshotID string `json:"snapshot_id" jsonschema:"required"`
	// SourceEncrypted and SourceKMSKeyID describe the source snapshot.
	SourceEncrypted bool   `json:"source_encrypted"`
	SourceKMSKeyID  string `json:"source_kms_key_id,omitempty"`
	// Encrypted is whether the copy is encrypted; null when it depends on a
	// setting that could not be read.
	Encrypted *bool `json:"encrypted"`
	// KMSKeyID is the key the copy will use (an ARN, ID or alias as AWS
	// reports the default key), empty when unencrypted or unknown.
	KMSKeyID string `json:"kms_key_id,omitempty"`
	// Why says which rule of CopyImage picks the key.
	Why string `json:"why" jsonschema:"required"`
}

// Describe says what the change is, in a few words, for finding evidence.
func (c ProposedChange) Describe() string {
	where := c.Source
	if c.Address != "" {
		where = c.Address
	}
	switch c.Kind {
	case ChangeLaunchPermission:
		if c.CopyAddress != "" {
			return "share the copy made by " + c.CopyAddress + " (proposed " + c.ImageID + " in " + c.Region + ") with " + c.Grantee + " (" + where + ")"
		}
		return "share " + c.ImageID + " with " + c.Grantee + " (" + where + ")"
	case ChangeCreateVolumePermission:
		target := c.SnapshotID
		if target == "" {
			target = "the snapshots of " + c.ImageID
		}
		return "grant createVolumePermission on " + target + " to " + c.Grantee + " (" + where + ")"
	case ChangeCopy:
		return "copy " + c.ImageID + " to " + c.DestinationRegion + " (" + where + ")"
	case ChangeKMSGrant:
		return "grant key " + c.KeyID + " to " + c.Grantee + " (" + where + ")"
	case ChangeKeyPolicy:
		return "replace the policy of key " + c.KeyID + " (" + where + ")"
	}
	return c.Kind + " (" + where + ")"
}

// Tool identifies the program that wrote a document.
type Tool struct {
	// Name is the program's name: "amiaudit" for a collection.
	Name string `json:"name" jsonschema:"required"`
	// Version is the program's version, as amiaudit version prints it.
	Version string `json:"version" jsonschema:"required"`
}

// Scope is the set of accounts and regions a collection was asked to read.
type Scope struct {
	// Accounts are the 12-digit account IDs in scope.
	Accounts []string `json:"accounts" jsonschema:"required"`
	// Regions are the region names in scope.
	Regions []string `json:"regions" jsonschema:"required"`
	// Organization is true when the account list came from AWS Organizations (--org).
	Organization bool `json:"organization,omitempty"`
	// Shard is "K/N" when this document is one shard of a larger run.
	Shard string `json:"shard,omitempty"`
}

// Organization is what AWS Organizations told the collector.
type Organization struct {
	// ID is the organization ID (o-…).
	ID string `json:"id" jsonschema:"required,pattern=^o-[a-z0-9]{10\\,32}$"`
	// ARN is the organization ARN (arn:aws:organizations::MANAGEMENT:organization/o-…).
	ARN string `json:"arn" jsonschema:"required"`
	// ManagementAccount is the management account's ID.
	ManagementAccount string `json:"management_account"`
	// Accounts are the member accounts, including the management account.
	Accounts []OrgAccount `json:"accounts" jsonschema:"required"`
	// OrganizationalUnits are the OUs, when they could be listed.
	OrganizationalUnits []OrganizationalUnit `json:"organizational_units,omitempty"`
}

// OrgAccount is one member account of an organization.
type OrgAccount struct {
	// ID is the 12-digit account ID (Organizations ListAccounts Id).
	ID string `json:"id" jsonschema:"required,pattern=^[0-9]{12}$"`
	// Name is the account name (ListAccounts Name).
	Name string `json:"name,omitempty"`
	// Email is the account's root user email address (ListAccounts Email).
	Email string `json:"email,omitempty"`
	// Status is ListAccounts' Status: ACTIVE, SUSPENDED or PENDING_CLOSURE.
	Status string `json:"status,omitempty"`
	// ParentOU is the ID of the OU (ou-…) or root (r-…) directly above the account.
	ParentOU string `json:"parent_ou,omitempty"`
}

// OrganizationalUnit is one OU of an organization.
type OrganizationalUnit struct {
	// ID is the OU ID, ou-… (Organizations ListOrganizationalUnitsForParent Id).
	ID string `json:"id" jsonschema:"required"`
	// ARN is the OU ARN (arn:PARTITION:organizations::MANAGEMENT:ou/o-…/ou-…),
	// as launch permissions name it.
	ARN string `json:"arn" jsonschema:"required"`
	// Name is the OU name.
	Name string `json:"name,omitempty"`
	// Parent is the ID of the parent OU or root.
	Parent string `json:"parent,omitempty"`
}

// Block public access and Allowed AMIs states, in AWS's own words.
const (
	BlockNewSharing = "block-new-sharing"
	BlockAllSharing = "block-all-sharing"
	Unblocked       = "unblocked"

	AllowedImagesEnabled   = "enabled"
	AllowedImagesAuditMode = "audit-mode"
	AllowedImagesDisabled  = "disabled"
)

// AccountRegion holds the settings of one account in one region. A setting that
// could not be read is omitted (null) and a CollectionError says why.
type AccountRegion struct {
	// Account is the 12-digit ID of the account whose settings these are.
	Account string `json:"account" jsonschema:"required,pattern=^[0-9]{12}$"`
	// Region is the region the settings apply in (they are regional).
	Region string `json:"region" jsonschema:"required"`
	// ImageBlockPublicAccess is GetImageBlockPublicAccessState: block-new-sharing or unblocked.
	ImageBlockPublicAccess *string `json:"image_block_public_access" jsonschema:"nullable,enum=block-new-sharing,enum=unblocked"`
	// SnapshotBlockPublicAccess is GetSnapshotBlockPublicAccessState:
	// block-all-sharing, block-new-sharing or unblocked.
	SnapshotBlockPublicAccess *string `json:"snapshot_block_public_access" jsonschema:"nullable,enum=block-all-sharing,enum=block-new-sharing,enum=unblocked"`
	// AllowedImages is the state of GetAllowedImagesSettings: enabled, audit-mode or disabled.
	AllowedImages *string `json:"allowed_images" jsonschema:"nullable,enum=enabled,enum=audit-mode,enum=disabled"`
	// EBSEncryptionByDefault is GetEbsEncryptionByDefault.
	EBSEncryptionByDefault *bool `json:"ebs_encryption_by_default" jsonschema:"nullable"`
	// EBSDefaultKMSKeyID is GetEbsDefaultKmsKeyId (an ARN or alias).
	EBSDefaultKMSKeyID *string `json:"ebs_default_kms_key_id,omitempty"`

	// Lifecycle (issue 11): who manages each setting — "account", or
	// "declarative-policy" when an AWS Organizations declarative policy
	// enforces it (then only the policy can change it) — and the Allowed AMIs
	// image criteria. Empty when not read.
	ImageBlockPublicAccessManagedBy string `json:"image_block_public_access_managed_by,omitempty" jsonschema:"enum=account,enum=declarative-policy"`
	// SnapshotBlockPublicAccessManagedBy is who manages
	// snapshot_block_public_access (GetSnapshotBlockPublicAccessState
	// ManagedBy): account or declarative-policy.
	SnapshotBlockPublicAccessManagedBy string `json:"snapshot_block_public_access_managed_by,omitempty" jsonschema:"enum=account,enum=declarative-policy"`
	// AllowedImagesManagedBy is who manages allowed_images
	// (GetAllowedImagesSettings ManagedBy): account or declarative-policy.
	AllowedImagesManagedBy string `json:"allowed_images_managed_by,omitempty" jsonschema:"enum=account,enum=declarative-policy"`
	// AllowedImagesCriteria is GetAllowedImagesSettings' imageCriterionSet:
	// an image is allowed when it matches at least one criterion.
	AllowedImagesCriteria []ImageCriterion `json:"allowed_images_criteria,omitempty"`
}

// ManagedBy values of the account settings, in AWS's words.
const (
	ManagedByAccount           = "account"
	ManagedByDeclarativePolicy = "declarative-policy"
)

// ImageCriterion is one Allowed AMIs image criterion. An image matches when
// it matches every condition the criterion sets.
type ImageCriterion struct {
	// ImageProviders: amazon, aws-marketplace, aws-backup-vault, none (the
	// account's own AMIs) or 12-digit account IDs.
	ImageProviders []string `json:"image_providers,omitempty"`
	// MarketplaceProductCodes restrict the criterion to these product codes.
	MarketplaceProductCodes []string `json:"marketplace_product_codes,omitempty"`
	// ImageNames are name patterns (? and * wildcards).
	ImageNames []string `json:"image_names,omitempty"`
	// CreationDateMaximumDaysSinceCreated and
	// DeprecationTimeMaximumDaysSinceDeprecated are the age conditions; 0 when
	// not set.
	CreationDateMaximumDaysSinceCreated       int32 `json:"creation_date_maximum_days_since_created,omitempty"`
	DeprecationTimeMaximumDaysSinceDeprecated int32 `json:"deprecation_time_maximum_days_since_deprecated,omitempty"`
}

// Tag is one AWS resource tag.
type Tag struct {
	// Key is the tag key.
	Key string `json:"key" jsonschema:"required"`
	// Value is the tag value; a credential found in it is replaced by its
	// redacted form (see detections).
	Value string `json:"value" jsonschema:"required"`
}

// GroupAll is the only group of a launch or create-volume permission, AWS's
// Group=all: everyone, the AMI is public or the snapshot publicly restorable
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_LaunchPermission.html,
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVolumePermission.html).
// A proposed change names it as its Grantee.
const GroupAll = "all"

// LaunchPermission is one entry of an AMI's launchPermission attribute. Exactly
// one field is set.
type LaunchPermission struct {
	// UserID is an AWS account ID.
	UserID string `json:"user_id,omitempty"`
	// Group is "all": the AMI is public.
	Group string `json:"group,omitempty" jsonschema:"enum=all"`
	// OrganizationARN shares with every account of an organization.
	OrganizationARN string `json:"organization_arn,omitempty"`
	// OrganizationalUnitARN shares with every account of an OU.
	OrganizationalUnitARN string `json:"organizational_unit_arn,omitempty"`
}

// CreateVolumePermission is one entry of a snapshot's createVolumePermission
// attribute. Exactly one field is set.
type CreateVolumePermission struct {
	// UserID is an AWS account ID.
	UserID string `json:"user_id,omitempty"`
	// Group is "all": the snapshot is publicly restorable.
	Group string `json:"group,omitempty" jsonschema:"enum=all"`
}

// ProductCode is an AMI product code (marketplace or devpay).
type ProductCode struct {
	// ID is the product code (DescribeImages ProductCodes ProductCodeId).
	ID string `json:"id" jsonschema:"required"`
	// Type is marketplace or devpay (ProductCodeType).
	Type string `json:"type" jsonschema:"enum=marketplace,enum=devpay"`
}

// BlockDeviceMapping is one block device of an AMI.
type BlockDeviceMapping struct {
	// DeviceName is the device name, e.g. /dev/xvda (DescribeImages
	// BlockDeviceMappings DeviceName).
	DeviceName string `json:"device_name" jsonschema:"required"`
	// SnapshotID is the EBS snapshot behind the device; empty for instance-store
	// (VirtualName) devices.
	SnapshotID string `json:"snapshot_id,omitempty"`
	// VirtualName names an instance store volume (ephemeral0, …); empty for EBS
	// devices.
	VirtualName string `json:"virtual_name,omitempty"`
	// VolumeSize is the EBS volume size in GiB (Ebs.VolumeSize); 0 when not
	// reported.
	VolumeSize int32 `json:"volume_size,omitempty"`
	// VolumeType is the EBS volume type, e.g. gp3, io2, standard
	// (Ebs.VolumeType).
	VolumeType string `json:"volume_type,omitempty"`
	// Encrypted and KMSKeyID are as DescribeImages reports them for the device.
	Encrypted bool   `json:"encrypted,omitempty"`
	KMSKeyID  string `json:"kms_key_id,omitempty"`
}

// Image is one AMI, owned by Account in Region.
type Image struct {
	// ID is the AMI ID, ami-… (DescribeImages ImageId).
	ID string `json:"id" jsonschema:"required,pattern=^ami-[0-9a-f]+$"`
	// ARN is arn:PARTITION:ec2:REGION::image/ID (derived when omitted).
	ARN string `json:"arn,omitempty"`
	// Account is the 12-digit ID of the owning account (DescribeImages OwnerId).
	Account string `json:"account" jsonschema:"required,pattern=^[0-9]{12}$"`
	// Region is the region the AMI is registered in (AMIs are regional).
	Region string `json:"region" jsonschema:"required"`
	// Name is the AMI name (DescribeImages Name); a credential found in it is
	// replaced by its redacted form (see detections).
	Name string `json:"name,omitempty"`
	// Description is the AMI description (DescribeImages Description), redacted
	// like Name.
	Description string `json:"description,omitempty"`
	// State is DescribeImages' State: available, pending, failed, disabled, …
	State string `json:"state,omitempty"`
	// CreationDate and DeprecationTime as DescribeImages reports them.
	CreationDate    *time.Time `json:"creation_date,omitempty"`
	DeprecationTime *time.Time `json:"deprecation_time,omitempty"`
	// Public is DescribeImages' Public flag.
	Public bool `json:"public,omitempty"`
	// Platform is DescribeImages' PlatformDetails (e.g. Linux/UNIX, Windows),
	// the same value as platform_details; it is not DescribeImages' Platform
	// field, which is only "windows" or absent.
	Platform string `json:"platform,omitempty"`
	// Architecture is DescribeImages' Architecture: x86_64, arm64, i386, …
	Architecture string `json:"architecture,omitempty"`
	// RootDeviceType is ebs or instance-store (DescribeImages RootDeviceType).
	RootDeviceType string `json:"root_device_type,omitempty"`
	// ImageLocation is DescribeImages' ImageLocation: the owner and name for an
	// EBS-backed AMI, the S3 manifest path for an instance-store one.
	ImageLocation string `json:"image_location,omitempty"`
	// SourceImageID and SourceRegion are set on copies (CopyImage).
	SourceImageID string `json:"source_image_id,omitempty"`
	SourceRegion  string `json:"source_region,omitempty"`
	// ProductCodes are billing product codes; an AMI with a marketplace code
	// cannot be copied across accounts.
	ProductCodes []ProductCode `json:"product_codes,omitempty"`
	// Tags are the AMI's tags (DescribeImages Tags), redacted like Name.
	Tags []Tag `json:"tags,omitempty"`
	// LaunchPermissions is the launchPermission attribute (DescribeImageAttribute).
	LaunchPermissions []LaunchPermission `json:"launch_permissions"`
	// BlockDeviceMappings are the image's devices.
	BlockDeviceMappings []BlockDeviceMapping `json:"block_device_mappings"`

	// Detections are the credentials the collector found in Name, Description
	// and Tags and replaced there by their redacted form (see Detection).
	Detections []Detection `json:"detections,omitempty"`
	// Lifecycle (issue 11). State above is AWS's imageState, including
	// "disabled" (DescribeImages IncludeDisabled): a disabled AMI keeps its
	// snapshots, which cannot be deleted while it exists.

	// PlatformDetails and UsageOperation are the billing platform, e.g.
	// "Windows" / "RunInstances:0002", "Linux/UNIX" / "RunInstances".
	PlatformDetails string `json:"platform_details,omitempty"`
	UsageOperation  string `json:"usage_operation,omitempty"`
	// DeregistrationProtection is "disabled", "enabled" or
	// "enabled-with-cooldown" (DeregisterImage is refused while enabled).
	DeregistrationProtection string `json:"deregistration_protection,omitempty"`
	// LastLaunchedTime is when an instance was last launched from the AMI (AWS
	// records it with up to 24 hours of delay, since April 2017); nil when
	// never launched or unknown.
	LastLaunchedTime *time.Time `json:"last_launched_time,omitempty"`
}

// Snapshot is one EBS snapshot, owned by Account in Region.
type Snapshot struct {
	// ID is the snapshot ID, snap-… (DescribeSnapshots SnapshotId).
	ID string `json:"id" jsonschema:"required,pattern=^snap-[0-9a-f]+$"`
	// ARN is arn:PARTITION:ec2:REGION::snapshot/ID (derived when omitted).
	ARN string `json:"arn,omitempty"`
	// Account is the 12-digit ID of the owning account (DescribeSnapshots
	// OwnerId).
	Account string `json:"account" jsonschema:"required,pattern=^[0-9]{12}$"`
	// Region is the region the snapshot is in (snapshots are regional).
	Region string `json:"region" jsonschema:"required"`
	// Description is the snapshot description (DescribeSnapshots Description); a
	// credential found in it is replaced by its redacted form (see detections).
	Description string `json:"description,omitempty"`
	// VolumeID is the volume the snapshot was taken from (DescribeSnapshots
	// VolumeId); AWS reports an arbitrary ID for a copied snapshot.
	VolumeID string `json:"volume_id,omitempty"`
	// VolumeSize is the size of the volume in GiB (DescribeSnapshots
	// VolumeSize).
	VolumeSize int32 `json:"volume_size,omitempty"`
	// State is DescribeSnapshots' State: pending, completed, error, recoverable,
	// recovering.
	State string `json:"state,omitempty"`
	// StartTime is when the snapshot was started (DescribeSnapshots StartTime).
	StartTime *time.Time `json:"start_time,omitempty"`
	// Encrypted is DescribeSnapshots' Encrypted flag.
	Encrypted bool `json:"encrypted,omitempty"`
	// KMSKeyID is the ARN of the key that encrypts the snapshot.
	KMSKeyID string `json:"kms_key_id,omitempty"`
	// Tags are the snapshot's tags (DescribeSnapshots Tags), redacted like
	// Description.
	Tags []Tag `json:"tags,omitempty"`
	// CreateVolumePermissions is the createVolumePermission attribute
	// (DescribeSnapshotAttribute).
	CreateVolumePermissions []CreateVolumePermission `json:"create_volume_permissions"`

	// Detections are the credentials the collector found in Description and
	// Tags and replaced there by their redacted form (see Detection).
	Detections []Detection `json:"detections,omitempty"`
	// Lock is DescribeLockedSnapshots' entry for the snapshot (issue 11);
	// nil when the snapshot is not locked or locks were not read.
	Lock *SnapshotLock `json:"lock,omitempty"`
}

// SnapshotLock is an EBS snapshot lock. In compliance mode (and governance
// mode, for anyone without ec2:UnlockSnapshot) the snapshot cannot be deleted
// until ExpiresOn.
type SnapshotLock struct {
	// State is compliance, governance, compliance-cooloff or expired.
	State string `json:"state" jsonschema:"required,enum=compliance,enum=governance,enum=compliance-cooloff,enum=expired"`
	// CreatedOn is when the lock was created (DescribeLockedSnapshots
	// LockCreatedOn).
	CreatedOn *time.Time `json:"created_on,omitempty"`
	// ExpiresOn is when the lock expires (DescribeLockedSnapshots
	// LockExpiresOn).
	ExpiresOn *time.Time `json:"expires_on,omitempty"`
	// CoolOffPeriodExpiresOn ends the compliance-cooloff period.
	CoolOffPeriodExpiresOn *time.Time `json:"cool_off_period_expires_on,omitempty"`
}

// The values of Key.KeyManager. Which key states make a key unusable is
// not decided here but by KMS-003 (policies/kms/unusable_key.rego).
const (
	KeyManagerAWS      = "AWS"
	KeyManagerCustomer = "CUSTOMER"
)

// AWSManagedEBSKeyAlias is the alias of the AWS managed key for EBS, which
// AWS creates in each Region and uses for EBS encryption unless the account
// set a customer managed key (ModifyEbsDefaultKmsKeyId); aliases that begin
// with alias/aws/ are reserved for AWS managed keys
// (https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#aws-managed-key,
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyEbsDefaultKmsKeyId.html).
// The Rego library's aws_ebs_key_alias (policies/lib/kms.rego) is held equal
// to it by a test.
const AWSManagedEBSKeyAlias = "alias/aws/ebs"

// Key is one KMS key that encrypts at least one image or snapshot in scope.
type Key struct {
	// ARN is the key ARN (arn:PARTITION:kms:REGION:ACCOUNT:key/ID).
	ARN string `json:"arn" jsonschema:"required"`
	// ID is the key ID, a UUID or an mrk-… multi-Region key ID (DescribeKey
	// KeyId).
	ID string `json:"id" jsonschema:"required"`
	// Account is the 12-digit ID of the account that owns the key (DescribeKey
	// AWSAccountId).
	Account string `json:"account" jsonschema:"required,pattern=^[0-9]{12}$"`
	// Region is the key's region.
	Region string `json:"region" jsonschema:"required"`
	// KeyManager is AWS for AWS managed keys (aws/ebs) and CUSTOMER otherwise.
	KeyManager string `json:"key_manager" jsonschema:"required,enum=AWS,enum=CUSTOMER"`
	// KeyState is DescribeKey's KeyState: Enabled, Disabled, PendingDeletion, …
	KeyState string `json:"key_state" jsonschema:"required"`
	// Description is the key description (DescribeKey Description).
	Description string `json:"description,omitempty"`
	// Aliases are the key's aliases, alias/… (ListAliases); AWS managed keys
	// have alias/aws/….
	Aliases []string `json:"aliases,omitempty"`
	// Policy is the key policy exactly as GetKeyPolicy returned it (policy name
	// "default"); empty when it could not be read.
	Policy string `json:"policy,omitempty"`
	// PolicyStatements is Policy parsed, with principals, actions and conditions
	// normalised. It is derived from Policy when omitted.
	PolicyStatements []Statement `json:"policy_statements,omitempty"`
	// Grants are the key's grants (ListGrants).
	Grants []Grant `json:"grants"`
}

// Statement is one key policy statement, normalised: single values become lists,
// actions are lower-cased, condition operators and keys keep AWS's spelling but
// keys are also lower-cased for matching (AWS compares them case-insensitively).
type Statement struct {
	// Sid is the statement's Sid element, when it has one.
	Sid string `json:"sid,omitempty"`
	// Effect is the Effect element: Allow or Deny.
	Effect string `json:"effect" jsonschema:"required,enum=Allow,enum=Deny"`
	// Principals is the Principal element; NotPrincipals the NotPrincipal element.
	Principals    []Principal `json:"principals,omitempty"`
	NotPrincipals []Principal `json:"not_principals,omitempty"`
	// Actions and NotActions are lower-cased (kms:decrypt); wildcards are kept.
	Actions    []string `json:"actions,omitempty"`
	NotActions []string `json:"not_actions,omitempty"`
	// Conditions is a flat list of the Condition element's tests.
	Conditions []Condition `json:"conditions,omitempty"`
}

// Principal is one principal of a key policy statement or grant.
type Principal struct {
	// Type is AWS, Service, Federated, CanonicalUser, or * for "Principal": "*".
	Type string `json:"type" jsonschema:"required"`
	// Value is the principal as written (an account ID, an ARN, a service name, or *).
	Value string `json:"value" jsonschema:"required"`
	// Wildcard is true when the principal is anyone ("*" or {"AWS": "*"}).
	Wildcard bool `json:"wildcard,omitempty"`
	// Account is the 12-digit account the principal belongs to, when it names one
	// (an account ID, arn:aws:iam::ID:root, or a role/user ARN in ID).
	Account string `json:"account,omitempty"`
	// Root is true when the principal is the whole account (ID or :root ARN),
	// false for a single role or user.
	Root bool `json:"root,omitempty"`
}

// Condition is one test of a Condition element: Operator (e.g. StringEquals,
// ForAnyValue:StringLike, …IfExists), Key (lower-cased) and its Values.
type Condition struct {
	// Operator is the condition operator as written, e.g. StringEquals,
	// ForAnyValue:StringLike, ArnLikeIfExists.
	Operator string `json:"operator" jsonschema:"required"`
	// Key is the condition key, lower-cased (aws:principalorgid, kms:viaservice,
	// …).
	Key string `json:"key" jsonschema:"required"`
	// Values are the values the key is compared with; a single value becomes a
	// list of one.
	Values []string `json:"values" jsonschema:"required"`
}

// Grant is one KMS grant.
type Grant struct {
	// GrantID is the grant's ID (ListGrants GrantId).
	GrantID string `json:"grant_id" jsonschema:"required"`
	// Name is the grant's friendly name (ListGrants Name); empty when it has
	// none.
	Name string `json:"name,omitempty"`
	// GranteePrincipal and RetiringPrincipal as ListGrants reports them.
	GranteePrincipal  string `json:"grantee_principal" jsonschema:"required"`
	RetiringPrincipal string `json:"retiring_principal,omitempty"`
	// GranteeAccount is the account of GranteePrincipal when it names one.
	GranteeAccount string `json:"grantee_account,omitempty"`
	// Operations are the granted operations, e.g. Decrypt, CreateGrant.
	Operations []string `json:"operations" jsonschema:"required"`
	// IssuingAccount is the account under which the grant was issued, as
	// ListGrants reports it
	// (https://docs.aws.amazon.com/kms/latest/APIReference/API_GrantListEntry.html).
	IssuingAccount string `json:"issuing_account,omitempty"`
	// Constraints are the grant's encryption context constraints; absent when
	// it has none. A constrained grant applies only to requests whose
	// encryption context matches, which the access model cannot know.
	Constraints *GrantConstraints `json:"constraints,omitempty"`
}

// GrantConstraints are a grant's encryption context constraints
// (https://docs.aws.amazon.com/kms/latest/APIReference/API_GrantConstraints.html).
type GrantConstraints struct {
	// EncryptionContextEquals: the request's encryption context must be exactly this.
	EncryptionContextEquals map[string]string `json:"encryption_context_equals,omitempty"`
	// EncryptionContextSubset: the request's encryption context must include this.
	EncryptionContextSubset map[string]string `json:"encryption_context_subset,omitempty"`
}

// CollectionError records a part of the scope that could not be read. SCAN-001
// reports each one.
type CollectionError struct {
	// Account is the account the failed call was made in; empty when it is not
	// known.
	Account string `json:"account,omitempty"`
	// Region is the region of the failed call; empty for a call made once
	// per account (organizations, or an AssumeRole that failed outright).
	Region string `json:"region,omitempty"`
	// Service and Action name the API call that failed (ec2, DescribeImages).
	Service string `json:"service" jsonschema:"required"`
	Action  string `json:"action" jsonschema:"required"`
	// Resource is the resource ID the call was about, when it was about one.
	Resource string `json:"resource,omitempty"`
	// Code is AWS's error code (AccessDenied, UnauthorizedOperation, OptInRequired,
	// RequestLimitExceeded, …) or a client-side one (Timeout, Canceled).
	Code string `json:"code" jsonschema:"required"`
	// Message is AWS's error message, or the client's, as it was returned.
	Message string `json:"message" jsonschema:"required"`
}
