package access

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/amiaudit/amiaudit/snapshot"
)

const (
	owner    = "111111111111"
	member   = "222222222222"
	nested   = "333333333333"
	outsider = "999988887777"
	orgID    = "o-exampleorg1"
	keyARN   = "arn:aws:kms:us-east-1:111111111111:key/k1"
	parentOU = "ou-ab12-parent01"
	childOU  = "ou-ab12-child001"
)

// org: owner at the root, member in parentOU, nested in childOU (inside parentOU).
func testOrg() *snapshot.Organization {
	return &snapshot.Organization{
		ID: orgID, ARN: "arn:aws:organizations::111111111111:organization/" + orgID,
		Accounts: []snapshot.OrgAccount{{ID: owner, ParentOU: "r-ab12"}, {ID: member, ParentOU: parentOU}, {ID: nested, ParentOU: childOU}},
		OrganizationalUnits: []snapshot.OrganizationalUnit{
			{ID: parentOU, ARN: "arn:aws:organizations::111111111111:ou/" + orgID + "/" + parentOU, Parent: "r-ab12"},
			{ID: childOU, ARN: "arn:aws:organizations::111111111111:ou/" + orgID + "/" + childOU, Parent: parentOU},
		},
	}
}

func TestOrgTreeUnderAndPaths(t *testing.T) {
	org := NewOrg(testOrg())
	ouARN := "arn:aws:organizations::111111111111:ou/" + orgID + "/" + parentOU
	cases := []struct {
		account, target string
		want            Tri
	}{
		{nested, ouARN, Yes},   // nested OUs are covered (share-amis-with-organizations-and-OUs.html)
		{nested, childOU, Yes}, // the OU itself
		{member, childOU, No},  // a parent is not under its child
		{owner, parentOU, No},  // root-level account
		{owner, orgID, Yes},    // every member is under the organization
		{owner, "r-ab12", Yes}, // and under the root
		{outsider, orgID, No},  // the member list is complete
		{member, "arn:aws:organizations::888888888888:ou/o-foreign0001/ou-zz", No},        // one organization per account
		{outsider, "arn:aws:organizations::888888888888:ou/o-foreign0001/ou-zz", Unknown}, // a foreign tree is unknown
	}
	for _, c := range cases {
		if got := org.Under(c.account, c.target); got != c.want {
			t.Errorf("Under(%s, %s) = %s, want %s", c.account, c.target, got, c.want)
		}
	}
	// aws:PrincipalOrgPaths: o-…/r-…/ou-…/…/ (reference_policies_condition-keys.html#condition-keys-principalorgpaths)
	if p, ok := org.Path(nested); !ok || p != orgID+"/r-ab12/"+parentOU+"/"+childOU+"/" {
		t.Errorf("Path(nested) = %q, %v", p, ok)
	}
	if p, ok := org.Path(owner); !ok || p != orgID+"/r-ab12/" {
		t.Errorf("Path(owner) = %q, %v", p, ok)
	}
	under, unknown := org.MembersUnder(ouARN)
	if !slices.Equal(under, []string{member, nested}) || len(unknown) != 0 {
		t.Errorf("MembersUnder(parent) = %v, %v", under, unknown)
	}
	var nilOrg *Org
	if nilOrg.Under(member, orgID) != Unknown {
		t.Error("an organization that could not be read answers Unknown")
	}
}

func TestOrgTreeBrokenChainIsUnknown(t *testing.T) {
	o := testOrg()
	o.OrganizationalUnits = o.OrganizationalUnits[:1] // childOU not listed
	org := NewOrg(o)
	if got := org.Under(nested, parentOU); got != Unknown {
		t.Errorf("Under with an unlisted OU = %s, want unknown", got)
	}
	if _, ok := org.Path(nested); ok {
		t.Error("Path with an unlisted OU must be unknown")
	}
	under, unknown := org.MembersUnder(parentOU)
	if !slices.Equal(under, []string{member}) || !slices.Equal(unknown, []string{nested}) {
		t.Errorf("MembersUnder = %v, %v", under, unknown)
	}
}

