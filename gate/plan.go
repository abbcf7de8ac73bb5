package gate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"github.com/amiaudit/amiaudit/internal/awsid"
	"github.com/amiaudit/amiaudit/snapshot"
)

// PlanError says where a Terraform plan is wrong.
type PlanError struct {
	File    string
	Address string
	Msg     string
}

func (e *PlanError) Error() string {
	if e.Address != "" {
		return fmt.Sprintf("%s: %s: %s", e.File, e.Address, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// The resource types a plan can propose that matter to a share.
const (
	tfLaunchPermission = "aws_ami_launch_permission"
	tfVolumePermission = "aws_snapshot_create_volume_permission"
	tfAMICopy          = "aws_ami_copy"
	tfKMSGrant         = "aws_kms_grant"
	tfKMSKey           = "aws_kms_key"
)

type plan struct {
	FormatVersion   string           `json:"format_version"`
	ResourceChanges []resourceChange `json:"resource_changes"`
	// Configuration is what the Terraform code says, as opposed to the
	// planned values, which fill in the provider's defaults.
	Configuration struct {
		RootModule configModule `json:"root_module"`
	} `json:"configuration"`
}

// configModule is a module of the plan's configuration section.
type configModule struct {
	Resources []struct {
		Address     string                     `json:"address"`
		Expressions map[string]json.RawMessage `json:"expressions"`
	} `json:"resources"`
	ModuleCalls map[string]struct {
		Module configModule `json:"module"`
	} `json:"module_calls"`
}

// written is the value of attribute key as the configuration writes it for
// the resource at address: a constant (ok) or an expression Terraform
// resolves later (ok, value nil). An attribute the configuration does not
// write gives ok false: its planned value is the provider's default.
func (m configModule) written(prefix, address, key string) (value any, ok bool) {
	for _, r := range m.Resources {
		if prefix+r.Address != address {
			continue
		}
		raw, present := r.Expressions[key]
		if !present {
			return nil, false
		}
		var e struct {
			ConstantValue any `json:"constant_value"`
		}
		_ = json.Unmarshal(raw, &e)
		return e.ConstantValue, true
	}
	for name, call := range m.ModuleCalls {
		if v, ok := call.Module.written(prefix+"module."+name+".", address, key); ok {
			return v, ok
		}
	}
	return nil, false
}

// references lists the resources and attributes that the expression of
// attribute key of the resource at address (an instance key such as [0] is
// ignored) refers to, prefixed with the module path, as in
// {"references": ["aws_ami_copy.eu.id", "aws_ami_copy.eu"]}.
func (m configModule) references(prefix, address, key string) []string {
	for _, r := range m.Resources {
		if prefix+r.Address != baseAddress(address) {
			continue
		}
		var e struct {
			References []string `json:"references"`
		}
		_ = json.Unmarshal(r.Expressions[key], &e)
		var out []string
		for _, ref := range e.References {
			out = append(out, prefix+ref)
		}
		return out
	}
	for name, call := range m.ModuleCalls {
		if refs := call.Module.references(prefix+"module."+name+".", address, key); refs != nil {
			return refs
		}
	}
	return nil
}

// instanceKey matches the instance keys of a resource address ([0], ["a"]).
var instanceKey = regexp.MustCompile(`\[[^\]]*\]`)

// baseAddress drops the instance keys of a resource address.
func baseAddress(address string) string { return instanceKey.ReplaceAllString(address, "") }

// copyOf resolves a launch permission's image_id that is known only after
// apply to the aws_ami_copy of the same plan that it refers to, through the
// configuration's references. It returns the copy's address, or a message
// saying why it cannot.
func copyOf(p *plan, address string, copies map[string][]string) (string, string) {
	refs := p.Configuration.RootModule.references("", address, "image_id")
	for _, ref := range refs {
		i := strings.LastIndex(ref, tfAMICopy+".")
		if i < 0 || (i > 0 && !strings.HasSuffix(ref[:i], ".")) {
			continue
		}
		rest := ref[i+len(tfAMICopy)+1:]
		name, _, _ := strings.Cut(rest, ".")
		base := baseAddress(ref[:i] + tfAMICopy + "." + name)
		switch instances := copies[base]; len(instances) {
		case 0:
			return "", "image_id refers to " + base + ", which the plan does not create"
		case 1:
			return instances[0], ""
		default:
			return "", fmt.Sprintf("image_id refers to %s, which has %d instances: gate each instance's launch permission against a plan with one", base, len(instances))
		}
	}
	return "", ""
}

type resourceChange struct {
	Address string `json:"address"`
	Type    string `json:"type"`
	Mode    string `json:"mode"`
	Change  struct {
		Actions      []string        `json:"actions"`
		After        json.RawMessage `json:"after"`
		AfterUnknown json.RawMessage `json:"after_unknown"`
	} `json:"change"`
}

// ParsePlan reads the changes of a Terraform plan in JSON (terraform show
// -json PLAN). defaultRegion is the region of resources that do not name one
// (the provider's). Values Terraform only knows after apply make the plan
// impossible to judge, and are errors.
func ParsePlan(name string, data []byte, defaultRegion string) ([]snapshot.ProposedChange, error) {
	var p plan
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&p); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line := bytes.Count(data[:se.Offset], []byte("\n")) + 1
			return nil, &PlanError{File: fmt.Sprintf("%s:%d", name, line), Msg: "invalid JSON: " + se.Error()}
		}
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, &PlanError{File: name, Msg: "the JSON is truncated"}
		}
		return nil, &PlanError{File: name, Msg: "not a Terraform plan in JSON (terraform show -json PLAN): " + err.Error()}
	}
	if p.FormatVersion == "" {
		return nil, &PlanError{File: name, Msg: "no format_version: expected the output of terraform show -json PLAN"}
	}
	// The copies the plan creates, by address without instance keys, and the
	// region each copies into, for the launch permissions that share them.
	copies := map[string][]string{}
	copyOfAddress := map[string]snapshot.ProposedChange{}
	for _, rc := range p.ResourceChanges {
		if rc.Mode != "data" && rc.Type == tfAMICopy && contains(rc.Change.Actions, "create") {
			copies[baseAddress(rc.Address)] = append(copies[baseAddress(rc.Address)], rc.Address)
			var after map[string]any
			_ = json.Unmarshal(rc.Change.After, &after)
			region, _ := after["region"].(string)
			if region == "" {
				region = defaultRegion
			}
			copyOfAddress[rc.Address] = snapshot.ProposedChange{Source: name, Kind: snapshot.ChangeCopy, Address: rc.Address, DestinationRegion: region}
		}
	}
	var out []snapshot.ProposedChange
	for _, rc := range p.ResourceChanges {
		if rc.Mode == "data" || !creates(rc.Change.Actions) {
			continue
		}
		switch rc.Type {
		case tfLaunchPermission, tfVolumePermission, tfAMICopy, tfKMSGrant, tfKMSKey:
		default:
			continue
		}
		var after map[string]any
		if err := json.Unmarshal(rc.Change.After, &after); err != nil || after == nil {
			return nil, &PlanError{File: name, Address: rc.Address, Msg: "change.after is not an object"}
		}
		var unknown map[string]any
		_ = json.Unmarshal(rc.Change.AfterUnknown, &unknown)
		get := func(key string) (string, error) {
			if u, _ := unknown[key].(bool); u {
				return "", &PlanError{File: name, Address: rc.Address, Msg: key + " is known only after apply: gate a plan whose AMI, snapshot and key IDs are known (apply the image build first)"}
			}
			s, _ := after[key].(string)
			return s, nil
		}
		region, err := get("region")
		if err != nil {
			return nil, err
		}
		if region == "" {
			region = defaultRegion
		}
		c := snapshot.ProposedChange{Source: name, Address: rc.Address, Region: region}
		fields := map[string]*string{}
		switch rc.Type {
		case tfLaunchPermission:
			c.Kind = snapshot.ChangeLaunchPermission
			if u, _ := unknown["image_id"].(bool); u {
				// Sharing the copy the same plan makes: judged on the copy as
				// AWS will make it (a placeholder image in its region).
				copyAddr, why := copyOf(&p, rc.Address, copies)
				if why != "" {
					return nil, &PlanError{File: name, Address: rc.Address, Msg: why}
				}
				if copyAddr == "" {
					return nil, &PlanError{File: name, Address: rc.Address, Msg: "image_id is known only after apply and refers to no aws_ami_copy of the plan (the configuration section names no such reference): gate a plan whose AMI IDs are known (apply the image build first)"}
				}
				ShareCopy(&c, copyOfAddress[copyAddr])
			} else {
				fields["image_id"] = &c.ImageID
			}
			var set []string
			for _, k := range []string{"account_id", "group", "organization_arn", "organizational_unit_arn"} {
				v, err := get(k)
				if err != nil {
					return nil, err
				}
				if v == "" {
					continue
				}
				if err := checkPlanGrantee(k, v); err != nil {
					return nil, &PlanError{File: name, Address: rc.Address, Msg: err.Error()}
				}
				c.Grantee = v
				set = append(set, k)
			}
			if len(set) > 1 {
				return nil, &PlanError{File: name, Address: rc.Address, Msg: "sets " + strings.Join(set, " and ") + ": a launch permission names one grantee"}
			}
		case tfVolumePermission:
			c.Kind = snapshot.ChangeCreateVolumePermission
			fields["snapshot_id"] = &c.SnapshotID
			v, err := get("account_id")
			if err != nil {
				return nil, err
			}
			if v != "" {
				if err := checkPlanGrantee("account_id", v); err != nil {
					return nil, &PlanError{File: name, Address: rc.Address, Msg: err.Error()}
				}
			}
			c.Grantee = v
		case tfAMICopy:
			c.Kind = snapshot.ChangeCopy
			fields["source_ami_id"] = &c.ImageID
			fields["kms_key_id"] = &c.KMSKeyID
			src, err := get("source_ami_region")
			if err != nil {
				return nil, err
			}
			c.DestinationRegion, c.Region = region, src
			// The planned encrypted is false whenever the configuration leaves
			// it out (the provider's default), and AWS keeps a copy of an
			// encrypted AMI encrypted anyway: only what the configuration
			// writes is a request. true is a request wherever it appears.
			if enc, ok := after["encrypted"].(bool); ok && enc {
				c.Encrypted = &enc
			} else if v, written := p.Configuration.RootModule.written("", rc.Address, "encrypted"); written {
				// A constant, or an expression whose planned value is known.
				if enc, ok := v.(bool); ok {
					c.Encrypted = &enc
				} else if enc, ok := after["encrypted"].(bool); ok {
					c.Encrypted = &enc
				}
			}
		case tfKMSGrant:
			c.Kind = snapshot.ChangeKMSGrant
			fields["key_id"] = &c.KeyID
			fields["grantee_principal"] = &c.Grantee
			if ops, ok := after["operations"].([]any); ok {
				for _, op := range ops {
					if s, ok := op.(string); ok {
						c.Operations = append(c.Operations, s)
					}
				}
				sort.Strings(c.Operations)
			}
		case tfKMSKey:
			// Only a key that exists (an update) can encrypt an AMI today.
			if !contains(rc.Change.Actions, "update") {
				continue
			}
			c.Kind = snapshot.ChangeKeyPolicy
			fields["arn"] = &c.KeyID
			fields["policy"] = &c.Policy
		}
		for key, dst := range fields {
			v, err := get(key)
			if err != nil {
				return nil, err
			}
			*dst = v
		}
		if err := CheckChange(c); err != nil {
			return nil, &PlanError{File: name, Address: rc.Address, Msg: err.Error()}
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, &PlanError{File: name, Msg: "the plan creates or changes no AMI launch permission, snapshot permission, AMI copy, KMS grant or key policy: nothing to gate"}
	}
	return out, nil
}

