// Package scenario describes an AWS Organization as YAML — accounts, OUs, KMS
// keys, AMIs, snapshots, the account settings and faults the fault proxy
// serves, and the findings a scan must report — and seeds it into moto
// through the real aws-sdk-go-v2.
//
// testbed/README.md is the reference of the format; scenarios/*.yaml are
// commented examples.
package scenario

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/amiaudit/amiaudit/internal/strictyaml"
)

// Scenario is one YAML scenario file.
type Scenario struct {
	// Name names the scenario in messages; default: the file's base name.
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	// Regions are the regions the scenario uses; the first is where global
	// calls go. Every resource is in one of them.
	Regions []string `yaml:"regions"`
	// Organization, when present, makes Accounts one AWS Organization.
	Organization *Organization `yaml:"organization"`
	// Accounts are the accounts that hold resources (the organization's
	// members, including its management account).
	Accounts []Account `yaml:"accounts"`
	// ExternalAccounts are accounts outside the scenario that permissions and
	// policies name; nothing is created in them.
	ExternalAccounts []ExternalAccount `yaml:"external_accounts"`
	Keys             []Key             `yaml:"keys"`
	Images           []Image           `yaml:"images"`
	Snapshots        []Snapshot        `yaml:"snapshots"`
	// Settings, Faults and Throttle are not seeded into moto (which lacks the
	// calls, or the behaviour): the fault proxy serves them (ProxyConfig).
	// Only ebs_encryption_by_default and ebs_default_kms_key are also set in
	// moto, which serves the calls that set them.
	Settings []AccountSettings `yaml:"settings"`
	Faults   []FaultSpec       `yaml:"faults"`
	// FaultSeed fixes which calls the faults with a probability fail.
	FaultSeed int64         `yaml:"fault_seed"`
	Throttle  *ThrottleSpec `yaml:"throttle"`
	// Expect is what a scan of the seeded organization must report.
	Expect Expect `yaml:"expect"`

	file string     // as given to Load, for messages
	root *yaml.Node // the document, for the line of any value
}

// Organization is the AWS Organization the accounts form.
type Organization struct {
	// Management names the management account (one of Accounts).
	Management string `yaml:"management"`
	// OUs are the organizational units, parents before children or not.
	OUs []OU `yaml:"ous"`
}

// OU is one organizational unit.
type OU struct {
	Name string `yaml:"name"`
	// Parent names the parent OU; empty means the root.
	Parent string `yaml:"parent"`
}

// Account is an account the scenario creates resources in.
type Account struct {
	Name string `yaml:"name"`
	// ID fixes the 12-digit account ID; empty lets the seeder choose (AWS
	// Organizations' CreateAccount, or a random ID without an organization).
	// Seeding with FreshAccountIDs ignores it.
	ID string `yaml:"id"`
	// Email is the account's root email; default NAME@example.com.
	Email string `yaml:"email"`
	// OU names the account's OU; empty means the root.
	OU string `yaml:"ou"`
}

// ExternalAccount is an account outside the scenario, with a fixed ID.
type ExternalAccount struct {
	Name string `yaml:"name"`
	ID   string `yaml:"id"`
}

// Key is a KMS key.
type Key struct {
	Name    string `yaml:"name"`
	Account string `yaml:"account"`
	Region  string `yaml:"region"`
	// AWSManaged makes this the account-region's AWS managed key for EBS,
	// alias/aws/ebs, which AWS (and moto) create on first use. Such a key has
	// no description, aliases, policy, grants or state of the scenario's.
	AWSManaged  bool   `yaml:"aws_managed"`
	Description string `yaml:"description"`
	// Aliases are alias names (alias/…), never alias/aws/….
	Aliases []string `yaml:"aliases"`
	// Policy is the key policy JSON, with placeholders; empty means AWS's
	// default policy (the account root may do everything).
	Policy string  `yaml:"policy"`
	Grants []Grant `yaml:"grants"`
	// State is Enabled (default), Disabled or PendingDeletion; set after every
	// resource that uses the key exists.
	State string `yaml:"state"`
}

