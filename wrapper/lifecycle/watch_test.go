package lifecycle_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations/invitationstest"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/lifecycle"
)

// kinds lists the changes as "kind address" lines, sorted.
func kinds(changes []lifecycle.Change) []string {
	var out []string
	for _, c := range changes {
		out = append(out, c.Kind+" "+c.Invitation.EmailAddress)
	}
	slices.Sort(out)
	return out
}

func TestWatcherReportsEveryChange(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation(), invitationstest.WithClock(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)))
	c, m := srv.Client, lifecycle.New(srv.Client)
	accept := mustCreate(t, c, invitations.CreateParams{EmailAddress: "accept@example.com"})
	expire := mustCreate(t, c, invitations.CreateParams{EmailAddress: "expire@example.com"})
	revoke := mustCreate(t, c, invitations.CreateParams{EmailAddress: "revoke@example.com"})
	gone := mustCreate(t, c, invitations.CreateParams{EmailAddress: "delete@example.com"})
	// Before the watch began, the newest invitations (a bulk create: one created_at) accepted:
	// never reported.
	earlier, err := c.BulkCreate(t.Context(), []invitations.CreateParams{{EmailAddress: "before1@example.com"}, {EmailAddress: "before2@example.com"}})
	require.NoError(t, err)
	for _, inv := range earlier {
		require.NoError(t, srv.Accept(inv.ID))
	}

	w, err := m.NewWatcher(nil)
	require.NoError(t, err)
	changes, err := w.Poll(t.Context())
	require.NoError(t, err)
	assert.Empty(t, changes, "the first poll only learns what exists")
	assert.Equal(t, 4, w.Tracked())

	srv.Advance(time.Minute)
	require.NoError(t, srv.Accept(accept.ID))
	require.NoError(t, srv.Expire(expire.ID))
	_, err = c.Revoke(t.Context(), revoke.ID)
	require.NoError(t, err)
	require.NoError(t, c.Delete(t.Context(), gone.ID))
	mustCreate(t, c, invitations.CreateParams{EmailAddress: "new@example.com"})
	quick := mustCreate(t, c, invitations.CreateParams{EmailAddress: "quick@example.com"})
	require.NoError(t, srv.Accept(quick.ID)) // created and accepted between two polls

	srv.ClearRequests()
	changes, err = w.Poll(t.Context())
	require.NoError(t, err)
	assert.Equal(t, []string{"accepted accept@example.com", "accepted quick@example.com", "created new@example.com", "created quick@example.com",
		"deleted delete@example.com", "expired expire@example.com", "revoked revoke@example.com"}, kinds(changes))
	for _, ch := range changes {
		switch ch.Kind {
		case lifecycle.KindCreated:
			assert.Equal(t, invitations.Status(""), ch.OldStatus)
			assert.Equal(t, invitations.StatusPending, ch.NewStatus)
		case lifecycle.KindDeleted:
			assert.Equal(t, gone.ID, ch.Invitation.ID)
			assert.Equal(t, invitations.StatusPending, ch.OldStatus)
			assert.Equal(t, invitations.Status(""), ch.NewStatus)
		default:
			assert.Equal(t, invitations.StatusPending, ch.OldStatus)
			assert.Equal(t, invitations.Status(ch.Kind), ch.NewStatus)
			assert.Equal(t, ch.NewStatus, ch.Invitation.Status)
		}
	}
	// One list call for the pending ones, one for those already gone from pending, and one
	// lookup per invitation that left pending.
	assert.Equal(t, 2+4, len(srv.Requests()))
	assert.Equal(t, 1, w.Tracked(), "new@example.com")

	changes, err = w.Poll(t.Context())
	require.NoError(t, err)
	assert.Empty(t, changes, "nothing twice")
}

// TestAWatcherRestartedFromItsStateMissesNothing: a Watcher made from a saved state reports
// what changed while no watcher ran, and nothing it reported before.
func TestAWatcherRestartedFromItsStateMissesNothing(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation(), invitationstest.WithClock(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)))
	c, m := srv.Client, lifecycle.New(srv.Client)
	first := mustCreate(t, c, invitations.CreateParams{EmailAddress: "first@example.com"})
	w, err := m.NewWatcher(nil)
	require.NoError(t, err)
	_, err = w.Poll(t.Context())
	require.NoError(t, err)
	srv.Advance(time.Second)
	second := mustCreate(t, c, invitations.CreateParams{EmailAddress: "second@example.com"})
	changes, err := w.Poll(t.Context())
	require.NoError(t, err)
	assert.Equal(t, []string{"created second@example.com"}, kinds(changes))
	state, err := w.MarshalJSON()
	require.NoError(t, err)

	// Stopped; meanwhile both are accepted and a third is created.
	require.NoError(t, srv.Accept(first.ID))
	require.NoError(t, srv.Accept(second.ID))
	srv.Advance(time.Second)
	mustCreate(t, c, invitations.CreateParams{EmailAddress: "third@example.com"})

	again, err := m.NewWatcher(state)
	require.NoError(t, err)
	changes, err = again.Poll(t.Context())
	require.NoError(t, err)
	assert.Equal(t, []string{"accepted first@example.com", "accepted second@example.com", "created third@example.com"}, kinds(changes))

	// The newest invitation leaves pending: reported once, not again by the look at recent ones.
	srv.Advance(time.Second)
	fourth := mustCreate(t, c, invitations.CreateParams{EmailAddress: "fourth@example.com"})
	_, err = again.Poll(t.Context())
	require.NoError(t, err)
	require.NoError(t, srv.Accept(fourth.ID))
	changes, err = again.Poll(t.Context())
	require.NoError(t, err)
	assert.Equal(t, []string{"accepted fourth@example.com"}, kinds(changes))
	changes, err = again.Poll(t.Context())
	require.NoError(t, err)
	assert.Empty(t, changes)

	_, err = m.NewWatcher([]byte(`{"entries":[]}`))
	assert.ErrorContains(t, err, "not a saved watcher state")
}

// TestAWatcherCallsNoMoreThanItMust: with 1,200 pending invitations a poll costs three list
// calls for them, one for the recent ones, and one lookup per invitation that left pending.
func TestAWatcherCallsNoMoreThanItMust(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	m := lifecycle.New(srv.Client)
	items := make([]invitations.CreateParams, 1200)
	for i := range items {
		items[i] = invitations.CreateParams{EmailAddress: fmt.Sprintf("w%04d@example.com", i), Notify: invitations.Ptr(false)}
	}
	report, err := m.InviteMany(t.Context(), items, lifecycle.InviteOptions{})
	require.NoError(t, err)
	w, err := m.NewWatcher(nil)
	require.NoError(t, err)
	_, err = w.Poll(t.Context())
	require.NoError(t, err)
	for _, e := range report.Entries[:5] {
		require.NoError(t, srv.Accept(e.InvitationID))
	}
	// The other two through the control plane, as a test in another language would.
	control(t, srv, "/_control/invitations/"+report.Entries[5].InvitationID+"/accept")
	control(t, srv, "/_control/invitations/"+report.Entries[6].InvitationID+"/expire")
	srv.ClearRequests()
	changes, err := w.Poll(t.Context())
	require.NoError(t, err)
	assert.Len(t, changes, 7)
	assert.Len(t, srv.Requests(), 3+1+7)
}

// control posts to the embedded Clerk's control plane.
func control(t *testing.T, srv *invitationstest.Server, path string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, strings.TrimSuffix(srv.URL, "/v1")+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+srv.SecretKey)
	resp, err := srv.HTTPClient().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, path)
}
