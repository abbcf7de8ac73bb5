package gate

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/amiaudit/amiaudit/finding"
	"github.com/amiaudit/amiaudit/rules"
	"github.com/amiaudit/amiaudit/snapshot"
)

const (
	plainAMI  = "ami-0aaaaaaaaaaaaaaa1"
	goldenAMI = "ami-0aaaaaaaaaaaaaaa2"
	goldenKey = "arn:aws:kms:us-east-1:111122223333:key/0b0b0b0b-0000-4000-8000-000000000001"
	owner     = "111122223333"
	// ownerOnlyPolicy is goldenKey's policy without the "Anyone" statement,
	// with the member that golden is shared with allowed to launch it.
	ownerOnlyPolicy = `{"Statement":[{"Sid":"Admin","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},` +
		`{"Sid":"Member","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222233334444:root"},"Action":["kms:Decrypt","kms:DescribeKey","kms:CreateGrant","kms:ReEncrypt*","kms:GenerateDataKey*"],"Resource":"*"}]}`
)

var (
	engineOnce sync.Once
	engine     *rules.Engine
	engineErr  error
)

// builtinEngine is the built-in rules: the decision is judged by the rules
// it ships with, not by stand-ins.
func builtinEngine(t *testing.T) *rules.Engine {
	t.Helper()
	engineOnce.Do(func() { engine, engineErr = rules.Load(context.Background()) })
	if engineErr != nil {
		t.Fatal(engineErr)
	}
	return engine
}

