package gate

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/amiaudit/amiaudit/internal/awsid"
	"github.com/amiaudit/amiaudit/snapshot"
)

// Proposal is a proposed change described as the gate's flags describe it
// (amiaudit gate --image … --share-with … --copy-to-region …): what to do to
// which AMIs, plus the changes of a Terraform plan (ParsePlan). Changes turns
// it into snapshot.ProposedChange values; the CLI only fills it from flags.
type Proposal struct {
	// Images are the AMI IDs the proposal is about, in Region.
	Images []string
	Region string
	// ShareWith are the launch permission grantees proposed: account IDs,
	// organization ARNs, OU ARNs (never "all": that is Public).
	ShareWith []string
	// Public proposes a public launch permission (group all).
	Public bool
	// CreateVolumePermission also grants createVolumePermission on the AMIs'
	// snapshots to the ShareWith grantees (and all, with Public).
	CreateVolumePermission bool
	// CopyTo proposes a copy of the AMIs to this region, encrypted (when
	// Encrypted is not nil, as it says) with KMSKeyID.
	CopyTo    string
	Encrypted *bool
	KMSKeyID  string
	// ShareCopy makes the launch permissions share the copy CopyTo makes,
	// not the source AMI (ShareCopy).
	ShareCopy bool
	// Plan are the changes of a Terraform plan, appended as they are.
	Plan []snapshot.ProposedChange
}

// The names of Proposal's fields, as ProposalError names them.
const (
	FieldImages                 = "Images"
	FieldShareWith              = "ShareWith"
	FieldPublic                 = "Public"
	FieldCreateVolumePermission = "CreateVolumePermission"
	FieldCopyTo                 = "CopyTo"
	FieldEncrypted              = "Encrypted"
	FieldKMSKeyID               = "KMSKeyID"
	FieldShareCopy              = "ShareCopy"
	FieldPlan                   = "Plan"
)

// ProposalError is a Proposal that cannot be made into changes. Its message
// names the proposal's fields (FieldImages, …); Text names them as the
// caller calls them (flag names).
type ProposalError struct {
	// Fields are the fields the error is about, in the order it names them.
	Fields []string
	// format is the message, each field written {Field}, and args the
	// values it formats (given by the user: never read for fields).
	format string
	args   []any
}

var fieldRef = regexp.MustCompile(`\{([A-Za-z]+)\}`)

func proposalError(format string, args ...any) *ProposalError {
	e := &ProposalError{format: format, args: args}
	for _, m := range fieldRef.FindAllStringSubmatch(format, -1) {
		e.Fields = append(e.Fields, m[1])
	}
	return e
}

// Text is the message with each field named by name(field).
func (e *ProposalError) Text(name func(field string) string) string {
	format := fieldRef.ReplaceAllStringFunc(e.format, func(ref string) string {
		return strings.ReplaceAll(name(strings.Trim(ref, "{}")), "%", "%%")
	})
	return fmt.Sprintf(format, e.args...)
}

func (e *ProposalError) Error() string {
	return e.Text(func(field string) string { return field })
}

