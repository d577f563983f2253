package lifecycle

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
)

// Selection says which invitations a run acts on. An invitation is selected when it matches
// every part given: a status among Statuses (none: every status the action applies to), Query
// (Clerk's substring match on address or id), the time bounds, and, when IDs or Emails are
// given, one of them (addresses matched exactly, ignoring case).
type Selection struct {
	Statuses      []invitations.Status
	Query         string
	CreatedBefore time.Time // the time bounds are checked here: Clerk's list has no such filters
	CreatedAfter  time.Time
	ExpiresBefore time.Time
	IDs           []string
	Emails        []string
}

// Empty reports whether s selects by nothing at all: every invitation.
func (s Selection) Empty() bool {
	return len(s.Statuses) == 0 && s.Query == "" && s.CreatedBefore.IsZero() && s.CreatedAfter.IsZero() && s.ExpiresBefore.IsZero() &&
		s.IDs == nil && s.Emails == nil
}

// statuses returns the statuses action applies to, or an error naming those it does not.
func (a Action) statuses(asked []invitations.Status) ([]invitations.Status, error) {
	applies := map[Action][]invitations.Status{
		ActionRevoke:  {invitations.StatusPending},
		ActionDelete:  {invitations.StatusPending, invitations.StatusAccepted, invitations.StatusRevoked, invitations.StatusExpired},
		ActionReissue: {invitations.StatusPending, invitations.StatusExpired},
	}[a]
	if applies == nil {
		return nil, fmt.Errorf("lifecycle: %q is not an action a run takes", a)
	}
	if len(asked) == 0 {
		return applies, nil
	}
	for _, s := range asked {
		if !slices.Contains(applies, s) {
			return nil, &invitations.ValidationError{Field: "status", Reason: fmt.Sprintf("%s applies to invitations that are %s, not %s", a, joinStatuses(applies), s)}
		}
	}
	return asked, nil
}

func joinStatuses(s []invitations.Status) string {
	var parts []string
	for _, st := range s {
		parts = append(parts, string(st))
	}
	return strings.Join(parts, " or ")
}

// Plan finds the invitations sel selects for action and returns them as the report of a run
// that has not started: one NotSent entry per invitation, newest first, with its address,
// status and metadata. Save it before Run: a run killed at any point resumes from it and the
// entries Run yielded. Nothing is changed; a dry run is this report, marked (MarkDryRun).
//
// Cost: one list call per 500 invitations in the statuses selected (and matching Query).
//
// Errors: an *invitations.ValidationError for a status the action does not apply to (revoke:
// pending; reissue: pending or expired); List's errors.
func (m *Manager) Plan(ctx context.Context, action Action, sel Selection) (*Report, error) {
	if err := checkContext(ctx, "plan"); err != nil {
		return nil, err
	}
	statuses, err := action.statuses(sel.Statuses)
	if err != nil {
		return nil, err
	}
	ids, emails := set(sel.IDs, false), set(sel.Emails, true)
	report := &Report{Action: action, Entries: []Entry{}}
	for inv, err := range m.client.All(ctx, invitations.ListParams{Statuses: statuses, Query: sel.Query, OrderBy: "-created_at"}) {
		switch {
		case err != nil:
			return nil, err
		case ids != nil && !ids[inv.ID], emails != nil && !emails[strings.ToLower(inv.EmailAddress)],
			!sel.CreatedBefore.IsZero() && !inv.CreatedAt.Before(sel.CreatedBefore),
			!sel.CreatedAfter.IsZero() && !inv.CreatedAt.After(sel.CreatedAfter),
			!sel.ExpiresBefore.IsZero() && (inv.ExpiresAt.IsZero() || !inv.ExpiresAt.Before(sel.ExpiresBefore)):
			continue
		}
		e := Entry{EmailAddress: inv.EmailAddress, Result: NotSent, InvitationID: inv.ID, Status: inv.Status}
		if action == ActionReissue {
			e.PublicMetadata = inv.PublicMetadata
		}
		report.Entries = append(report.Entries, e)
	}
	report.count()
	return report, nil
}

// set is the values as a set (lower-cased when fold), or nil for none.
func set(values []string, fold bool) map[string]bool {
	if values == nil {
		return nil
	}
	out := make(map[string]bool, len(values))
	for _, v := range values {
		if fold {
			v = strings.ToLower(strings.TrimSpace(v))
		}
		out[v] = true
	}
	return out
}

// RunOptions adjust Run.
type RunOptions struct {
	// Reissue is the replacements' settings for ActionReissue (their metadata is the old
	// invitations').
	Reissue ReissueParams
	// FinishTimeout bounds how long a call under way may go on after ctx ends. 0: one minute.
	FinishTimeout time.Duration
	// Activity, when set, is told when each call starts and ends (see Activity).
	Activity func(Activity)
}

