package gate

import (
	"context"
	"fmt"
	"slices"

	"github.com/amiaudit/amiaudit/finding"
	"github.com/amiaudit/amiaudit/rules"
	"github.com/amiaudit/amiaudit/snapshot"
)

// Reader reads from AWS, as the caller, what a decision needs. The gate
// makes no AWS call itself: collector.GateReader is the live Reader, and
// tests give their own.
type Reader interface {
	// Images reads the AMIs (region → AMI IDs), their snapshots and the keys
	// behind them, the keys named in keyARNs, block public access of their
	// account-regions and the organization. An error means nothing usable
	// was read; what could not be read of the rest is in the document's
	// Errors.
	Images(ctx context.Context, images map[string][]string, keyARNs []string) (*snapshot.Document, error)
	// CopyContext reads what the proposed copies depend on beyond the AMI:
	// EBS encryption by default and the default EBS key of each destination
	// region (into doc.AccountRegions), and, for a source AMI another account
	// owns, which snapshots the copying account may restore (into the copy
	// changes' RestorableSnapshots and UnrestorableSnapshots).
	CopyContext(ctx context.Context, doc *snapshot.Document, changes []snapshot.ProposedChange)
	// DestinationKeys reads the keys that shared copies will use (region →
	// key ARNs, IDs or aliases) into doc.Keys.
	DestinationKeys(ctx context.Context, doc *snapshot.Document, refs map[string][]string)
}

// Request is what a decision is made on.
type Request struct {
	// Changes are the proposed changes (ParsePlan, or built from flags).
	// Judge checks each with CheckChange and refuses the request if one
	// fails; it does not modify them.
	Changes []snapshot.ProposedChange
	// State is the state to judge against when it is at hand (a snapshot
	// document, offline) and SnapshotSHA256 the digest of its file. Judge
	// overlays the changes on it in place. When State is nil, Judge reads the
	// state through Reader.
	State          *snapshot.Document
	SnapshotSHA256 string
	Reader         Reader
	// Engine runs the rules with Config (nil: rules.DefaultConfig); Config's
	// trust (trusted accounts, organizations, OUs) also says whether the
	// organization is needed.
	Engine *rules.Engine
	Config *rules.Config
}

// Decision is the outcome of Judge.
type Decision struct {
	// State is the state after the change: the state read (or given), the
	// changes overlaid and recorded in Proposed (with what the model worked
	// out: copy volumes, refusals), and what could not be read in Errors.
	State *snapshot.Document
	// SnapshotSHA256 is the digest of the state judged, as read: the
	// request's for a given State, else that of the document read from AWS
	// (before the change was overlaid).
	SnapshotSHA256 string
	// Findings are the findings of the state after the change about what the
	// change touches; those the change causes carry evidence
	// "proposed_change" and, for a plan, the resource address as location.
	Findings []finding.Finding
	// Unseen are the coverage findings among Findings (finding.Coverage:
	// SCAN-001, or a user rule in area coverage): what the decision depends
	// on and could not be read. When there are any, the decision
	// could not be made and the gate fails closed, whatever else is found.
	Unseen []finding.Finding
}

// ReadError is a failure to read the state from AWS: the decision could not
// be made. The context's error when the reads were interrupted.
type ReadError struct{ Err error }

func (e *ReadError) Error() string { return e.Err.Error() }
func (e *ReadError) Unwrap() error { return e.Err }

// ChangeError is a proposed change that CheckChange refuses: the request is
// wrong, and nothing was read or judged.
type ChangeError struct {
	// Index is the change's place in Request.Changes, from 0.
	Index int
	Err   error
}

func (e *ChangeError) Error() string {
	return fmt.Sprintf("judge the change: proposed change %d: %v", e.Index+1, e.Err)
}
func (e *ChangeError) Unwrap() error { return e.Err }

// Judge makes the gate's decision on a proposed change:
//
//  1. it reads what the decision needs through Reader (unless State is
//     given): the AMIs and keys the changes name, then what copies depend on
//     (the destination's EBS settings, the snapshots the copying account may
//     restore), then the keys that shared copies will use;
//  2. when the organization could not be read and a grantee's trust depends
//     on it, it records that as a collection error;
//  3. it evaluates the state before the change, overlays the change as AWS
//     would carry it out (a change whose resource is not in the state cannot
//     be judged: a collection error), and evaluates the state after it;
//  4. it keeps the findings about the resources the change touches,
//     attributes those the state before did not have to the change that
//     causes them, and reports what could not be seen (SCAN-001) apart.
//
// Every change is checked first (CheckChange): a malformed one is a
// *ChangeError, before anything is read.
//
// It fails closed: whatever the decision depends on and could not be read
// is a coverage finding (SCAN-001, or a user rule in area coverage) in Unseen. The caller renders the findings and exits
// non-zero when Unseen is not empty.
func Judge(ctx context.Context, req Request) (*Decision, error) {
	if req.Engine == nil {
		return nil, fmt.Errorf("judge the change: no rules engine")
	}
	for i, c := range req.Changes {
		if err := CheckChange(c); err != nil {
			return nil, &ChangeError{Index: i, Err: err}
		}
	}
	cfg := req.Config
	if cfg == nil {
		cfg = rules.DefaultConfig()
	}
	changes := slices.Clone(req.Changes)
	doc, sum := req.State, req.SnapshotSHA256
	if doc == nil {
		var err error
		if doc, err = read(ctx, req.Reader, changes); err != nil {
			return nil, &ReadError{Err: err}
		}
		if sum, err = doc.Digest(); err != nil {
			return nil, err
		}
	}
	if need := organizationNeeded(doc, changes, cfg); need != nil {
		doc.Errors = append(doc.Errors, *need)
	}
	before, err := req.Engine.Evaluate(ctx, doc, cfg)
	if err != nil {
		return nil, fmt.Errorf("evaluate the state before the change: %w", err)
	}
	missing, err := apply(doc, changes)
	if err != nil {
		return nil, err
	}
	doc.Errors = append(doc.Errors, missing...)
	after, err := req.Engine.Evaluate(ctx, doc, cfg)
	if err != nil {
		return nil, fmt.Errorf("evaluate the state after the change: %w", err)
	}
	after = relevant(doc, after)
	rule := func(id string) *finding.Rule { r, _ := req.Engine.Rule(id); return r }
	attribute(after, relevant(doc, before), doc, rule)
	d := &Decision{State: doc, SnapshotSHA256: sum, Findings: after}
	for i, f := range after {
		if finding.Coverage(&after[i], rule(f.RuleID)) {
			d.Unseen = append(d.Unseen, f)
		}
	}
	return d, nil
}

// read reads the state the changes are judged against, in the order the
// reads depend on each other: the copy's destination keys are known only
// once the destination's default EBS key is.
func read(ctx context.Context, r Reader, changes []snapshot.ProposedChange) (*snapshot.Document, error) {
	if r == nil {
		return nil, fmt.Errorf("no state to judge: neither a snapshot document nor a reader of AWS")
	}
	images, keys := targets(changes)
	doc, err := r.Images(ctx, images, keys)
	if err != nil {
		return nil, err
	}
	r.CopyContext(ctx, doc, changes)
	r.DestinationKeys(ctx, doc, copyKeyRefs(doc, changes))
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return doc, nil
}