// Changes turns a proposal into the changes Judge takes, one per AMI and
// grantee (a launch permission, and with CreateVolumePermission a
// createVolumePermission on the AMI's snapshots), one copy per AMI, then the
// plan's changes. With ShareCopy, each launch permission shares the copy of
// its AMI (see ShareCopy), judged on the key AWS gives the copy.
//
// A proposal that asks for nothing, or for what AWS cannot do, is a
// *ProposalError: a createVolumePermission names accounts only
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVolumePermission.html),
// a public launch permission is the group all, not a grantee
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_LaunchPermission.html),
// and a copy's snapshots exist only once it is made, so their permissions
// cannot be proposed with it. The changes it builds pass CheckChange (the
// plan's were checked by ParsePlan); an error of CheckChange (no region) is
// returned as it is.
func Changes(p Proposal) ([]snapshot.ProposedChange, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	grantees := append([]string(nil), p.ShareWith...)
	if p.Public {
		grantees = append(grantees, snapshot.GroupAll)
	}
	var out []snapshot.ProposedChange
	for _, img := range p.Images {
		base := snapshot.ProposedChange{Source: "flags", ImageID: img, Region: p.Region}
		for _, g := range grantees {
			c := base
			c.Kind, c.Grantee = snapshot.ChangeLaunchPermission, g
			if p.ShareCopy {
				// Share the copy below, not the source: a placeholder image in
				// the destination that Judge builds as CopyImage will make it.
				cp := base
				cp.Kind, cp.DestinationRegion = snapshot.ChangeCopy, p.CopyTo
				ShareCopy(&c, cp)
			}
			out = append(out, c)
			if p.CreateVolumePermission {
				v := base
				v.Kind, v.Grantee = snapshot.ChangeCreateVolumePermission, g
				out = append(out, v)
			}
		}
		if p.CopyTo != "" {
			c := base
			c.Kind, c.DestinationRegion, c.KMSKeyID = snapshot.ChangeCopy, p.CopyTo, p.KMSKeyID
			if p.Encrypted != nil {
				enc := *p.Encrypted
				c.Encrypted = &enc
			}
			out = append(out, c)
		}
	}
	for _, c := range out {
		if err := CheckChange(c); err != nil {
			return nil, err
		}
	}
	out = append(out, p.Plan...)
	return out, nil
}

// check refuses a proposal that asks for nothing or for what AWS cannot do.
func (p *Proposal) check() error {
	shares := len(p.ShareWith) > 0 || p.Public
	if len(p.Images) == 0 && (shares || p.CreateVolumePermission || p.CopyTo != "") {
		return proposalError("{ShareWith}, {Public}, {CreateVolumePermission} and {CopyTo} need {Images}")
	}
	if p.CreateVolumePermission && !shares {
		return proposalError("{CreateVolumePermission} grants to the {ShareWith} grantees (or {Public}): name some")
	}
	if (p.Encrypted != nil || p.KMSKeyID != "") && p.CopyTo == "" {
		return proposalError("{Encrypted} and {KMSKeyID} describe a copy: add {CopyTo}")
	}
	if p.ShareCopy && (p.CopyTo == "" || !shares) {
		return proposalError("{ShareCopy} shares the copy that {CopyTo} makes with the {ShareWith} grantees (or {Public}): give both")
	}
	if p.ShareCopy && p.CreateVolumePermission {
		return proposalError("{ShareCopy} with {CreateVolumePermission} is not supported: the copy's snapshots exist only after it is made; gate their permissions then")
	}
	for _, g := range p.ShareWith {
		if g == snapshot.GroupAll {
			return proposalError("{ShareWith} %s: a public launch permission is {Public}", snapshot.GroupAll)
		}
		if err := CheckGrantee(snapshot.ChangeLaunchPermission, g); err != nil {
			return proposalError("{ShareWith}: %v", err)
		}
		if p.CreateVolumePermission {
			if err := CheckGrantee(snapshot.ChangeCreateVolumePermission, g); err != nil {
				return proposalError("{CreateVolumePermission}: {ShareWith} %q: a snapshot's createVolumePermission names accounts only (or %s, with {Public}), not an organization or OU", g, snapshot.GroupAll)
			}
		}
	}
	for _, img := range p.Images {
		if !awsid.IsImageID(img) {
			return proposalError("{Images} %q is not an AMI ID (ami-…)", img)
		}
	}
	if len(p.Images) > 0 && !shares && p.CopyTo == "" && len(p.Plan) == 0 {
		return proposalError("nothing to gate: propose {ShareWith}, {Public}, {CopyTo} or a {Plan}")
	}
	if len(p.Images) == 0 && len(p.Plan) == 0 {
		return proposalError("nothing to gate: give {Images} with a proposed change, or {Plan}")
	}
	return nil
}
