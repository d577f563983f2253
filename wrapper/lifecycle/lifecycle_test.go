package lifecycle_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerk-invitations/clerk-invitations-go/internal/testkit"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations/invitationstest"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/lifecycle"
)

func mustCreate(t *testing.T, c *invitations.Client, p invitations.CreateParams) *invitations.Invitation {
	t.Helper()
	if p.Notify == nil {
		p.Notify = invitations.Ptr(false)
	}
	inv, err := c.Create(t.Context(), p)
	require.NoError(t, err)
	return inv
}

func TestFindByEmailMatchesExactly(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	c := srv.Client
	m := lifecycle.New(c)
	old := mustCreate(t, c, invitations.CreateParams{EmailAddress: "Ada@Example.com"})
	_, err := c.Revoke(t.Context(), old.ID)
	require.NoError(t, err)
	srv.Advance(time.Second)
	current := mustCreate(t, c, invitations.CreateParams{EmailAddress: "ada@example.com"})
	mustCreate(t, c, invitations.CreateParams{EmailAddress: "bada@example.com"})
	mustCreate(t, c, invitations.CreateParams{EmailAddress: "ada@example.com.evil.test"})

	all, err := m.FindByEmail(t.Context(), "ADA@example.com")
	require.NoError(t, err)
	require.Len(t, all, 2, "every status, and no substring hits")
	assert.Equal(t, current.ID, all[0].ID, "newest first")
	assert.Equal(t, old.ID, all[1].ID)

	pending, err := m.FindByEmail(t.Context(), "ada@example.com", invitations.StatusPending)
	require.NoError(t, err)
	require.Len(t, pending, 1)
	assert.Equal(t, current.ID, pending[0].ID)

	none, err := m.FindByEmail(t.Context(), "nobody@example.com")
	require.NoError(t, err)
	assert.Empty(t, none)

	var verr *invitations.ValidationError
	_, err = m.FindByEmail(t.Context(), "not an address")
	require.ErrorAs(t, err, &verr)
	assert.Equal(t, "email_address", verr.Field)
}

func TestEnsureInvited(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	c := srv.Client
	m := lifecycle.New(c)
	p := invitations.CreateParams{EmailAddress: "ada@example.com", Notify: invitations.Ptr(false)}
	first, created, err := m.EnsureInvited(t.Context(), p)
	require.NoError(t, err)
	assert.True(t, created)
	again, created, err := m.EnsureInvited(t.Context(), invitations.CreateParams{EmailAddress: "ADA@example.com"})
	require.NoError(t, err)
	assert.False(t, created)
	assert.Equal(t, first.ID, again.ID)
	assert.Equal(t, 1, srv.Len())

	var verr *invitations.ValidationError
	_, _, err = m.EnsureInvited(t.Context(), invitations.CreateParams{EmailAddress: "b@example.com", IgnoreExisting: invitations.Ptr(true)})
	require.ErrorAs(t, err, &verr)
	assert.Equal(t, "ignore_existing", verr.Field)
}

func TestEnsureInvitedUnderConcurrentCalls(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	c := srv.Client
	m := lifecycle.New(c)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ids := map[string]int{}
	createdCount := 0
	for range 20 {
		wg.Go(func() {
			inv, created, err := m.EnsureInvited(t.Context(), invitations.CreateParams{EmailAddress: "race@example.com", Notify: invitations.Ptr(false)})
			assert.NoError(t, err)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				ids[inv.ID]++
			}
			if created {
				createdCount++
			}
		})
	}
	wg.Wait()
	assert.Len(t, ids, 1, "everyone got the same invitation")
	assert.Equal(t, 1, createdCount)
	assert.Equal(t, 1, srv.Len())
}

func TestEnsureInvitedWhenInvitedInBetween(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	c := srv.Client
	m := lifecycle.New(c)
	existing := mustCreate(t, c, invitations.CreateParams{EmailAddress: "ada@example.com"})
	// The first lookup sees nothing (as if another process invited the address right after).
	srv.FailNext(invitations.OpList, 1, invitationstest.Fault{Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: `{"data":[],"total_count":0}`})
	inv, created, err := m.EnsureInvited(t.Context(), invitations.CreateParams{EmailAddress: "ada@example.com"})
	require.NoError(t, err)
	assert.False(t, created)
	assert.Equal(t, existing.ID, inv.ID)
	assert.Equal(t, 1, srv.Len())
}

func TestRevokeByEmail(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	c := srv.Client
	m := lifecycle.New(c)
	a1 := mustCreate(t, c, invitations.CreateParams{EmailAddress: "ada@example.com"})
	a2 := mustCreate(t, c, invitations.CreateParams{EmailAddress: "ada@example.com", IgnoreExisting: invitations.Ptr(true)})
	other := mustCreate(t, c, invitations.CreateParams{EmailAddress: "grace@example.com"})

	revoked, err := m.RevokeByEmail(t.Context(), "ada@example.com")
	require.NoError(t, err)
	require.Len(t, revoked, 2)
	assert.ElementsMatch(t, []string{a1.ID, a2.ID}, []string{revoked[0].ID, revoked[1].ID})
	for _, inv := range revoked {
		assert.Equal(t, invitations.StatusRevoked, inv.Status)
	}
	d, _ := srv.Lookup(other.ID)
	assert.Equal(t, invitations.StatusPending, d.Status)

	again, err := m.RevokeByEmail(t.Context(), "ada@example.com")
	require.NoError(t, err)
	assert.Empty(t, again, "nothing pending left")
}