// judgeDoc is testdata/judge-state.json: account 111122223333 of
// organization o-judge4example in us-east-1, block public access off;
// ami-…1, private, on an unencrypted snapshot; ami-…2, shared with member
// 222233334444, on a snapshot whose customer managed key lets anyone use it
// (KMS-001 before any change).
func judgeDoc(t *testing.T) *snapshot.Document {
	t.Helper()
	const name = "testdata/judge-state.json"
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := snapshot.Decode(name, data)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func share(image, grantee string) snapshot.ProposedChange {
	return snapshot.ProposedChange{Kind: snapshot.ChangeLaunchPermission, Source: "flags", ImageID: image, Region: "us-east-1", Grantee: grantee}
}

func keyPolicy(policy string) snapshot.ProposedChange {
	return snapshot.ProposedChange{Kind: snapshot.ChangeKeyPolicy, Source: "plan.json", Address: "aws_kms_key.golden", KeyID: goldenKey, Region: "us-east-1", Policy: policy}
}

// found returns the findings of rule on the resource whose ARN ends in id.
func found(fs []finding.Finding, rule, id string) []finding.Finding {
	var out []finding.Finding
	for _, f := range fs {
		if f.RuleID == rule && strings.HasSuffix(f.Resource.ARN, id) {
			out = append(out, f)
		}
	}
	return out
}

func ruleIDs(fs []finding.Finding) string {
	var ids []string
	for _, f := range fs {
		ids = append(ids, f.RuleID+" "+f.Resource.ID)
	}
	return strings.Join(ids, ", ")
}

// TestJudgeChangeIntroducesAFinding: making the plain AMI public (AWS
// allows it: unencrypted, no product code, block public access off) causes
// AMI-001, attributed to the share; what the change does not touch (the
// golden key's KMS-001, account settings) is not the gate's to report.
func TestJudgeChangeIntroducesAFinding(t *testing.T) {
	d, err := Judge(context.Background(), Request{State: judgeDoc(t), SnapshotSHA256: "abc", Engine: builtinEngine(t), Changes: []snapshot.ProposedChange{share(plainAMI, "all")}})
	if err != nil {
		t.Fatal(err)
	}
	pub := found(d.Findings, "AMI-001", plainAMI)
	if len(pub) != 1 {
		t.Fatalf("findings %s, want AMI-001 on %s", ruleIDs(d.Findings), plainAMI)
	}
	if got := pub[0].Evidence["proposed_change"]; got != "share "+plainAMI+" with all (flags)" {
		t.Errorf("proposed_change = %v", got)
	}
	for _, f := range d.Findings {
		if f.Resource.ID != plainAMI && f.Resource.ID != "snap-0aaaaaaaaaaaaaaa1" {
			t.Errorf("%s on %s, which the change does not touch", f.RuleID, f.Resource.ARN)
		}
	}
	if len(d.Unseen) != 0 || d.SnapshotSHA256 != "abc" {
		t.Errorf("unseen %s, digest %q: want none and the request's", ruleIDs(d.Unseen), d.SnapshotSHA256)
	}
	if len(d.State.Proposed) != 1 || !d.State.Images[0].Public {
		t.Errorf("the state after the change does not hold it: proposed %+v", d.State.Proposed)
	}
}

// TestJudgeChangeFixesAFinding: a new key policy without the statement that
// lets anyone use the golden key ends KMS-001; the same policy again keeps
// it, reported (the gate shows what the change leaves) but not attributed
// to the change, which did not cause it.
func TestJudgeChangeFixesAFinding(t *testing.T) {
	doc := judgeDoc(t)
	kept, err := Judge(context.Background(), Request{State: doc, Engine: builtinEngine(t), Changes: []snapshot.ProposedChange{keyPolicy(doc.Keys[0].Policy)}})
	if err != nil {
		t.Fatal(err)
	}
	before := found(kept.Findings, "KMS-001", goldenKey)
	if len(before) != 1 {
		t.Fatalf("findings %s, want KMS-001 on the golden key while its policy is unchanged", ruleIDs(kept.Findings))
	}
	if _, ok := before[0].Evidence["proposed_change"]; ok || before[0].Location != nil {
		t.Errorf("KMS-001 existed before the change but is attributed to it: %+v", before[0])
	}
	fixed, err := Judge(context.Background(), Request{State: judgeDoc(t), Engine: builtinEngine(t), Changes: []snapshot.ProposedChange{keyPolicy(ownerOnlyPolicy)}})
	if err != nil {
		t.Fatal(err)
	}
	if got := found(fixed.Findings, "KMS-001", goldenKey); len(got) != 0 {
		t.Errorf("KMS-001 after the policy that removes it: %s", got[0].Message)
	}
	if len(fixed.Unseen) != 0 {
		t.Errorf("unseen: %s", ruleIDs(fixed.Unseen))
	}
}

// TestJudgeFailsClosed: what the decision depends on and could not be read
// is SCAN-001 in Unseen — a read that failed where the change applies, the
// organization when a grantee's trust depends on it, an AMI that is not
// there — while a failure elsewhere does not block the gate.
func TestJudgeFailsClosed(t *testing.T) {
	cases := []struct {
		name    string
		edit    func(*snapshot.Document)
		change  snapshot.ProposedChange
		trusted []string
		unseen  string // in the SCAN-001 message; "" for none
	}{
		{"snapshots unreadable where the AMI is",
			func(d *snapshot.Document) {
				d.Errors = append(d.Errors, snapshot.CollectionError{Account: owner, Region: "us-east-1", Service: "ec2", Action: "DescribeSnapshots", Code: "UnauthorizedOperation", Message: "denied"})
			}, share(plainAMI, "222233334444"), nil, "DescribeSnapshots"},
		{"a failure in a region the change does not touch",
			func(d *snapshot.Document) {
				d.Errors = append(d.Errors, snapshot.CollectionError{Account: owner, Region: "eu-west-1", Service: "ec2", Action: "DescribeSnapshots", Code: "UnauthorizedOperation", Message: "denied"})
			}, share(plainAMI, "222233334444"), nil, ""},
		{"organization unread, grantee not trusted by name",
			func(d *snapshot.Document) { d.Organization = nil }, share(plainAMI, "444455556666"), nil, "the organization could not be read"},
		{"organization unread, grantee trusted by name",
			func(d *snapshot.Document) { d.Organization = nil }, share(plainAMI, "444455556666"), []string{"444455556666"}, ""},
		{"the AMI to share is not there",
			func(*snapshot.Document) {}, share("ami-0fffffffffffffff9", "222233334444"), nil, "the AMI to share was not found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := judgeDoc(t)
			tc.edit(doc)
			cfg := rules.DefaultConfig()
			cfg.TrustedAccounts = tc.trusted
			d, err := Judge(context.Background(), Request{State: doc, Engine: builtinEngine(t), Config: cfg, Changes: []snapshot.ProposedChange{tc.change}})
			if err != nil {
				t.Fatal(err)
			}
			if tc.unseen == "" {
				if len(d.Unseen) != 0 {
					t.Errorf("unseen %s: %s", ruleIDs(d.Unseen), d.Unseen[0].Message)
				}
				return
			}
			if len(d.Unseen) == 0 || !strings.Contains(d.Unseen[0].Message, tc.unseen) {
				t.Fatalf("unseen %s, want SCAN-001 saying %q", ruleIDs(d.Unseen), tc.unseen)
			}
			if len(found(d.Findings, "SCAN-001", "")) != len(d.Unseen) {
				t.Errorf("findings %s: Unseen is not the SCAN-001 findings", ruleIDs(d.Findings))
			}
		})
	}
}

