package lifecycle_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations/invitationstest"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/lifecycle"
)

// runAll plans action on sel, runs it to its end, and returns the report with the entries
// recorded as they came.
func runAll(t *testing.T, m *lifecycle.Manager, action lifecycle.Action, sel lifecycle.Selection, opts lifecycle.RunOptions) *lifecycle.Report {
	t.Helper()
	plan, err := m.Plan(t.Context(), action, sel)
	require.NoError(t, err)
	for e, err := range m.Run(t.Context(), plan, opts) {
		require.NoError(t, err)
		plan.Record(e)
	}
	return plan
}

// statusOf is what the embedded Clerk holds for id.
func statusOf(t *testing.T, srv *invitationstest.Server, id string) invitations.Status {
	t.Helper()
	d, ok := srv.Lookup(id)
	if !ok {
		return "deleted"
	}
	return d.Status
}

func TestRevokeEveryPendingInvitationOfADomain(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	c, m := srv.Client, lifecycle.New(srv.Client)
	a := mustCreate(t, c, invitations.CreateParams{EmailAddress: "a@old.example.com"})
	b := mustCreate(t, c, invitations.CreateParams{EmailAddress: "b@old.example.com"})
	accepted := mustCreate(t, c, invitations.CreateParams{EmailAddress: "c@old.example.com"})
	require.NoError(t, srv.Accept(accepted.ID))
	other := mustCreate(t, c, invitations.CreateParams{EmailAddress: "d@new.example.com"})

	report := runAll(t, m, lifecycle.ActionRevoke, lifecycle.Selection{Query: "@old.example.com"}, lifecycle.RunOptions{})
	assert.Equal(t, map[lifecycle.Result]int{lifecycle.Revoked: 2}, report.Counts, "only the pending ones are selected")
	assert.True(t, report.Complete)
	assert.Equal(t, 2, report.Calls)
	for _, id := range []string{a.ID, b.ID} {
		assert.Equal(t, invitations.StatusRevoked, statusOf(t, srv, id))
	}
	assert.Equal(t, invitations.StatusAccepted, statusOf(t, srv, accepted.ID))
	assert.Equal(t, invitations.StatusPending, statusOf(t, srv, other.ID))

	_, err := m.Plan(t.Context(), lifecycle.ActionRevoke, lifecycle.Selection{Statuses: []invitations.Status{invitations.StatusExpired}})
	var verr *invitations.ValidationError
	require.ErrorAs(t, err, &verr, "revoke applies to pending invitations only")
	assert.Contains(t, err.Error(), "pending")
}

// TestUndoABulkRun: exactly the invitations one InviteMany run created, and of those only the
// ones still pending, are revoked.
func TestUndoABulkRun(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	c, m := srv.Client, lifecycle.New(srv.Client)
	before := mustCreate(t, c, invitations.CreateParams{EmailAddress: "earlier@example.com"})
	run, err := m.InviteMany(t.Context(), append(addresses("w", 12), invitations.CreateParams{EmailAddress: "earlier@example.com"}), lifecycle.InviteOptions{})
	require.NoError(t, err)
	var ids []string
	for _, e := range run.Entries {
		if e.Result == lifecycle.Created {
			ids = append(ids, e.InvitationID)
		}
	}
	require.Len(t, ids, 12)
	require.NoError(t, srv.Accept(ids[0]))
	require.NoError(t, srv.Expire(ids[1]))
	later := mustCreate(t, c, invitations.CreateParams{EmailAddress: "later@example.com"})

	report := runAll(t, m, lifecycle.ActionRevoke, lifecycle.Selection{IDs: ids}, lifecycle.RunOptions{})
	assert.Equal(t, 10, report.Counts[lifecycle.Revoked])
	assert.Len(t, report.Entries, 10, "the accepted and the expired one are not selected")
	for _, id := range ids[2:] {
		assert.Equal(t, invitations.StatusRevoked, statusOf(t, srv, id))
	}
	assert.Equal(t, invitations.StatusAccepted, statusOf(t, srv, ids[0]))
	assert.Equal(t, invitations.StatusPending, statusOf(t, srv, before.ID), "not this run's")
	assert.Equal(t, invitations.StatusPending, statusOf(t, srv, later.ID))
}