// Run carries out plan, a report from Plan (or one of its runs, to resume), on its entries that
// are not final, one call at a time as the client's budgets allow, and yields an entry for
// every step it settles, in order: the caller records each (in a journal, say) before Run makes
// its next call, so that nothing is acted on twice across a crash. Report.Record applies them.
//
//   - ActionRevoke revokes each invitation: Revoked, or Skipped when it is no longer pending
//     (revoked, accepted, expired or deleted meanwhile). A revoke whose answer was lost counts
//     only when a lookup shows the invitation revoked.
//   - ActionDelete deletes each: Deleted, also when someone else deleted it first.
//   - ActionReissue revokes each pending invitation (Revoked), then invites its address again
//     with its metadata and opts.Reissue's settings, in the calls the create budgets allow
//     soonest (as InviteMany): Replaced with NewInvitationID, or AlreadyInvited when the address
//     has another pending invitation. A replacement that fails leaves the entry Revoked, so that
//     resuming creates it without revoking anything again. Accepted or deleted meanwhile: Skipped.
//
// A call that fails is an entry Failed, with its error, and the run goes on. Run ends, yielding
// the error last with a zero Entry, when ctx ends (after the call under way, up to
// opts.FinishTimeout), on a 401 or 403, or after five failed calls in a row. It adds the calls
// it made to plan.Calls.
func (m *Manager) Run(ctx context.Context, plan *Report, opts RunOptions) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		if err := checkContext(ctx, "run"); err != nil {
			yield(Entry{}, err)
			return
		}
		if _, err := plan.Action.statuses(nil); err != nil {
			yield(Entry{}, err)
			return
		}
		entries := slices.Clone(plan.Entries)
		s := &steps{c: m.client, finish: cmp.Or(max(opts.FinishTimeout, 0), time.Minute), activity: opts.Activity, entries: entries}
		s.settled = func(idx []int) bool {
			for _, i := range idx {
				if !yield(entries[i], nil) {
					return false
				}
			}
			return true
		}
		var err error
		switch plan.Action {
		case ActionReissue:
			err = s.reissue(ctx, opts.Reissue, plan.Action)
		default:
			err = s.each(ctx, plan.Action)
		}
		plan.Calls += s.calls
		if err != nil && !errors.Is(err, errStopped) {
			yield(Entry{}, err)
		}
	}
}

// each revokes or deletes every entry still to do.
func (s *steps) each(ctx context.Context, action Action) error {
	op := map[Action]invitations.Operation{ActionRevoke: invitations.OpRevoke, ActionDelete: invitations.OpDelete}[action]
	for i := range s.entries {
		if s.entries[i].Result.Final(action) {
			continue
		}
		settled, stop := s.act(ctx, op, i)
		if settled {
			stop = errors.Join(stop, s.done(i))
		}
		if stop != nil {
			return stop
		}
	}
	return ctx.Err()
}

// act revokes or deletes entry i, waiting out 429s, and settles it; settled is false when ctx
// ended before the call was made. stop, when not nil, ends the run.
func (s *steps) act(ctx context.Context, op invitations.Operation, i int) (settled bool, stop error) {
	id := s.entries[i].InvitationID
	for {
		err := s.call(ctx, op, fmt.Sprintf("%s %s", op, id), func(ctx context.Context) error {
			if op == invitations.OpDelete {
				return s.c.Delete(ctx, id)
			}
			_, err := s.c.Revoke(ctx, id)
			return err
		})
		if nm, ok := err.(notMade); ok {
			return false, nm.error
		}
		retry, stop := s.outcome(ctx, err)
		if retry {
			continue
		}
		var apiErr *invitations.APIError
		switch {
		case op == invitations.OpDelete && (err == nil || errors.Is(err, invitations.ErrNotFound)):
			s.settle(i, Deleted, nil)
		case err == nil:
			s.settle(i, Revoked, nil)
		case errors.Is(err, invitations.ErrAlreadyRevoked), errors.Is(err, invitations.ErrAlreadyAccepted), errors.Is(err, invitations.ErrNotFound),
			errors.As(err, &apiErr) && apiErr.HasCode("invitation_already_expired"):
			s.settle(i, Skipped, err)
		default:
			s.settle(i, Failed, err)
		}
		return true, stop
	}
}

// reissue revokes and re-invites every entry still to do, a batch of creates at a time.
func (s *steps) reissue(ctx context.Context, p ReissueParams, action Action) error {
	var queue []int
	for i, e := range s.entries {
		if !e.Result.Final(action) {
			queue = append(queue, i)
		}
	}
	s.params = func(i int) invitations.CreateParams {
		e := s.entries[i]
		return invitations.CreateParams{EmailAddress: e.EmailAddress, PublicMetadata: e.PublicMetadata, RedirectURL: p.RedirectURL,
			ExpiresInDays: p.ExpiresInDays, TemplateSlug: p.TemplateSlug, Notify: p.Notify}
	}
	revoked := map[int]bool{} // entries this run or the one it resumes revoked
	for _, i := range queue {
		revoked[i] = s.entries[i].Result == Revoked
	}
	s.onCreate = func(i int, result Result, id string, err error) {
		switch {
		case result == Created:
			s.settle(i, Replaced, nil)
			s.entries[i].NewInvitationID = id
		case result == Failed && revoked[i]:
			s.settle(i, Revoked, err) // resuming creates it, without revoking again
			s.entries[i].Err = err
		default:
			s.settle(i, result, err)
		}
	}
	// Before each batch of creates, revoke the batch's pending invitations: the person is
	// without a working invitation only between the two calls.
	return s.createAll(ctx, queue, func(ctx context.Context, batch []int) ([]int, error) {
		var left []int
		for _, i := range batch {
			if revoked[i] || s.entries[i].Status != invitations.StatusPending {
				left = append(left, i)
				continue
			}
			settled, stop := s.act(ctx, invitations.OpRevoke, i)
			if !settled {
				return nil, stop
			}
			// Revoked by an attempt whose answer was lost, or expired meanwhile: replace it too.
			e := s.entries[i]
			already := errors.Is(e.Err, invitations.ErrAlreadyRevoked)
			if e.Result == Revoked || already || strings.Contains(e.Error, "invitation_already_expired") {
				revoked[i] = e.Result == Revoked || already
				s.settle(i, Revoked, nil)
				left = append(left, i)
			}
			if err := errors.Join(stop, s.done(i)); err != nil {
				return nil, err
			}
		}
		return left, nil
	})
}