func creates(actions []string) bool {
	return contains(actions, "create") || contains(actions, "update")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// CheckChange says what a change lacks.
func CheckChange(c snapshot.ProposedChange) error {
	need := func(v, what string) error {
		if v == "" {
			return fmt.Errorf("%s: no %s", c.Kind, what)
		}
		return nil
	}
	switch c.Kind {
	case snapshot.ChangeLaunchPermission:
		if err := need(c.ImageID, "image_id"); err != nil {
			return err
		}
		if err := need(c.Grantee, "grantee (account_id, group, organization_arn or organizational_unit_arn)"); err != nil {
			return err
		}
	case snapshot.ChangeCreateVolumePermission:
		if c.SnapshotID == "" && c.ImageID == "" {
			return fmt.Errorf("%s: no snapshot_id", c.Kind)
		}
		if err := need(c.Grantee, "account_id"); err != nil {
			return err
		}
	case snapshot.ChangeCopy:
		if err := need(c.ImageID, "source_ami_id"); err != nil {
			return err
		}
		return need(c.Region, "source_ami_region")
	case snapshot.ChangeKMSGrant:
		if err := need(c.KeyID, "key_id"); err != nil {
			return err
		}
		return need(c.Grantee, "grantee_principal")
	case snapshot.ChangeKeyPolicy:
		if err := need(c.KeyID, "arn"); err != nil {
			return err
		}
		if _, err := snapshot.ParsePolicy(c.Policy); err != nil {
			return fmt.Errorf("%s: %w", c.Kind, err)
		}
	}
	if c.Region == "" {
		return fmt.Errorf("%s: no region (pass --region)", c.Kind)
	}
	switch c.Kind {
	case snapshot.ChangeLaunchPermission, snapshot.ChangeCreateVolumePermission:
		if err := CheckGrantee(c.Kind, c.Grantee); err != nil {
			return fmt.Errorf("%s: %w", c.Kind, err)
		}
	}
	return nil
}

// The grantees the EC2 API takes. A launch permission names the group all,
// an account (UserId), an organization (OrganizationArn) or an OU
// (OrganizationalUnitArn):
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_LaunchPermission.html
// A createVolumePermission names the group all or an account (UserId):
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVolumePermission.html
const (
	accountGrantee = "a 12-digit account ID"
	orgGrantee     = "an organization ARN (arn:aws:organizations::MANAGEMENT-ACCOUNT:organization/o-…)"
	ouGrantee      = "an OU ARN (arn:aws:organizations::MANAGEMENT-ACCOUNT:ou/o-…/ou-…)"
	launchGrantees = accountGrantee + ", " + orgGrantee + ", " + ouGrantee + " or " + snapshot.GroupAll
	volumeGrantees = accountGrantee + " or " + snapshot.GroupAll
)

// CheckGrantee says whether grantee is one that a change of kind
// (launch-permission or create-volume-permission) can name, and if not, what
// was expected. Anything else would be judged as a grant AWS never makes.
func CheckGrantee(kind, grantee string) error {
	if grantee == snapshot.GroupAll || awsid.IsAccountID(grantee) {
		return nil
	}
	expected := volumeGrantees
	if kind == snapshot.ChangeLaunchPermission {
		if awsid.IsOrgARN(grantee) || awsid.IsOUARN(grantee) {
			return nil
		}
		expected = launchGrantees
	}
	return fmt.Errorf("grantee %q is not %s%s", grantee, expected, granteeHint(grantee))
}

// granteeHint points from an ID to the ARN AWS wants in its place.
func granteeHint(grantee string) string {
	switch {
	case awsid.IsOrgID(grantee):
		return " (" + grantee + " is an organization ID: give the organization's ARN)"
	case awsid.IsOUID(grantee):
		return " (" + grantee + " is an OU ID: give the OU's ARN)"
	}
	return ""
}

// checkPlanGrantee checks the value of a Terraform grantee attribute against
// what the attribute holds.
func checkPlanGrantee(attribute, v string) error {
	var ok bool
	var expected string
	switch attribute {
	case "account_id":
		ok, expected = awsid.IsAccountID(v), accountGrantee
	case "group":
		ok, expected = v == snapshot.GroupAll, snapshot.GroupAll
	case "organization_arn":
		ok, expected = awsid.IsOrgARN(v), orgGrantee
	case "organizational_unit_arn":
		ok, expected = awsid.IsOUARN(v), ouGrantee
	}
	if ok {
		return nil
	}
	return fmt.Errorf("%s %q: expected %s%s", attribute, v, expected, granteeHint(v))
}