func TestDeleteByEmail(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	c := srv.Client
	m := lifecycle.New(c)
	pending := mustCreate(t, c, invitations.CreateParams{EmailAddress: "ada@example.com"})
	revoked := mustCreate(t, c, invitations.CreateParams{EmailAddress: "ada@example.com", IgnoreExisting: invitations.Ptr(true)})
	_, err := c.Revoke(t.Context(), revoked.ID)
	require.NoError(t, err)
	accepted := mustCreate(t, c, invitations.CreateParams{EmailAddress: "ada@example.com", IgnoreExisting: invitations.Ptr(true)})
	require.NoError(t, srv.Accept(accepted.ID))
	other := mustCreate(t, c, invitations.CreateParams{EmailAddress: "bada@example.com"})

	deleted, err := m.DeleteByEmail(t.Context(), "ada@example.com")
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{pending.ID, revoked.ID, accepted.ID}, deleted)
	assert.Equal(t, 1, srv.Len())
	_, ok := srv.Lookup(other.ID)
	assert.True(t, ok, "only the exact address")
	// The user the accepted invitation made is not touched.
	_, err = c.Create(t.Context(), invitations.CreateParams{EmailAddress: "ada@example.com"})
	assert.ErrorIs(t, err, invitations.ErrInvalidRequest)
}

func TestReissue(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	c := srv.Client
	m := lifecycle.New(c)
	old := mustCreate(t, c, invitations.CreateParams{EmailAddress: "ada@example.com", PublicMetadata: map[string]any{"plan": "pro"}})

	got, err := m.Reissue(t.Context(), old.ID, lifecycle.ReissueParams{TemplateSlug: invitations.TemplateWaitlistInvitation, Notify: invitations.Ptr(false)})
	require.NoError(t, err)
	assert.Equal(t, old.ID, got.Old.ID)
	assert.Equal(t, invitations.StatusRevoked, got.Old.Status)
	assert.NotEqual(t, old.ID, got.New.ID)
	assert.Equal(t, invitations.StatusPending, got.New.Status)
	assert.Equal(t, map[string]any{"plan": "pro"}, got.New.PublicMetadata, "metadata copied")
	d, _ := srv.Lookup(got.New.ID)
	assert.Equal(t, invitations.TemplateWaitlistInvitation, d.TemplateSlug)
	assert.False(t, d.Notified)
	d, _ = srv.Lookup(old.ID)
	assert.Equal(t, invitations.StatusRevoked, d.Status)

	// By address: its pending invitation, which is now got.New.
	byEmail, err := m.Reissue(t.Context(), "ADA@example.com", lifecycle.ReissueParams{})
	require.NoError(t, err)
	assert.Equal(t, got.New.ID, byEmail.Old.ID)
	d, _ = srv.Lookup(byEmail.New.ID)
	assert.True(t, d.Notified, "Clerk's default: the email is sent")

	// An expired invitation is reissued without a revoke.
	expired := mustCreate(t, c, invitations.CreateParams{EmailAddress: "grace@example.com"})
	require.NoError(t, srv.Expire(expired.ID))
	again, err := m.Reissue(t.Context(), "grace@example.com", lifecycle.ReissueParams{Notify: invitations.Ptr(false)})
	require.NoError(t, err)
	assert.Equal(t, expired.ID, again.Old.ID)
	assert.Equal(t, invitations.StatusExpired, again.Old.Status)

	accepted := mustCreate(t, c, invitations.CreateParams{EmailAddress: "linus@example.com"})
	require.NoError(t, srv.Accept(accepted.ID))
	_, err = m.Reissue(t.Context(), accepted.ID, lifecycle.ReissueParams{})
	assert.ErrorIs(t, err, invitations.ErrAlreadyAccepted)
	_, err = m.Reissue(t.Context(), "nobody@example.com", lifecycle.ReissueParams{})
	assert.ErrorIs(t, err, invitations.ErrNotFound)
}

func TestReissueWhenTheRevokeFails(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	c := srv.Client
	m := lifecycle.New(c)
	old := mustCreate(t, c, invitations.CreateParams{EmailAddress: "ada@example.com"})
	srv.FailNext(invitations.OpRevoke, 1, invitationstest.Fault{Status: 500, Header: http.Header{"Content-Type": {"application/json"}},
		Body: `{"errors":[{"code":"internal_clerk_error","message":"x","long_message":"boom"}]}`})
	got, err := m.Reissue(t.Context(), old.ID, lifecycle.ReissueParams{Notify: invitations.Ptr(false)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "still pending")
	require.NotNil(t, got, "the new invitation is reported")
	assert.NotEmpty(t, got.New.ID)
	d, _ := srv.Lookup(old.ID)
	assert.Equal(t, invitations.StatusPending, d.Status, "the person keeps a working invitation either way")
	d, _ = srv.Lookup(got.New.ID)
	assert.Equal(t, invitations.StatusPending, d.Status)
}

// TestNilContextIsAnErrorNotAPanic calls every method that takes a context with a nil one.
func TestNilContextIsAnErrorNotAPanic(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t)
	m := lifecycle.New(srv.Client)
	testkit.CheckNilContext(t, m, "ada@example.com", invitations.CreateParams{EmailAddress: "ada@example.com"},
		[]invitations.CreateParams{{EmailAddress: "ada@example.com"}}, lifecycle.ActionRevoke, &lifecycle.Report{Action: lifecycle.ActionRevoke})
	w, err := m.NewWatcher(nil)
	require.NoError(t, err)
	testkit.CheckNilContext(t, w)
	assert.Zero(t, srv.Len())
}