func TestDeleteBySelection(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation(), invitationstest.WithClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	c, m := srv.Client, lifecycle.New(srv.Client)
	old := mustCreate(t, c, invitations.CreateParams{EmailAddress: "old@example.com"})
	_, err := c.Revoke(t.Context(), old.ID)
	require.NoError(t, err)
	srv.Advance(48 * time.Hour)
	recent := mustCreate(t, c, invitations.CreateParams{EmailAddress: "recent@example.com", ExpiresInDays: 3})
	later := mustCreate(t, c, invitations.CreateParams{EmailAddress: "later@example.com"})
	cut := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)

	report := runAll(t, m, lifecycle.ActionDelete, lifecycle.Selection{CreatedBefore: cut}, lifecycle.RunOptions{})
	require.Len(t, report.Entries, 1)
	assert.Equal(t, old.ID, report.Entries[0].InvitationID, "a revoked one too: delete applies to every status")
	assert.Equal(t, lifecycle.Deleted, report.Entries[0].Result)
	assert.Equal(t, invitations.Status("deleted"), statusOf(t, srv, old.ID))

	report = runAll(t, m, lifecycle.ActionDelete, lifecycle.Selection{ExpiresBefore: cut.AddDate(0, 0, 10)}, lifecycle.RunOptions{})
	require.Len(t, report.Entries, 1)
	assert.Equal(t, recent.ID, report.Entries[0].InvitationID)
	report = runAll(t, m, lifecycle.ActionDelete, lifecycle.Selection{CreatedAfter: cut, Emails: []string{"LATER@example.com"}}, lifecycle.RunOptions{})
	require.Len(t, report.Entries, 1)
	assert.Equal(t, later.ID, report.Entries[0].InvitationID)
	assert.Zero(t, srv.Len())
}

// TestReissueExpiredAndPending: an expired invitation is replaced without a revoke; a pending one
// is revoked, then replaced; both replacements carry the old metadata and the new settings.
func TestReissueExpiredAndPending(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	c, m := srv.Client, lifecycle.New(srv.Client)
	expired := mustCreate(t, c, invitations.CreateParams{EmailAddress: "late@example.com", PublicMetadata: map[string]any{"plan": "pro"}})
	require.NoError(t, srv.Expire(expired.ID))
	pending := mustCreate(t, c, invitations.CreateParams{EmailAddress: "now@example.com", PublicMetadata: map[string]any{"team": "blue"}})
	accepted := mustCreate(t, c, invitations.CreateParams{EmailAddress: "done@example.com"})
	require.NoError(t, srv.Accept(accepted.ID))

	report := runAll(t, m, lifecycle.ActionReissue, lifecycle.Selection{}, lifecycle.RunOptions{
		Reissue: lifecycle.ReissueParams{ExpiresInDays: 7, Notify: invitations.Ptr(false), TemplateSlug: invitations.TemplateWaitlistInvitation}})
	assert.Equal(t, map[lifecycle.Result]int{lifecycle.Replaced: 2}, report.Counts, "the accepted one is not selected")
	assert.Equal(t, 2, report.Calls, "a revoke and a bulk create of two")
	for _, e := range report.Entries {
		d, ok := srv.Lookup(e.NewInvitationID)
		require.True(t, ok, e.EmailAddress)
		assert.Equal(t, invitations.StatusPending, d.Status)
		assert.Equal(t, e.EmailAddress, d.EmailAddress)
		assert.False(t, d.Notified)
		assert.Equal(t, invitations.TemplateWaitlistInvitation, d.TemplateSlug)
	}
	replacement := func(id string) invitationstest.Details {
		for _, e := range report.Entries {
			if e.InvitationID == id {
				d, _ := srv.Lookup(e.NewInvitationID)
				return d
			}
		}
		t.Fatalf("no entry for %s", id)
		return invitationstest.Details{}
	}
	assert.Equal(t, map[string]any{"plan": "pro"}, replacement(expired.ID).PublicMetadata)
	assert.Equal(t, map[string]any{"team": "blue"}, replacement(pending.ID).PublicMetadata)
	assert.Equal(t, invitations.StatusExpired, statusOf(t, srv, expired.ID), "an expired one is not revoked")
	assert.Equal(t, invitations.StatusRevoked, statusOf(t, srv, pending.ID))
}