func TestTarget(t *testing.T) {
	for in, want := range map[string][2]string{
		"arn:aws:organizations::111111111111:organization/o-abc": {"o-abc", "o-abc"},
		"arn:aws:organizations::111111111111:ou/o-abc/ou-x":      {"o-abc", "ou-x"},
		"arn:aws:organizations::111111111111:root/o-abc/r-ab12":  {"o-abc", "r-ab12"},
		"ou-x":  {"", "ou-x"},
		"o-abc": {"o-abc", "o-abc"},
	} {
		if o, id := Target(in); o != want[0] || id != want[1] {
			t.Errorf("Target(%s) = %s, %s", in, o, id)
		}
	}
}

func TestContextThroughEC2(t *testing.T) {
	org := NewOrg(testOrg())
	c := CallerFor(org, nested)
	ctx := c.Context("kms:CreateGrant", "eu-west-1", owner, ViaEC2)
	want := map[string]string{
		"kms:calleraccount":         nested,
		"aws:principalaccount":      nested,
		"kms:viaservice":            "ec2.eu-west-1.amazonaws.com", // conditions-kms.html#conditions-kms-via-service
		"kms:grantisforawsresource": "true",                        // conditions-kms.html#conditions-kms-grant-is-for-aws-resource
		"aws:principalorgid":        orgID,
		"aws:principalorgpaths":     orgID + "/r-ab12/" + parentOU + "/" + childOU + "/",
		"aws:viaawsservice":         "true",
	}
	for k, v := range want {
		if got := ctx.Values[k]; len(got) != 1 || got[0] != v {
			t.Errorf("%s = %v, want %s", k, got, v)
		}
	}
	if _, ok := ctx.Values["aws:sourceip"]; ok || ctx.Absent["aws:sourceip"] {
		t.Error("aws:SourceIp must stay unknown")
	}
	out := CallerFor(org, outsider).Context("kms:Decrypt", "eu-west-1", owner, Direct)
	if !out.Absent["aws:principalorgid"] || !out.Absent["kms:viaservice"] || !out.Absent["kms:grantisforawsresource"] {
		t.Errorf("non-member, direct call: want org ID, ViaService and GrantIsForAWSResource absent, got %+v", out.Absent)
	}
	unknown := CallerFor(nil, member).Context("kms:Decrypt", "eu-west-1", owner, ViaEC2)
	if _, ok := unknown.Values["aws:principalorgid"]; ok || unknown.Absent["aws:principalorgid"] {
		t.Error("without the organization, aws:PrincipalOrgID is unknown")
	}
}

func policy(statements ...map[string]any) string {
	all := append([]map[string]any{{"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::" + owner + ":root"}, "Action": "kms:*", "Resource": "*"}}, statements...)
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": all})
	return string(b)
}

func key(pol string, grants ...snapshot.Grant) *Key {
	return NewKey(&snapshot.Key{ARN: keyARN, ID: "k1", Account: owner, Region: "us-east-1", KeyManager: "CUSTOMER", Policy: pol, Grants: grants})
}

var launchAll = []string{"kms:DescribeKey", "kms:CreateGrant", "kms:GenerateDataKey*", "kms:ReEncrypt*", "kms:Decrypt"}

