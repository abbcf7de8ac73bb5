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