// Grant is a KMS grant.
type Grant struct {
	Name string `yaml:"name"`
	// Grantee is the grantee principal: an account (name or ID, for its
	// root) or an ARN, with placeholders.
	Grantee           string   `yaml:"grantee"`
	Operations        []string `yaml:"operations"`
	RetiringPrincipal string   `yaml:"retiring_principal"`
}

// Image is an AMI: made from an instance, registered from snapshots, or a
// copy of another image of the same account.
type Image struct {
	// Name is the scenario's name for the image; its snapshots are NAME/0,
	// NAME/1, … in volume order.
	Name string `yaml:"name"`
	// AMIName is the AMI's Name; default Name.
	AMIName     string            `yaml:"ami_name"`
	Account     string            `yaml:"account"`
	Region      string            `yaml:"region"`
	Description string            `yaml:"description"`
	Tags        map[string]string `yaml:"tags"`
	// Source is how the image is made: "instance" (default; CreateImage, so
	// the snapshots carry AWS's "Created by CreateImage(i-…) for ami-… from
	// vol-…") or "snapshots" (RegisterImage from snapshots made for it).
	Source  string   `yaml:"source"`
	Volumes []Volume `yaml:"volumes"`
	// CopyOf names the image this one is a CopyImage of (into Region, which
	// may be the source's); Source and Volumes are then not given.
	CopyOf string `yaml:"copy_of"`
	// Key re-encrypts a copy's snapshots with this key (of the copy's
	// account-region).
	Key               string       `yaml:"key"`
	LaunchPermissions []Permission `yaml:"launch_permissions"`
	// CreateVolumePermissions are granted on every snapshot of the image.
	CreateVolumePermissions []Permission `yaml:"create_volume_permissions"`
	// DeprecationTime is EnableImageDeprecation's time; it may be in the past
	// (now-90d) to make an image whose deprecation has passed.
	DeprecationTime *Time `yaml:"deprecation_time"`
	// Deregistered deregisters the image once everything else is seeded,
	// leaving its snapshots orphaned.
	Deregistered bool `yaml:"deregistered"`
	// Architecture defaults to x86_64.
	Architecture string `yaml:"architecture"`

	// Lifecycle state moto cannot hold, served by the fault proxy (see
	// lifecycle.go): disabled, deregistration_protection, last_launched,
	// platform_details, usage_operation, recycle_bin.
	ImageLifecycle `yaml:",inline"`
}

// Volume is one EBS volume of an image.
type Volume struct {
	// Device defaults to /dev/xvda for the first volume, then /dev/sdb, /dev/sdc, ….
	Device string `yaml:"device"`
	// Size is in GiB; default 8.
	Size int32 `yaml:"size"`
	// Type is the volume type; default gp3.
	Type string `yaml:"type"`
	// Key names the key that encrypts the volume; empty means unencrypted.
	Key string `yaml:"key"`
	// Description is the snapshot's description (source: snapshots only;
	// CreateImage writes AWS's own).
	Description string            `yaml:"description"`
	Tags        map[string]string `yaml:"tags"`
	// Lock locks the volume's snapshot (served by the fault proxy).
	Lock *LockSpec `yaml:"lock"`
}

// Snapshot is a standalone EBS snapshot (of a volume made for it).
type Snapshot struct {
	Name                    string            `yaml:"name"`
	Account                 string            `yaml:"account"`
	Region                  string            `yaml:"region"`
	Description             string            `yaml:"description"`
	Size                    int32             `yaml:"size"`
	Key                     string            `yaml:"key"`
	Tags                    map[string]string `yaml:"tags"`
	CreateVolumePermissions []Permission      `yaml:"create_volume_permissions"`
	// Lock locks the snapshot (served by the fault proxy).
	Lock *LockSpec `yaml:"lock"`
}

// Permission is one launch permission or createVolumePermission: exactly one
// field is set.
type Permission struct {
	// Account is an account name (scenario or external) or a 12-digit ID.
	Account string `yaml:"account"`
	// Group is "all": public.
	Group string `yaml:"group"`
	// Organization is "self" (the scenario's organization) or an
	// organization ARN (launch permissions only).
	Organization string `yaml:"organization"`
	// OU is an OU name of the scenario's organization or an OU ARN (launch
	// permissions only).
	OU string `yaml:"ou"`
}

