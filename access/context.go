package access

import (
	"strings"

	"github.com/amiaudit/amiaudit/iampolicy"
)

// LaunchActions are what a grantee needs on the key of an encrypted snapshot
// to launch (or copy) a shared AMI, as AWS documents them for users of a shared
// customer managed key: kms:DescribeKey, kms:CreateGrant, kms:GenerateDataKey,
// kms:GenerateDataKeyWithoutPlaintext, kms:ReEncrypt (ReEncryptFrom and
// ReEncryptTo, the actions behind kms:ReEncrypt*) and kms:Decrypt
// (https://docs.aws.amazon.com/ebs/latest/userguide/share-kms-key.html).
// The EC2 guide's example statement for organizations and OUs
// (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/allow-org-ou-to-use-key.html)
// lists Describe*, List*, Get*, Encrypt, Decrypt, ReEncrypt* and
// GenerateDataKey* without CreateGrant; EBS creates a grant when it attaches a
// volume made from the snapshot, so the EBS list is the one judged.
var LaunchActions = []string{
	"kms:CreateGrant",
	"kms:Decrypt",
	"kms:DescribeKey",
	"kms:GenerateDataKey",
	"kms:GenerateDataKeyWithoutPlaintext",
	"kms:ReEncryptFrom",
	"kms:ReEncryptTo",
}

// UseActions are the cryptographic operations through which a principal can
// read what a key protects; kms:CreateGrant is one because a grant can give its
// creator's operations to anyone
// (https://docs.aws.amazon.com/kms/latest/developerguide/grants.html).
var UseActions = []string{
	"kms:CreateGrant",
	"kms:Decrypt",
	"kms:Encrypt",
	"kms:GenerateDataKey",
	"kms:GenerateDataKeyWithoutPlaintext",
	"kms:ReEncryptFrom",
	"kms:ReEncryptTo",
}

// Channel is how a request reaches KMS.
type Channel int8

const (
	// ViaEC2 is EC2 (EBS) calling KMS on the caller's behalf while it launches,
	// copies or creates a volume: kms:ViaService is ec2.REGION.amazonaws.com.
	ViaEC2 Channel = iota
	// Direct is the caller calling KMS itself (the AWS CLI, an SDK).
	Direct
)

func (c Channel) String() string {
	if c == ViaEC2 {
		return "through EC2"
	}
	return "calling KMS directly"
}

// Caller is who makes a request, with what the model knows of its
// organization. OrgID "" with OrgKnown true is an account in no organization
// (aws:PrincipalOrgID is then absent); OrgKnown false leaves the keys unknown.
type Caller struct {
	Account string
	// ARN is the principal; "" stands for a principal of Account that the
	// policy does not name individually (its aws:PrincipalArn is unknown).
	ARN        string
	OrgID      string
	OrgKnown   bool
	OrgPaths   []string
	PathsKnown bool
}

// Context builds the request context AWS evaluates when Caller's request for
// action on a key in region reaches KMS through channel. What the model cannot
// know (aws:SourceIp, aws:PrincipalTag/…, the encryption context, the time, …)
// is left out, so that a condition on it is undetermined.
// Keys and values: https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html
// and https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html.
func (c Caller) Context(action, region, keyAccount string, ch Channel) iampolicy.Context {
	return c.context(region, keyAccount, ch, strings.EqualFold(action, "kms:CreateGrant"), nil)
}

// contexts are a caller's request contexts for one key, built when first
// needed and shared by the actions it is asked about (the evaluator only reads
// them): by channel, and for kms:CreateGrant or another action. They hold
// only the condition keys the key's policy tests: the others cannot change
// the answer, and building full maps for every principal of every key would
// cost more than evaluating the policies.
type contexts struct {
	c                  Caller
	region, keyAccount string
	want               map[string]bool
	built              [2][2]*iampolicy.Context
}

func (c Caller) contexts(region, keyAccount string, want map[string]bool) *contexts {
	return &contexts{c: c, region: region, keyAccount: keyAccount, want: want}
}

func (cs *contexts) get(action string, ch Channel) iampolicy.Context {
	g := 0
	if strings.EqualFold(action, "kms:CreateGrant") {
		g = 1
	}
	if cs.built[ch][g] == nil {
		ctx := cs.c.context(cs.region, cs.keyAccount, ch, g == 1, cs.want)
		cs.built[ch][g] = &ctx
	}
	return *cs.built[ch][g]
}

// context fills the maps directly with lower-cased keys: it runs for every
// principal the model asks about, and Set's lower-casing would dominate.
func (c Caller) context(region, keyAccount string, ch Channel, createGrant bool, want map[string]bool) iampolicy.Context {
	n := len(want)
	if want == nil {
		n = 24
	}
	v := make(map[string][]string, n)
	a := make(map[string]bool, n)
	set := func(k string, vals ...string) {
		if want == nil || want[k] {
			v[k] = vals
		}
	}
	absent := func(k string) {
		if want == nil || want[k] {
			a[k] = true
		}
	}
	set("kms:calleraccount", c.Account)
	set("aws:principalaccount", c.Account)
	set("aws:resourceaccount", keyAccount)
	set("aws:requestedregion", region)
	// AWS API endpoints, KMS's included, accept only TLS.
	set("aws:securetransport", "true")
	// An IAM principal, not a service principal, makes the request.
	set("aws:principalisawsservice", "false")
	absent("aws:principalservicename")
	absent("aws:principalservicenameslist")
	if c.ARN != "" {
		set("aws:principalarn", c.ARN)
	}
	if c.OrgKnown {
		if c.OrgID != "" {
			set("aws:principalorgid", c.OrgID)
		} else {
			absent("aws:principalorgid")
			absent("aws:principalorgpaths")
		}
	}
	if c.PathsKnown && c.OrgID != "" {
		set("aws:principalorgpaths", c.OrgPaths...)
	}
	switch ch {
	case ViaEC2:
		// EBS calls KMS with a forward access session: kms:ViaService names
		// the EC2 endpoint of the region and aws:ViaAWSService is true
		// (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_forward_access_sessions.html).
		set("kms:viaservice", "ec2."+region+".amazonaws.com")
		set("aws:viaawsservice", "true")
	case Direct:
		absent("kms:viaservice")
		set("aws:viaawsservice", "false")
		absent("aws:calledvia")
		absent("aws:calledviafirst")
		absent("aws:calledvialast")
	}
	// kms:GrantIsForAWSResource exists only on CreateGrant, ListGrants and
	// RevokeGrant, and is true when an integrated service (here EBS) asks.
	if createGrant {
		if ch == ViaEC2 {
			set("kms:grantisforawsresource", "true")
		} else {
			set("kms:grantisforawsresource", "false")
		}
	} else {
		for _, k := range []string{"kms:grantisforawsresource", "kms:grantoperations", "kms:granteeprincipal", "kms:retiringprincipal", "kms:grantconstrainttype"} {
			absent(k)
		}
	}
	return iampolicy.Context{Values: v, Absent: a}
}
