package rules

import (
	"time"

	"github.com/amiaudit/amiaudit/finding"
)

// WaiverUse tells how a configured waiver fared in one evaluation, so that the
// command can warn about expired waivers and ones that match nothing.
type WaiverUse struct {
	Waiver  Waiver
	Index   int
	Matched int  // findings it waived or would have waived
	Expired bool // it has expired as of the evaluation
}

// ApplyWaivers marks the findings that a waiver covers. An active waiver makes
// the finding waived; an expired one is attached with status "expired" so the
// report says why it no longer applies. The first active waiver in file order
// wins over any expired one.
func ApplyWaivers(fs []finding.Finding, waivers []Waiver, now time.Time) []WaiverUse {
	uses := make([]WaiverUse, len(waivers))
	for i, w := range waivers {
		uses[i] = WaiverUse{Waiver: w, Index: i, Expired: w.expired(now)}
	}
	for i := range fs {
		f := &fs[i]
		var expired *Waiver
		active := -1
		expiredIdx := -1
		for j := range waivers {
			w := &waivers[j]
			if !w.covers(f) {
				continue
			}
			if uses[j].Expired {
				if expired == nil {
					expired, expiredIdx = w, j
				}
				continue
			}
			active = j
			break
		}
		switch {
		case active >= 0:
			f.Waiver = waivers[active].applied(finding.WaiverActive)
			uses[active].Matched++
		case expired != nil:
			f.Waiver = expired.applied(finding.WaiverExpired)
			uses[expiredIdx].Matched++
		}
	}
	return uses
}

func (w *Waiver) expired(now time.Time) bool {
	return !w.expires.IsZero() && now.After(w.expires)
}

func (w *Waiver) covers(f *finding.Finding) bool {
	if w.Rule != "*" && w.Rule != f.RuleID {
		return false
	}
	if w.match == nil {
		return w.Resource == f.Resource.ARN
	}
	return w.match.Match(f.Resource.ARN)
}

func (w *Waiver) applied(status string) *finding.AppliedWaiver {
	return &finding.AppliedWaiver{
		Status:     status,
		Rule:       w.Rule,
		Resource:   w.Resource,
		Reason:     w.Reason,
		ApprovedBy: w.ApprovedBy,
		Expires:    w.Expires,
	}
}

// WaiverScope says which findings the waivers were applied to, and so which
// waivers are worth a warning (WaiverWarnings).
type WaiverScope int

const (
	// AllFindings: the findings are every finding of the state (evaluate,
	// scan, report), so a waiver matching none is stale or mistyped.
	AllFindings WaiverScope = iota
	// TouchedFindings: the findings are only those about what a proposed
	// change touches (gate), so most waivers, about other resources, match
	// none of them by design; warning about each on every pipeline run would
	// be noise that teaches people to ignore warnings.
	TouchedFindings
)

// WaiverWarning is a warning about one configured waiver: the message and its
// attributes as log/slog key-value pairs (waiver is the waiver's index in
// the configuration file's waivers list).
type WaiverWarning struct {
	Message string
	Attrs   []any
}

// WaiverWarnings are the warnings an evaluation's waiver uses call for, in
// the configuration's order: a waiver that has expired but still matches
// findings (they count again, against --fail-on) and, when the findings are
// all of the state's (AllFindings), a waiver that matches none.
func WaiverWarnings(uses []WaiverUse, scope WaiverScope) []WaiverWarning {
	var out []WaiverWarning
	for _, u := range uses {
		w := u.Waiver
		switch {
		case u.Expired && u.Matched > 0:
			out = append(out, WaiverWarning{"waiver has expired and no longer applies",
				[]any{"waiver", u.Index, "rule", w.Rule, "resource", w.Resource, "expires", w.Expires, "findings", u.Matched}})
		case u.Matched == 0 && scope == AllFindings:
			out = append(out, WaiverWarning{"waiver matches no finding",
				[]any{"waiver", u.Index, "rule", w.Rule, "resource", w.Resource}})
		}
	}
	return out
}