// AccountSettings are account-level EC2 settings of some account-regions.
type AccountSettings struct {
	// Account names an account; empty means every account of the scenario.
	Account string `yaml:"account"`
	// Region is one of the scenario's regions; empty means every region.
	Region string `yaml:"region"`
	// ImageBlockPublicAccess is block-new-sharing or unblocked.
	ImageBlockPublicAccess *string `yaml:"image_block_public_access"`
	// SnapshotBlockPublicAccess is block-all-sharing, block-new-sharing or unblocked.
	SnapshotBlockPublicAccess *string `yaml:"snapshot_block_public_access"`
	// AllowedImages is enabled, audit-mode or disabled.
	AllowedImages *string `yaml:"allowed_images"`
	// EBSDefaultKMSKey is a key name of the scenario, or a key ID, ARN or alias.
	EBSDefaultKMSKey *string `yaml:"ebs_default_kms_key"`
	// EBSEncryptionByDefault is seeded into moto (EnableEbsEncryptionByDefault).
	EBSEncryptionByDefault *bool `yaml:"ebs_encryption_by_default"`
	// ManagedBy is account or declarative-policy: who manages the image and
	// snapshot block public access and Allowed AMIs settings (served by the
	// fault proxy).
	ManagedBy *string `yaml:"managed_by"`
	// AllowedImagesCriteria are the Allowed AMIs image criteria.
	AllowedImagesCriteria []CriterionSpec `yaml:"allowed_images_criteria"`
}

// FaultSpec makes the proxy fail calls instead of giving moto's answer: with
// an AWS error, or at the connection (see proxy.Fault).
type FaultSpec struct {
	// Account names an account; empty means any.
	Account string `yaml:"account"`
	// Region is a region; empty means any.
	Region string `yaml:"region"`
	// Action is an API name (DescribeImages) or service:Action (kms:GetKeyPolicy).
	Action string `yaml:"action"`
	// Kind is error (the default: answer Code), reset (drop the connection
	// unanswered, as an endpoint that went away) or stall (hold the call for
	// Stall, then drop it, as a hung connection).
	Kind string `yaml:"kind"`
	// Code is the AWS error code of an error fault (see FaultCodes).
	Code string `yaml:"code"`
	// Stall is how long a stall holds a call, e.g. 30s.
	Stall time.Duration `yaml:"stall"`
	// After lets this many matching calls through first: the fault starts mid-run.
	After int `yaml:"after"`
	// Count is how many matching calls fail; 0 means every one.
	Count int `yaml:"count"`
	// Probability, when set, fails each matching call with that probability,
	// reproducibly for one fault_seed.
	Probability float64 `yaml:"probability"`
}

// ThrottleSpec is the proxy's token bucket, per account-region.
type ThrottleSpec struct {
	RatePerSecond float64 `yaml:"rate_per_second"`
	Burst         int     `yaml:"burst"`
}

// Expect lists what a scan must report.
type Expect struct {
	Findings []ExpectFinding `yaml:"findings"`
	// Clean lists resources that must have no finding at all.
	Clean []string `yaml:"clean"`
	// Exhaustive says the scan must report nothing beyond Findings.
	Exhaustive bool `yaml:"exhaustive"`
}

// ExpectFinding is one finding a scan must report.
type ExpectFinding struct {
	// Rule is a rule ID such as AMI-001.
	Rule string `yaml:"rule"`
	// Resource is image:NAME, snapshot:NAME (NAME/0 for an image's first
	// volume), key:NAME, account-region:ACCOUNT/REGION or
	// scope:ACCOUNT/REGION/ACTION.
	Resource string `yaml:"resource"`
	// Severity, when set, is the severity the finding must have.
	Severity string `yaml:"severity"`
}