func TestLaunch(t *testing.T) {
	org := NewOrg(testOrg())
	orgGuard := map[string]any{"Sid": "DenyOutsideOrg", "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
		"Condition": map[string]any{"StringNotEquals": map[string]any{"aws:PrincipalOrgID": orgID}}}
	allowOutsider := map[string]any{"Sid": "Partner", "Effect": "Allow", "Principal": map[string]any{"AWS": outsider}, "Action": "kms:*", "Resource": "*"}
	allGrant := snapshot.Grant{GrantID: "g1", GranteePrincipal: "arn:aws:iam::" + outsider + ":root", Operations: []string{"CreateGrant", "Decrypt", "DescribeKey", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo"}}
	cases := []struct {
		name      string
		key       *Key
		account   string
		want      Outcome
		statement string
	}{
		// key-policy-modifying-external-accounts.html: the account root principal delegates to the account.
		{"named account", key(policy(allowOutsider)), outsider, Allowed, "Partner"},
		// reference_policies_evaluation-logic.html: an explicit Deny wins over an Allow.
		{"deny outside org guard", key(policy(allowOutsider, orgGuard)), outsider, Denied, "DenyOutsideOrg"},
		{"grant", key(policy(), allGrant), outsider, Allowed, "grant g1"},
		// An explicit Deny in the key policy overrides a grant too.
		{"guard over grant", key(policy(orgGuard), allGrant), outsider, Denied, "DenyOutsideOrg"},
		{"nothing", key(policy()), member, Denied, ""},
		// allow-org-ou-to-use-key.html: OU paths with /* cover the OU and its descendants.
		{"org path parent covers child", key(policy(map[string]any{"Sid": "OU", "Effect": "Allow", "Principal": "*", "Action": launchAll, "Resource": "*",
			"Condition": map[string]any{"StringEquals": map[string]any{"aws:PrincipalOrgID": orgID}, "ForAnyValue:StringLike": map[string]any{"aws:PrincipalOrgPaths": orgID + "/r-ab12/" + parentOU + "/*"}}})), nested, Allowed, "OU"},
		{"org path child excludes parent", key(policy(map[string]any{"Sid": "OU", "Effect": "Allow", "Principal": "*", "Action": launchAll, "Resource": "*",
			"Condition": map[string]any{"ForAnyValue:StringLike": map[string]any{"aws:PrincipalOrgPaths": orgID + "/r-ab12/" + parentOU + "/" + childOU + "/*"}}})), member, Denied, ""},
		// conditions-kms.html#conditions-kms-via-service: a statement for rds.* does not serve EC2.
		{"via service rds", key(policy(map[string]any{"Sid": "Rds", "Effect": "Allow", "Principal": map[string]any{"AWS": member}, "Action": "kms:*", "Resource": "*",
			"Condition": map[string]any{"StringLike": map[string]any{"kms:ViaService": "rds.*.amazonaws.com"}}})), member, Denied, ""},
		{"source ip is undetermined", key(policy(map[string]any{"Sid": "Office", "Effect": "Allow", "Principal": map[string]any{"AWS": member}, "Action": "kms:*", "Resource": "*",
			"Condition": map[string]any{"IpAddress": map[string]any{"aws:SourceIp": "203.0.113.0/24"}}})), member, Undetermined, "Office"},
		// A role named in the policy can launch even when the account as a whole cannot.
		{"named role", key(policy(map[string]any{"Sid": "Launcher", "Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::" + member + ":role/launcher"}, "Action": "kms:*", "Resource": "*"})), member, Allowed, "Launcher"},
		// share-kms-key.html: CreateGrant through kms:GrantIsForAWSResource is enough for EBS.
		{"create grant for AWS resource", key(policy(
			map[string]any{"Sid": "Use", "Effect": "Allow", "Principal": map[string]any{"AWS": member}, "Action": []string{"kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey*", "kms:ReEncrypt*"}, "Resource": "*"},
			map[string]any{"Sid": "Attach", "Effect": "Allow", "Principal": map[string]any{"AWS": member}, "Action": "kms:CreateGrant", "Resource": "*", "Condition": map[string]any{"Bool": map[string]any{"kms:GrantIsForAWSResource": true}}},
		)), member, Allowed, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := c.key.Launch(CallerFor(org, c.account))
			if a.Outcome != c.want {
				t.Fatalf("outcome %s, want %s (missing %v, undetermined %v, %+v)", a.Outcome, c.want, a.Missing, a.Undetermined, a.Deciding)
			}
			if c.statement != "" && a.Deciding.Statement != c.statement {
				t.Errorf("deciding statement %q, want %q (%s)", a.Deciding.Statement, c.statement, a.Deciding.Reason)
			}
		})
	}
}