// fakeReader serves judgeDoc as AWS would through a Reader, and records
// what the gate asked for.
type fakeReader struct {
	t          *testing.T
	imagesErr  error
	images     map[string][]string
	keyARNs    []string
	copies     []snapshot.ProposedChange
	keyRefs    map[string][]string
	digestRead string
}

func (r *fakeReader) Images(_ context.Context, images map[string][]string, keyARNs []string) (*snapshot.Document, error) {
	r.images, r.keyARNs = images, keyARNs
	if r.imagesErr != nil {
		return nil, r.imagesErr
	}
	return judgeDoc(r.t), nil
}

// CopyContext reads that the destination's default EBS key is the AWS
// managed one (GetEbsDefaultKmsKeyId answers alias/aws/ebs when no customer
// managed key is set).
func (r *fakeReader) CopyContext(_ context.Context, doc *snapshot.Document, changes []snapshot.ProposedChange) {
	r.copies = slices.Clone(changes)
	on, key := false, "alias/aws/ebs"
	doc.AccountRegions = append(doc.AccountRegions, snapshot.AccountRegion{Account: owner, Region: "eu-west-1", EBSEncryptionByDefault: &on, EBSDefaultKMSKeyID: &key})
}

func (r *fakeReader) DestinationKeys(_ context.Context, doc *snapshot.Document, refs map[string][]string) {
	r.keyRefs = refs
	var err error
	if r.digestRead, err = doc.Digest(); err != nil {
		r.t.Fatal(err)
	}
}