// FaultCodes are the error codes a fault may answer.
var FaultCodes = []string{
	"AccessDenied", "UnauthorizedOperation", "OptInRequired",
	"AccessDeniedException", "InternalError", "ServiceUnavailable",
}

// Error is a scenario error, located in its file: file:line: key: message,
// where the key is the path of the value at fault, e.g.
// images[2].volumes[0].key.
type Error = strictyaml.Error

// Load reads a scenario strictly: unknown keys, and values that are wrong or
// name nothing, are errors with their line.
func Load(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read scenario: %w", err)
	}
	return Parse(path, data)
}

// Parse is Load for a file already read; name is used in messages.
func Parse(name string, data []byte) (*Scenario, error) {
	s := &Scenario{file: name}
	root, err := strictyaml.Decode(name, data, s, func(typ string, keys []string) string {
		return "unknown key in " + typeWords[typ] + " (expected " + strings.Join(keys, ", ") + ")"
	})
	if errors.Is(err, strictyaml.ErrEmpty) {
		return nil, &Error{File: name, Msg: "empty scenario"}
	}
	if err != nil {
		return nil, err
	}
	s.root = root
	if s.Name == "" {
		s.Name = strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// typeWords names the Go types as a scenario's author knows them.
var typeWords = map[string]string{
	"Scenario": "the scenario", "Organization": "organization", "OU": "an OU",
	"Account": "an account", "ExternalAccount": "an external account", "Key": "a key",
	"Grant": "a grant", "Image": "an image", "Volume": "a volume", "Snapshot": "a snapshot",
	"Permission": "a permission", "AccountSettings": "settings", "FaultSpec": "a fault",
	"ThrottleSpec": "throttle", "Expect": "expect", "ExpectFinding": "an expected finding",
	"ImageLifecycle": "an image", "RecycleBinSpec": "recycle_bin", "LockSpec": "a lock", "CriterionSpec": "an image criterion",
}

// line returns the line of the value at path (mapping keys as strings,
// sequence indexes as ints), or of its nearest existing parent.
func (s *Scenario) line(path ...any) int { return strictyaml.Line(s.root, path...) }

// File is the path the scenario was loaded from.
func (s *Scenario) File() string { return s.file }

// account returns the scenario account named name.
func (s *Scenario) account(name string) *Account {
	for i := range s.Accounts {
		if s.Accounts[i].Name == name {
			return &s.Accounts[i]
		}
	}
	return nil
}

func (s *Scenario) external(name string) *ExternalAccount {
	for i := range s.ExternalAccounts {
		if s.ExternalAccounts[i].Name == name {
			return &s.ExternalAccounts[i]
		}
	}
	return nil
}

func (s *Scenario) key(name string) *Key {
	for i := range s.Keys {
		if s.Keys[i].Name == name {
			return &s.Keys[i]
		}
	}
	return nil
}

func (s *Scenario) image(name string) *Image {
	for i := range s.Images {
		if s.Images[i].Name == name {
			return &s.Images[i]
		}
	}
	return nil
}

func (s *Scenario) snapshot(name string) *Snapshot {
	for i := range s.Snapshots {
		if s.Snapshots[i].Name == name {
			return &s.Snapshots[i]
		}
	}
	return nil
}

func (s *Scenario) hasOU(name string) bool {
	if s.Organization == nil {
		return false
	}
	for _, ou := range s.Organization.OUs {
		if ou.Name == name {
			return true
		}
	}
	return false
}

func (s *Scenario) hasRegion(r string) bool {
	for _, x := range s.Regions {
		if x == r {
			return true
		}
	}
	return false
}

// volumes returns an image's volumes, following copies to their source.
func (s *Scenario) volumes(img *Image) []Volume {
	for seen := 0; img != nil && img.CopyOf != "" && seen <= len(s.Images); seen++ {
		img = s.image(img.CopyOf)
	}
	if img == nil {
		return nil
	}
	return img.Volumes
}

// device is the default device name of the i-th volume.
func device(v Volume, i int) string {
	if v.Device != "" {
		return v.Device
	}
	if i == 0 {
		return "/dev/xvda"
	}
	return "/dev/sd" + string(rune('a'+i))
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
