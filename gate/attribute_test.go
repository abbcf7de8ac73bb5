package gate

import (
	"reflect"
	"strings"
	"testing"

	"github.com/amiaudit/amiaudit/finding"
	"github.com/amiaudit/amiaudit/snapshot"
)

// oneImageARN is the AMI of oneImage's state.
const oneImageARN = "arn:aws:ec2:us-east-1::image/ami-0123456789abcdef0"

// shareWith222 shares oneImage's AMI with 222222222222.
var shareWith222 = snapshot.ProposedChange{Kind: snapshot.ChangeLaunchPermission, Source: "flags", ImageID: "ami-0123456789abcdef0", Region: "us-east-1", Grantee: "222222222222"}

// oneImage is a state of one AMI (oneImageARN) and the proposed changes.
func oneImage(changes ...snapshot.ProposedChange) *snapshot.Document {
	return &snapshot.Document{
		Images:   []snapshot.Image{{ID: "ami-0123456789abcdef0", ARN: oneImageARN, Region: "us-east-1", Account: "111111111111"}},
		Proposed: changes,
	}
}

// TestAttributionFollowsTheRulesChanges: a finding is attributed only to the
// kinds of change its rule judges (METADATA custom.changes), so a copy rule's
// finding on an AMI that the same plan also shares names the copy, not the
// share; a rule that lists none takes any change touching its resource.
func TestAttributionFollowsTheRulesChanges(t *testing.T) {
	doc := oneImage(
		snapshot.ProposedChange{Kind: snapshot.ChangeCopy, Source: "flags", ImageID: "ami-0123456789abcdef0", Region: "us-east-1", DestinationRegion: "eu-west-1"},
		shareWith222,
	)
	copyRule := &finding.Rule{ID: "GATE-001", Changes: []string{snapshot.ChangeCopy}}
	anyRule := &finding.Rule{ID: "AMI-002"}
	kinds := func(rule *finding.Rule) []string {
		f := &finding.Finding{RuleID: rule.ID, Resource: finding.Resource{ARN: oneImageARN}, Message: "m"}
		var out []string
		for _, c := range causesOf(f, doc, rule) {
			out = append(out, c.Kind)
		}
		return out
	}
	if got := kinds(copyRule); !reflect.DeepEqual(got, []string{snapshot.ChangeCopy}) {
		t.Errorf("a copy rule's finding is attributed to %v, want only the copy", got)
	}
	if got := kinds(anyRule); !reflect.DeepEqual(got, []string{snapshot.ChangeCopy, snapshot.ChangeLaunchPermission}) {
		t.Errorf("a rule listing no changes is attributed to %v, want both changes", got)
	}

	after := []finding.Finding{{RuleID: "GATE-001", Resource: finding.Resource{ARN: oneImageARN}, Message: "m"}}
	attribute(after, nil, doc, func(string) *finding.Rule { return copyRule })
	if got, _ := after[0].Evidence["proposed_change"].(string); !strings.Contains(got, "copy") || strings.Contains(got, "222222222222") {
		t.Errorf("proposed_change = %q, want the copy only", got)
	}
}

// TestChangeKindsAreTheSchemasEnum holds snapshot.ChangeKinds, which
// custom.changes is checked against, equal to the schema's enum.
func TestChangeKindsAreTheSchemasEnum(t *testing.T) {
	f, ok := reflect.TypeFor[snapshot.ProposedChange]().FieldByName("Kind")
	if !ok {
		t.Fatal("ProposedChange has no Kind")
	}
	var enum []string
	for _, part := range strings.Split(f.Tag.Get("jsonschema"), ",") {
		if v, ok := strings.CutPrefix(part, "enum="); ok {
			enum = append(enum, v)
		}
	}
	if !reflect.DeepEqual(enum, snapshot.ChangeKinds) {
		t.Errorf("schema enum %v, snapshot.ChangeKinds %v", enum, snapshot.ChangeKinds)
	}
}

// TestAttributionByIdentity: a finding the state before had is not the
// change's, even when the change alters its message (KMS-003 counts the AMIs
// on the key): findings are the same by finding.IdentityOf (rule, ARN, key),
// never by message. A finding of another key on the same resource is new.
func TestAttributionByIdentity(t *testing.T) {
	doc := oneImage(shareWith222)
	rule := &finding.Rule{ID: "KMS-003"}
	before := []finding.Finding{{RuleID: "KMS-003", Resource: finding.Resource{ARN: oneImageARN}, Key: "grantee=333333333333", Message: "key used by 1 AMI"}}
	after := []finding.Finding{
		{RuleID: "KMS-003", Resource: finding.Resource{ARN: oneImageARN}, Key: "grantee=333333333333", Message: "key used by 2 AMIs"},
		{RuleID: "KMS-003", Resource: finding.Resource{ARN: oneImageARN}, Key: "grantee=222222222222", Message: "key used by 2 AMIs"},
	}
	attribute(after, before, doc, func(string) *finding.Rule { return rule })
	if got, ok := after[0].Evidence["proposed_change"]; ok {
		t.Errorf("a finding that existed before, reworded, is attributed to the change: %v", got)
	}
	if _, ok := after[1].Evidence["proposed_change"]; !ok {
		t.Errorf("a finding of a new key is not attributed to the change")
	}
}