func TestLaunchByOrgAndOU(t *testing.T) {
	org := NewOrg(testOrg())
	k := key(policy(map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": nested}, "Action": "kms:*", "Resource": "*"}))
	subjects := k.LaunchBy(org, "ou", "arn:aws:organizations::111111111111:ou/"+orgID+"/"+parentOU)
	got := map[string]Outcome{}
	for _, s := range subjects {
		got[s.Account] = s.Access.Outcome
	}
	if len(got) != 2 || got[member] != Denied || got[nested] != Allowed {
		t.Errorf("LaunchBy(parent OU) = %v", got)
	}
	foreign := k.LaunchBy(org, "organization", "arn:aws:organizations::888888888888:organization/o-foreign0001")
	if len(foreign) != 1 || !foreign[0].Witness || !strings.Contains(foreign[0].Description, "o-foreign0001") {
		t.Errorf("foreign organization: %+v", foreign)
	}
}

func witnessOf(ws []Witness, kind string) (Witness, bool) {
	for _, w := range ws {
		if w.Kind == kind {
			return w, true
		}
	}
	return Witness{}, false
}

func TestWhoCanUse(t *testing.T) {
	org := NewOrg(testOrg())
	trusted := map[string]bool{}
	open := func(cond map[string]any) string {
		st := map[string]any{"Sid": "S", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}
		if cond != nil {
			st["Condition"] = cond
		}
		return policy(st)
	}
	t.Run("all but one account", func(t *testing.T) {
		ws := key(open(map[string]any{"StringNotEquals": map[string]any{"kms:CallerAccount": outsider}})).WhoCanUse(org, trusted)
		named, _ := witnessOf(ws, "account")
		if named.Value != outsider || named.Access.Outcome != Denied {
			t.Errorf("the excluded account: %+v", named)
		}
		if u, _ := witnessOf(ws, "unnamed-account"); u.Access.Outcome != Allowed || u.Access.Deciding.Statement != "S" {
			t.Errorf("an unnamed account: %+v", u)
		}
	})
	t.Run("wildcard organization", func(t *testing.T) {
		ws := key(open(map[string]any{"StringLike": map[string]any{"aws:PrincipalOrgID": "o-*"}})).WhoCanUse(org, trusted)
		if u, _ := witnessOf(ws, "unnamed-account"); u.Access.Outcome != Denied {
			t.Errorf("an account in no organization: %+v", u)
		}
		if f, _ := witnessOf(ws, "unnamed-organization"); f.Access.Outcome != Allowed {
			t.Errorf("an account of a foreign organization: %+v", f)
		}
	})
	t.Run("own organization only", func(t *testing.T) {
		ws := key(open(map[string]any{"StringEquals": map[string]any{"aws:PrincipalOrgID": orgID}})).WhoCanUse(org, trusted)
		for _, w := range ws {
			if strings.HasPrefix(w.Kind, "unnamed") && w.Access.Outcome != Denied {
				t.Errorf("%s: %+v", w.Description, w.Access)
			}
		}
	})
	t.Run("account pattern witness", func(t *testing.T) {
		ws := key(open(map[string]any{"StringLike": map[string]any{"kms:CallerAccount": "2222*"}})).WhoCanUse(org, map[string]bool{member: true})
		found := false
		for _, w := range ws {
			if strings.Contains(w.Description, "2222*") {
				found = true
				if w.Value == member || !strings.HasPrefix(w.Value, "2222") || w.Access.Outcome != Allowed {
					t.Errorf("pattern witness %+v", w)
				}
			}
		}
		if !found {
			t.Error("no witness for the account pattern")
		}
	})
	t.Run("foreign org paths irrelevant", func(t *testing.T) {
		ws := key(open(map[string]any{"ForAnyValue:StringLike": map[string]any{"aws:PrincipalOrgPaths": orgID + "/r-ab12/*"}})).WhoCanUse(org, trusted)
		if f, _ := witnessOf(ws, "unnamed-organization"); f.Access.Outcome != Denied {
			t.Errorf("a foreign organization's paths never begin with ours: %+v", f.Access)
		}
	})
	t.Run("foreign org paths unknown", func(t *testing.T) {
		ws := key(open(map[string]any{"ForAnyValue:StringLike": map[string]any{"aws:PrincipalOrgPaths": "o-*/r-*/ou-shared/*"}})).WhoCanUse(org, trusted)
		if f, _ := witnessOf(ws, "unnamed-organization"); f.Access.Outcome == Denied {
			t.Errorf("a wildcard path may match a foreign organization: %+v", f.Access)
		}
	})
}

// FuzzKeyModel: whatever the policy, building the model and asking it every
// question neither panics nor loops.
func FuzzKeyModel(f *testing.F) {
	f.Add(policy(), "o-*", "1111*")
	f.Add(`{"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"1"},"NotAction":"kms:x","Resource":"*","Condition":{"StringLike":{"aws:PrincipalOrgPaths":["o-*/r-?/*"]}}}}`, "", "")
	f.Fuzz(func(t *testing.T, pol, orgPattern, acctPattern string) {
		k := key(pol)
		if k.Policy == nil {
			k = key(policy(map[string]any{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*",
				"Condition": map[string]any{"StringLike": map[string]any{"aws:PrincipalOrgID": orgPattern, "kms:CallerAccount": acctPattern}}}))
		}
		start := time.Now()
		org := NewOrg(testOrg())
		_ = k.WhoCanUse(org, nil)
		_ = k.LaunchBy(org, "ou", parentOU)
		_ = k.LaunchBy(nil, "organization", "o-foreign0001")
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("the model took %v on %q", d, pol)
		}
	})
}

// A snapshot that kept only the normalised statements is judged the same.
func TestPolicyRebuiltFromStatements(t *testing.T) {
	pol := policy(map[string]any{"Sid": "Partner", "Effect": "Allow", "Principal": map[string]any{"AWS": outsider}, "Action": "kms:*", "Resource": "*",
		"Condition": map[string]any{"StringEquals": map[string]any{"kms:ViaService": "ec2.us-east-1.amazonaws.com"}}})
	sts, err := snapshot.ParsePolicy(pol)
	if err != nil {
		t.Fatal(err)
	}
	k := NewKey(&snapshot.Key{ARN: keyARN, Account: owner, Region: "us-east-1", PolicyStatements: sts})
	if k.Policy == nil {
		t.Fatal(k.PolicyError)
	}
	if a := k.Launch(CallerFor(NewOrg(testOrg()), outsider)); a.Outcome != Allowed || a.Deciding.Statement != "Partner" {
		t.Errorf("rebuilt policy: %+v", a)
	}
	if a := NewKey(&snapshot.Key{ARN: keyARN, Account: owner}).Launch(Caller{Account: outsider}); a.Outcome != Undetermined {
		t.Errorf("unread policy: %+v", a)
	}
}

// A policy variable reads the same context as a condition key: the model
// keeps the keys variables name (reference_policies_variables.html).
func TestPolicyVariablesSeeTheContext(t *testing.T) {
	k := key(policy(map[string]any{"Sid": "Self", "Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*",
		"Condition": map[string]any{"StringEquals": map[string]any{"aws:ResourceAccount": "${aws:PrincipalAccount}"}}}))
	if a := k.Launch(CallerFor(NewOrg(testOrg()), outsider)); a.Outcome != Denied {
		t.Errorf("an outsider is not the key's account: %+v", a)
	}
}

// A grant allows only when no Deny of the key policy may apply: a Deny on a
// condition the snapshot cannot tell makes the grant's answer undetermined
// (key-policies.html: "explicitly allowed, and never denied").
func TestGrantUnderAnUnknownDeny(t *testing.T) {
	grant := snapshot.Grant{GrantID: "g1", GranteePrincipal: "arn:aws:iam::" + outsider + ":root", Operations: []string{"Decrypt"}}
	deny := map[string]any{"Sid": "OfficeOnly", "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
		"Condition": map[string]any{"NotIpAddress": map[string]any{"aws:SourceIp": "203.0.113.0/24"}}}
	j := key(policy(deny), grant).Judge(CallerFor(NewOrg(testOrg()), outsider), "kms:Decrypt", Direct)
	if j.Outcome != Undetermined || j.Statement != "OfficeOnly" || !strings.Contains(j.Condition, "aws:SourceIp") {
		t.Errorf("grant under an unknown Deny: %+v", j)
	}
	if j := key(policy(), grant).Judge(CallerFor(NewOrg(testOrg()), outsider), "kms:Decrypt", Direct); j.Outcome != Allowed || j.Statement != "grant g1" {
		t.Errorf("grant alone: %+v", j)
	}
}

func TestOUPath(t *testing.T) {
	for in, want := range map[string]string{
		"o-a/r-ab12/ou-ab12-1/*":          "o-a/r-ab12/ou-ab12-1/",
		"o-a/r-ab12/ou-ab12-1/ou-ab12-2/": "o-a/r-ab12/ou-ab12-1/ou-ab12-2/",
		"o-a/r-ab12/ou-ab12-1/ou-*":       "o-a/r-ab12/ou-ab12-1/",
		"o-a/*/ou-ab12-1/":                "",
		"o-a/r-ab12/":                     "",
	} {
		if got := ouPath(in); got != want {
			t.Errorf("ouPath(%s) = %q, want %q", in, got, want)
		}
	}
}