// TestAReissueWhoseCreateFailedResumesWithTheCreate: the revoke went through and the create did
// not: the entry stays revoked, and the resumed run creates the replacement without revoking
// anything again.
func TestAReissueWhoseCreateFailedResumesWithTheCreate(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	c, m := srv.Client, lifecycle.New(srv.Client)
	old := mustCreate(t, c, invitations.CreateParams{EmailAddress: "ada@example.com"})
	boom := invitationstest.Fault{Status: 500, Header: http.Header{"Content-Type": {"application/json"}},
		Body: `{"errors":[{"code":"internal_clerk_error","message":"x","long_message":"boom"}]}`}
	srv.FailNext(invitations.OpBulkCreate, 1, boom)

	plan, err := m.Plan(t.Context(), lifecycle.ActionReissue, lifecycle.Selection{Emails: []string{"ada@example.com"}})
	require.NoError(t, err)
	var journal []lifecycle.Entry
	for e, err := range m.Run(t.Context(), plan, lifecycle.RunOptions{Reissue: lifecycle.ReissueParams{Notify: invitations.Ptr(false)}}) {
		require.NoError(t, err)
		journal = append(journal, e)
	}
	require.Len(t, journal, 2, "the revoke, then the failed create")
	assert.Equal(t, lifecycle.Revoked, journal[1].Result)
	assert.Contains(t, journal[1].Error, "boom")
	plan.Record(journal...)
	assert.False(t, plan.Complete, "revoked is not final for a reissue")
	assert.Equal(t, invitations.StatusRevoked, statusOf(t, srv, old.ID))

	// Through JSON, as the tool keeps it; then resumed.
	raw, err := json.Marshal(plan)
	require.NoError(t, err)
	var saved lifecycle.Report
	require.NoError(t, json.Unmarshal(raw, &saved))
	srv.FailNext(invitations.OpRevoke, 1, boom) // a revoke now would fail the test below
	for e, err := range m.Run(t.Context(), &saved, lifecycle.RunOptions{Reissue: lifecycle.ReissueParams{Notify: invitations.Ptr(false)}}) {
		require.NoError(t, err)
		saved.Record(e)
	}
	require.Equal(t, lifecycle.Replaced, saved.Entries[0].Result)
	assert.True(t, saved.Complete)
	found, err := m.FindByEmail(t.Context(), "ada@example.com", invitations.StatusPending)
	require.NoError(t, err)
	require.Len(t, found, 1)
	assert.Equal(t, saved.Entries[0].NewInvitationID, found[0].ID)
	for _, r := range srv.Requests() {
		if r.Operation == invitations.OpRevoke {
			assert.Equal(t, http.StatusOK, r.Status, "only the first run revoked")
		}
	}
}

// TestARevokeAnsweredAmbiguouslyCountsOnlyWhenLookedUp: when no attempt's answer arrives, the
// revoke is done only if a lookup shows the invitation revoked.
func TestARevokeAnsweredAmbiguouslyCountsOnlyWhenLookedUp(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := invitationstest.NewServer(t, invitationstest.WithValidation(), invitationstest.WithInMemoryNetwork())
		c, m := srv.Client, lifecycle.New(srv.Client)
		lost := mustCreate(t, c, invitations.CreateParams{EmailAddress: "lost@example.com"})
		done := mustCreate(t, c, invitations.CreateParams{EmailAddress: "done@example.com"})
		plan, err := m.Plan(t.Context(), lifecycle.ActionRevoke, lifecycle.Selection{IDs: []string{lost.ID}})
		require.NoError(t, err)
		srv.FailNext(invitations.OpRevoke, 1+invitations.DefaultRetries, invitationstest.Fault{Drop: true}) // never carried out
		for e, err := range m.Run(t.Context(), plan, lifecycle.RunOptions{}) {
			require.NoError(t, err)
			plan.Record(e)
		}
		assert.Equal(t, lifecycle.Failed, plan.Entries[0].Result)
		assert.ErrorIs(t, plan.Entries[0].Err, invitations.ErrOutcomeUnknown)
		assert.Equal(t, invitations.StatusPending, statusOf(t, srv, lost.ID))

		plan, err = m.Plan(t.Context(), lifecycle.ActionRevoke, lifecycle.Selection{IDs: []string{done.ID}})
		require.NoError(t, err)
		srv.FailNext(invitations.OpRevoke, 1+invitations.DefaultRetries, invitationstest.Fault{Commit: true, Drop: true}) // carried out
		for e, err := range m.Run(t.Context(), plan, lifecycle.RunOptions{}) {
			require.NoError(t, err)
			plan.Record(e)
		}
		assert.Equal(t, lifecycle.Revoked, plan.Entries[0].Result)
	})
}