// TestJudgeReadsThenDecides: without a state, Judge reads through the
// Reader what the changes need, in order — the AMIs, then the copy's
// context, then the key the shared copy will get, which only the context
// tells — and judges the share of the copy on that key: AWS encrypts a copy
// to another region with the copier's default EBS key there
// (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/AMIEncryption.html),
// here aws/ebs, which cannot be shared (AMI-005).
func TestJudgeReadsThenDecides(t *testing.T) {
	cp := snapshot.ProposedChange{Kind: snapshot.ChangeCopy, Source: "flags", ImageID: goldenAMI, Region: "us-east-1", DestinationRegion: "eu-west-1"}
	lp := share(goldenAMI, "222233334444")
	ShareCopy(&lp, cp)
	r := &fakeReader{t: t}
	changes := []snapshot.ProposedChange{lp, cp}
	d, err := Judge(context.Background(), Request{Reader: r, Engine: builtinEngine(t), Changes: changes})
	if err != nil {
		t.Fatal(err)
	}
	if changes[1].CopyVolumes != nil || len(d.State.Proposed) != 2 || d.State.Proposed[1].CopyVolumes == nil {
		t.Errorf("the model's outcome belongs in the decision's state, not in the request: request %+v, state %+v", changes[1], d.State.Proposed)
	}
	if len(r.images) != 1 || !slices.Equal(r.images["us-east-1"], []string{goldenAMI}) || len(r.keyARNs) != 0 {
		t.Errorf("read images %v keys %v, want only the copy's source (the copy does not exist yet)", r.images, r.keyARNs)
	}
	if len(r.copies) != 2 {
		t.Errorf("CopyContext was given %d changes, want both", len(r.copies))
	}
	if !slices.Equal(r.keyRefs["eu-west-1"], []string{"alias/aws/ebs"}) {
		t.Errorf("destination keys read %v, want the default EBS key that CopyContext read", r.keyRefs)
	}
	if d.SnapshotSHA256 == "" || d.SnapshotSHA256 != r.digestRead {
		t.Errorf("digest %q, want that of the state as read (%q), before the change", d.SnapshotSHA256, r.digestRead)
	}
	copyImage := lp.ImageID
	managed := found(d.Findings, "AMI-005", copyImage)
	if len(managed) != 1 {
		t.Fatalf("findings %s, want AMI-005 on the copy %s", ruleIDs(d.Findings), copyImage)
	}
	if managed[0].Evidence["proposed_copy"] != CopyKey(cp) || managed[0].Evidence["proposed_change"] == nil {
		t.Errorf("AMI-005 evidence %v, want the copy and the share named", managed[0].Evidence)
	}
	if len(d.Unseen) != 0 {
		t.Errorf("unseen: %s", ruleIDs(d.Unseen))
	}
}

// TestJudgeReadFailures: the decision cannot be made when the state cannot
// be read, or the reads were interrupted: a ReadError, not a decision.
func TestJudgeReadFailures(t *testing.T) {
	denied := errors.New("operation error STS: GetCallerIdentity, AccessDenied")
	_, err := Judge(context.Background(), Request{Reader: &fakeReader{t: t, imagesErr: denied}, Engine: builtinEngine(t), Changes: []snapshot.ProposedChange{share(plainAMI, "all")}})
	var re *ReadError
	if !errors.As(err, &re) || !errors.Is(err, denied) {
		t.Errorf("err = %v, want a ReadError wrapping the read's", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Judge(ctx, Request{Reader: &fakeReader{t: t}, Engine: builtinEngine(t), Changes: []snapshot.ProposedChange{share(plainAMI, "all")}})
	if !errors.As(err, &re) || !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want a ReadError for the interruption", err)
	}
	if _, err := Judge(context.Background(), Request{Engine: builtinEngine(t), Changes: []snapshot.ProposedChange{share(plainAMI, "all")}}); err == nil {
		t.Error("no state and no reader: want an error")
	}
}

// TestJudgeChecksEveryChange: Judge does not trust its caller to have run
// CheckChange: a malformed change (a grantee AWS does not take, a key policy
// that does not parse, no region) is a *ChangeError naming it, before
// anything is read or overlaid, and the state is left as it was.
func TestJudgeChecksEveryChange(t *testing.T) {
	noRegion := share(plainAMI, "222233334444")
	noRegion.Region = ""
	cases := map[string]struct {
		change snapshot.ProposedChange
		want   string
	}{
		"organization ID as grantee": {share(plainAMI, "o-abc1234567"), `grantee "o-abc1234567" is not a 12-digit account ID`},
		"short account":              {share(plainAMI, "12345"), `grantee "12345"`},
		"truncated organization ARN": {share(plainAMI, "arn:aws:organizations::1:organization/x"), "arn:aws:organizations::1:organization/x"},
		"key policy not JSON":        {keyPolicy(`{"Statement": [`), "key-policy"},
		"no region":                  {noRegion, "no region"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			doc := judgeDoc(t)
			r := &fakeReader{t: t}
			for _, req := range []Request{
				{State: doc, Engine: builtinEngine(t), Changes: []snapshot.ProposedChange{share(plainAMI, "222233334444"), tc.change}},
				{Reader: r, Engine: builtinEngine(t), Changes: []snapshot.ProposedChange{share(plainAMI, "222233334444"), tc.change}},
			} {
				d, err := Judge(context.Background(), req)
				var ce *ChangeError
				if !errors.As(err, &ce) || ce.Index != 1 || !strings.Contains(err.Error(), "proposed change 2") || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("Judge = %v, %v; want a *ChangeError for change 2 containing %q", d, err, tc.want)
				}
			}
			if r.images != nil {
				t.Errorf("the reader was asked for %v before the changes were checked", r.images)
			}
			if len(doc.Proposed) != 0 || len(doc.Images[0].LaunchPermissions) != 0 {
				t.Errorf("the state was changed: proposed %+v, launch permissions %+v", doc.Proposed, doc.Images[0].LaunchPermissions)
			}
		})
	}
}

