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
	var ctx iampolicy.Context
	ctx.Set("kms:CallerAccount", c.Account)
	ctx.Set("aws:PrincipalAccount", c.Account)
	ctx.Set("aws:ResourceAccount", keyAccount)
	ctx.Set("aws:RequestedRegion", region)
	// AWS API endpoints, KMS's included, accept only TLS.
	ctx.Set("aws:SecureTransport", "true")
	// An IAM principal, not a service principal, makes the request.
	ctx.Set("aws:PrincipalIsAWSService", "false")
	ctx.SetAbsent("aws:PrincipalServiceName")
	ctx.SetAbsent("aws:PrincipalServiceNamesList")
	if c.ARN != "" {
		ctx.Set("aws:PrincipalArn", c.ARN)
	}
	if c.OrgKnown {
		if c.OrgID != "" {
			ctx.Set("aws:PrincipalOrgID", c.OrgID)
		} else {
			ctx.SetAbsent("aws:PrincipalOrgID")
			ctx.SetAbsent("aws:PrincipalOrgPaths")
		}
	}
	if c.PathsKnown && c.OrgID != "" {
		ctx.Set("aws:PrincipalOrgPaths", c.OrgPaths...)
	}
	switch ch {
	case ViaEC2:
		// EBS calls KMS with a forward access session: kms:ViaService names
		// the EC2 endpoint of the region and aws:ViaAWSService is true
		// (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_forward_access_sessions.html).
		ctx.Set("kms:ViaService", "ec2."+region+".amazonaws.com")
		ctx.Set("aws:ViaAWSService", "true")
	case Direct:
		ctx.SetAbsent("kms:ViaService")
		ctx.Set("aws:ViaAWSService", "false")
		ctx.SetAbsent("aws:CalledVia")
		ctx.SetAbsent("aws:CalledViaFirst")
		ctx.SetAbsent("aws:CalledViaLast")
	}
	// kms:GrantIsForAWSResource exists only on CreateGrant, ListGrants and
	// RevokeGrant, and is true when an integrated service (here EBS) asks.
	if strings.EqualFold(action, "kms:CreateGrant") {
		ctx.Set("kms:GrantIsForAWSResource", map[bool]string{true: "true", false: "false"}[ch == ViaEC2])
	} else {
		ctx.SetAbsent("kms:GrantIsForAWSResource")
		for _, k := range []string{"kms:GrantOperations", "kms:GranteePrincipal", "kms:RetiringPrincipal", "kms:GrantConstraintType"} {
			ctx.SetAbsent(k)
		}
	}
	return ctx
}