// TestARunStoppedMidwayResumesWithoutActingTwice: the context ends during a call; the call
// finishes and is reported, the run says why it stopped, and the resumed run does the rest,
// revoking each invitation once.
func TestARunStoppedMidwayResumesWithoutActingTwice(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := invitationstest.NewServer(t, invitationstest.WithValidation(), invitationstest.WithInMemoryNetwork())
		c, m := srv.Client, lifecycle.New(srv.Client)
		for _, p := range addresses("x", 6) {
			mustCreate(t, c, p)
		}
		plan, err := m.Plan(t.Context(), lifecycle.ActionRevoke, lifecycle.Selection{})
		require.NoError(t, err)
		srv.FailNext(invitations.OpRevoke, 2, invitationstest.Fault{})
		srv.FailNext(invitations.OpRevoke, 1, invitationstest.Fault{Delay: time.Second})
		ctx, cancel := context.WithCancel(t.Context())
		var activities []lifecycle.Activity
		var stopped error
		for e, err := range m.Run(ctx, plan, lifecycle.RunOptions{FinishTimeout: 5 * time.Second, Activity: func(a lifecycle.Activity) {
			if activities = append(activities, a); len(activities) == 5 { // the third call is under way
				time.AfterFunc(100*time.Millisecond, cancel)
			}
		}}) {
			if err != nil {
				stopped = err
				continue
			}
			plan.Record(e)
		}
		require.ErrorIs(t, stopped, context.Canceled)
		assert.Equal(t, 3, plan.Counts[lifecycle.Revoked], "the call under way finished")
		assert.Equal(t, 3, plan.Counts[lifecycle.NotSent])
		assert.Equal(t, invitations.OpRevoke, activities[4].Operation)
		assert.Equal(t, 5*time.Second, activities[4].AtMost)
		assert.True(t, strings.HasPrefix(activities[4].What, "revoke inv_"))

		for e, err := range m.Run(t.Context(), plan, lifecycle.RunOptions{}) {
			require.NoError(t, err)
			plan.Record(e)
		}
		assert.True(t, plan.Complete)
		assert.Equal(t, 6, plan.Counts[lifecycle.Revoked])
		ok := map[string]int{}
		for _, r := range srv.Requests() {
			if r.Operation == invitations.OpRevoke {
				require.Equal(t, http.StatusOK, r.Status)
				ok[r.Path]++
			}
		}
		assert.Len(t, ok, 6)
		for path, n := range ok {
			assert.Equal(t, 1, n, path)
		}
	})
}

func TestADryRunListsWhatARunWouldDo(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	c, m := srv.Client, lifecycle.New(srv.Client)
	for _, p := range addresses("y", 3) {
		mustCreate(t, c, p)
	}
	plan, err := m.Plan(t.Context(), lifecycle.ActionDelete, lifecycle.Selection{Query: "y00"})
	require.NoError(t, err)
	plan.MarkDryRun()
	assert.True(t, plan.DryRun)
	assert.True(t, plan.Complete)
	assert.Equal(t, map[lifecycle.Result]int{lifecycle.WouldDelete: 3}, plan.Counts)
	assert.Equal(t, 3, srv.Len(), "nothing changed")
}

// TestLeastTime: the time Clerk's budgets allow a run at the least.
func TestLeastTime(t *testing.T) {
	t.Parallel()
	report := func(action lifecycle.Action, n int, status invitations.Status) *lifecycle.Report {
		r := &lifecycle.Report{Action: action}
		for i := range n {
			r.Entries = append(r.Entries, lifecycle.Entry{EmailAddress: fmt.Sprintf("%d@example.com", i), InvitationID: fmt.Sprint(i), Result: lifecycle.NotSent, Status: status})
		}
		return r
	}
	dev, prod := invitations.DevelopmentBudgets(), invitations.ProductionBudgets()
	assert.Equal(t, 90*time.Second, report(lifecycle.ActionRevoke, 1000, invitations.StatusPending).LeastTime(dev), "100 calls per 10 s")
	assert.Zero(t, report(lifecycle.ActionRevoke, 1000, invitations.StatusPending).LeastTime(prod), "1,000 calls fit one window")
	assert.Equal(t, 2*time.Hour, report(lifecycle.ActionReissue, 1000, invitations.StatusPending).LeastTime(prod), "350 creates an hour")
	assert.Equal(t, 2*time.Hour, report("", 1000, "").LeastTime(dev))
	assert.Zero(t, report(lifecycle.ActionReissue, 1000, invitations.StatusExpired).LeastTime(invitations.Budgets{}))
}