// TestApplyRefusesAnUnparsablePolicy: the overlay does not drop a key
// policy it cannot parse (which would judge the key on no statements): it
// is an error.
func TestApplyRefusesAnUnparsablePolicy(t *testing.T) {
	doc := judgeDoc(t)
	before := doc.Keys[0].Policy
	_, err := apply(doc, []snapshot.ProposedChange{keyPolicy(`{"Statement": [`)})
	if err == nil || !strings.Contains(err.Error(), goldenKey) {
		t.Fatalf("apply = %v, want an error naming the key", err)
	}
	if doc.Keys[0].Policy != before {
		t.Error("the key's policy was replaced by one that does not parse")
	}
}

// TestJudgeFailsClosedOnAUserCoverageRule: what could not be seen is every
// finding of a rule in area coverage (finding.Coverage), not only the
// built-in SCAN-001: a user rule in package amiaudit.rules.coverage.* puts
// its findings in Unseen, and the gate fails closed on them.
func TestJudgeFailsClosedOnAUserCoverageRule(t *testing.T) {
	const rule = "# METADATA\n# title: Public image not verifiable\n# custom:\n#   id: CUST-901\n#   severity: low\n" +
		"package amiaudit.rules.coverage.unverifiable\n\nfindings contains f if {\n\tsome img in input.images\n\timg.public\n" +
		"\tf := {\"resource\": {\"type\": \"ami\", \"id\": img.id, \"arn\": img.arn, \"account\": img.account, \"region\": img.region}, \"message\": \"cannot verify\"}\n}\n"
	e, err := rules.LoadFiles(context.Background(), []rules.PolicyFile{{Name: "unverifiable.rego", Content: []byte(rule)}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := Judge(context.Background(), Request{State: judgeDoc(t), Engine: e, Changes: []snapshot.ProposedChange{share(plainAMI, "all")}})
	if err != nil {
		t.Fatal(err)
	}
	if got := found(d.Unseen, "CUST-901", plainAMI); len(got) != 1 {
		t.Errorf("unseen %s, want the user coverage rule's CUST-901 on %s (findings %s)", ruleIDs(d.Unseen), plainAMI, ruleIDs(d.Findings))
	}
	if got := found(d.Unseen, "AMI-001", plainAMI); len(got) != 0 {
		t.Errorf("AMI-001, not a coverage rule, is among the unseen")
	}
}

// TestResourceScopeIsTheRegos holds finding.ResourceScope, the resource type
// by which the gate keeps what could not be read of the account-regions it
// touches, equal to the type policies/coverage/scope_unreadable.rego gives
// SCAN-001's findings about a part of the scope.
func TestResourceScopeIsTheRegos(t *testing.T) {
	doc := judgeDoc(t)
	doc.Errors = append(doc.Errors, snapshot.CollectionError{Account: owner, Region: "us-east-1", Service: "ec2", Action: "DescribeImages", Code: "AccessDenied", Message: "denied"})
	fs, err := builtinEngine(t).Evaluate(context.Background(), doc, rules.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, f := range fs {
		if f.RuleID == "SCAN-001" {
			types = append(types, f.Resource.Type)
		}
	}
	if len(types) != 1 || types[0] != finding.ResourceScope {
		t.Errorf("SCAN-001 resource types %v, want [%s]", types, finding.ResourceScope)
	}
}

// TestJudgeOrganizationNeededFollowsTrust: when the organization cannot be
// read, the gate fails closed only for a grantee whose trust depends on it,
// by the trust of policies/lib/trust.rego: an account listed in
// trusted_accounts, an organization in trusted_organizations, an OU of such
// an organization or listed in trusted_ous (by ARN or ID) are trusted
// without it. The rules agree: a grantee the gate lets through is not
// reported untrusted (AMI-002, AMI-003), and one it stops is.
func TestJudgeOrganizationNeededFollowsTrust(t *testing.T) {
	const (
		org     = "arn:aws:organizations::999988887777:organization/o-trusted1234"
		ouOfOrg = "arn:aws:organizations::999988887777:ou/o-trusted1234/ou-ab12-cdefgh34"
		ouByARN = "arn:aws:organizations::555566667777:ou/o-other56789/ou-cd34-efghij56"
		ouByID  = "arn:aws:organizations::555566667777:ou/o-other56789/ou-ef56-ghijkl78"
		foreign = "arn:aws:organizations::555566667777:ou/o-other56789/ou-zz99-zzzzzz99"
	)
	cfg := rules.DefaultConfig()
	cfg.TrustedAccounts = []string{"444455556666"}
	cfg.TrustedOrganizations = []string{"o-trusted1234"}
	cfg.TrustedOUs = []string{ouByARN, "ou-ef56-ghijkl78"}
	for _, c := range []struct {
		grantee string
		needed  bool
	}{
		{"444455556666", false},
		{"777788889999", true},
		{org, false},
		{"arn:aws:organizations::555566667777:organization/o-other56789", true},
		{ouOfOrg, false},
		{ouByARN, false},
		{ouByID, false},
		{foreign, true},
	} {
		t.Run(c.grantee, func(t *testing.T) {
			doc := judgeDoc(t)
			doc.Organization = nil
			d, err := Judge(context.Background(), Request{State: doc, Engine: builtinEngine(t), Config: cfg, Changes: []snapshot.ProposedChange{share(plainAMI, c.grantee)}})
			if err != nil {
				t.Fatal(err)
			}
			if got := len(d.Unseen) > 0; got != c.needed {
				t.Errorf("fails closed: %v, want %v (unseen %s)", got, c.needed, ruleIDs(d.Unseen))
			}
			untrusted := len(found(d.Findings, "AMI-002", plainAMI))+len(found(d.Findings, "AMI-003", plainAMI)) > 0
			if untrusted != c.needed {
				t.Errorf("the rules find the grantee untrusted: %v; the gate needs the organization: %v (findings %s)", untrusted, c.needed, ruleIDs(d.Findings))
			}
		})
	}
}

// TestJudgeTrustedOUKeyWithoutOrganization: an encrypted AMI shared with an
// OU the configuration trusts needs no organization to be judged: without
// the member list, the access model asks whether a witness member of the OU
// can use the key (access.Key.LaunchBy), so a key policy that names only
// other accounts still yields AMI-004, not a silent pass.
func TestJudgeTrustedOUKeyWithoutOrganization(t *testing.T) {
	const ou = "arn:aws:organizations::999988887777:ou/o-trusted1234/ou-ab12-cdefgh34"
	cfg := rules.DefaultConfig()
	cfg.TrustedOUs = []string{ou}
	doc := judgeDoc(t)
	doc.Organization = nil
	doc.Keys[0].Policy = ownerOnlyPolicy
	doc.Keys[0].PolicyStatements = nil
	d, err := Judge(context.Background(), Request{State: doc, Engine: builtinEngine(t), Config: cfg, Changes: []snapshot.ProposedChange{share(goldenAMI, ou)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Unseen) != 0 {
		t.Errorf("unseen %s: the trusted OU does not need the organization", ruleIDs(d.Unseen))
	}
	if len(found(d.Findings, "AMI-004", goldenAMI)) != 1 {
		t.Errorf("findings %s, want AMI-004: the OU's members cannot use the key", ruleIDs(d.Findings))
	}
}
