package invitationstest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations/invitationstest"
)

// inviteTeam is the kind of code a user tests: invite addresses, skipping ones already invited.
func inviteTeam(ctx context.Context, c *invitations.Client, addrs []string) (int, error) {
	n := 0
	for _, a := range addrs {
		_, err := c.Create(ctx, invitations.CreateParams{EmailAddress: a, Notify: invitations.Ptr(false)})
		switch {
		case errors.Is(err, invitations.ErrDuplicate):
		case err != nil:
			return n, err
		default:
			n++
		}
	}
	return n, nil
}

func TestAUserFlowInAFewLines(t *testing.T) {
	srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	n, err := inviteTeam(t.Context(), srv.Client, []string{"a@example.com", "b@example.com", "a@example.com"})
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	page, err := srv.Client.List(t.Context(), invitations.ListParams{Statuses: []invitations.Status{invitations.StatusPending}})
	require.NoError(t, err)
	assert.Equal(t, 2, page.TotalCount)
}

func TestHelpersMoveTheWorld(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	srv := invitationstest.NewServer(t, invitationstest.WithValidation(), invitationstest.WithClock(start))
	ctx := t.Context()
	c := srv.Client

	a, err := c.Create(ctx, invitations.CreateParams{EmailAddress: "a@example.com", ExpiresInDays: 2, Notify: invitations.Ptr(false), TemplateSlug: invitations.TemplateWaitlistInvitation})
	require.NoError(t, err)
	assert.Equal(t, start, a.CreatedAt)
	assert.Equal(t, start.Add(48*time.Hour), a.ExpiresAt)
	d, ok := srv.Lookup(a.ID)
	require.True(t, ok)
	assert.False(t, d.Notified, "notify:false reached the server")
	assert.Equal(t, invitations.TemplateWaitlistInvitation, d.TemplateSlug)

	b, err := c.Create(ctx, invitations.CreateParams{EmailAddress: "b@example.com"})
	require.NoError(t, err)
	require.NoError(t, srv.Accept(b.ID))
	_, err = c.Revoke(ctx, b.ID)
	assert.ErrorIs(t, err, invitations.ErrAlreadyAccepted)
	_, err = c.Create(ctx, invitations.CreateParams{EmailAddress: "b@example.com"})
	assert.ErrorIs(t, err, invitations.ErrInvalidRequest, "an accepted address belongs to a user")

	srv.Advance(49 * time.Hour)
	assert.Equal(t, start.Add(49*time.Hour), srv.Now())
	page, err := c.List(ctx, invitations.ListParams{Statuses: []invitations.Status{invitations.StatusExpired}})
	require.NoError(t, err)
	require.Len(t, page.Invitations, 1)
	assert.Equal(t, a.ID, page.Invitations[0].ID)

	srv.RegisterUser("user@example.com")
	_, err = c.BulkCreate(ctx, []invitations.CreateParams{{EmailAddress: "c@example.com"}, {EmailAddress: "user@example.com"}})
	assert.ErrorIs(t, err, invitations.ErrInvalidRequest)
	assert.Equal(t, 2, srv.Len(), "the bulk call created nothing")

	cInv, err := c.Create(ctx, invitations.CreateParams{EmailAddress: "c@example.com"})
	require.NoError(t, err)
	require.NoError(t, srv.Expire(cInv.ID))
	_, ok = srv.Lookup("inv_missing")
	assert.False(t, ok)
}

func TestFailNext(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	ctx := t.Context()
	// srv.Client retries like any default client: one proxy page does not stop it.
	bad := invitationstest.Fault{Status: 502, Header: http.Header{"Content-Type": {"text/html"}}, Body: "<html>bad gateway</html>"}
	srv.FailNext(invitations.OpCreate, 1, bad)
	_, err := srv.Client.Create(ctx, invitations.CreateParams{EmailAddress: "a@example.com"})
	require.NoError(t, err)
	assert.Equal(t, 1, srv.Len())

	// A client without retries sees each fault.
	c, err := invitations.New(srv.SecretKey, invitations.WithBaseURL(srv.URL), invitations.WithRetries(0))
	require.NoError(t, err)
	srv.FailNext(invitations.OpList, 1, bad)
	_, err = c.List(ctx, invitations.ListParams{})
	var apiErr *invitations.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 502, apiErr.StatusCode)
	assert.Equal(t, "<html>bad gateway</html>", string(apiErr.Body))

	// net/http retries an idempotent GET once when a reused connection closes, so drop twice.
	srv.FailNext(invitations.OpList, 2, invitationstest.Fault{Drop: true})
	_, err = c.List(ctx, invitations.ListParams{})
	var transportErr *invitations.TransportError
	require.ErrorAs(t, err, &transportErr, "a dropped connection is a transport error")
	assert.False(t, errors.As(err, &apiErr))

	srv.FailNext(invitations.OpRevoke, 1, invitationstest.Fault{Delay: time.Second})
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	_, err = srv.Client.Revoke(short, "inv_x")
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestRateLimitsSurfaceAsErrRateLimited(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation(),
		invitationstest.WithClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)),
		invitationstest.WithRateLimits(invitations.ProductionBudgets()))
	ctx := t.Context()
	for i := range 100 {
		_, err := srv.Client.Create(ctx, invitations.CreateParams{EmailAddress: fmt.Sprintf("p%d@example.com", i), Notify: invitations.Ptr(false)})
		require.NoError(t, err, i)
	}
	_, err := srv.Client.Create(ctx, invitations.CreateParams{EmailAddress: "one-more@example.com"})
	require.ErrorIs(t, err, invitations.ErrRateLimited)
	var apiErr *invitations.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, time.Hour, apiErr.RetryAfter)

	srv.Advance(time.Hour)
	_, err = srv.Client.Create(ctx, invitations.CreateParams{EmailAddress: "one-more@example.com"})
	assert.NoError(t, err)
}

func TestWithSecretKeyAndWrongKey(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation(), invitationstest.WithSecretKey("sk_test_mine"))
	assert.Equal(t, "sk_test_mine", srv.SecretKey)
	other, err := invitations.New("sk_test_other", invitations.WithBaseURL(srv.URL))
	require.NoError(t, err)
	_, err = other.List(t.Context(), invitations.ListParams{})
	assert.ErrorIs(t, err, invitations.ErrUnauthorized)
	assert.NotContains(t, err.Error(), "sk_test_other")
}

func TestDeleteAndFailNextOnDelete(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	ctx := t.Context()
	inv, err := srv.Client.Create(ctx, invitations.CreateParams{EmailAddress: "a@example.com", Notify: invitations.Ptr(false)})
	require.NoError(t, err)

	// Three 503s outlast the default client's two retries.
	srv.FailNext(invitations.OpDelete, 3, invitationstest.Fault{Status: 503, Header: http.Header{"Content-Type": {"text/plain"}}, Body: "down"})
	err = srv.Client.Delete(ctx, inv.ID)
	var apiErr *invitations.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 503, apiErr.StatusCode)
	assert.Equal(t, 3, apiErr.Attempts)
	_, found := srv.Lookup(inv.ID)
	assert.True(t, found, "a faulted delete is not carried out")

	require.NoError(t, srv.Client.Delete(ctx, inv.ID))
	_, found = srv.Lookup(inv.ID)
	assert.False(t, found)
	assert.Equal(t, 0, srv.Len())
	assert.ErrorIs(t, srv.Client.Delete(ctx, inv.ID), invitations.ErrNotFound)
	_, err = srv.Client.Revoke(ctx, inv.ID)
	assert.ErrorIs(t, err, invitations.ErrNotFound)
	_, err = srv.Client.Create(ctx, invitations.CreateParams{EmailAddress: "a@example.com", Notify: invitations.Ptr(false)})
	assert.NoError(t, err, "after a delete the address can be invited again")
}

func TestListLeavesRevokedOutUnlessAsked(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	ctx := t.Context()
	a, err := srv.Client.Create(ctx, invitations.CreateParams{EmailAddress: "a@example.com"})
	require.NoError(t, err)
	_, err = srv.Client.Create(ctx, invitations.CreateParams{EmailAddress: "b@example.com"})
	require.NoError(t, err)
	_, err = srv.Client.Revoke(ctx, a.ID)
	require.NoError(t, err)

	page, err := srv.Client.List(ctx, invitations.ListParams{})
	require.NoError(t, err)
	assert.Equal(t, 1, page.TotalCount)
	assert.Equal(t, "b@example.com", page.Invitations[0].EmailAddress)
	page, err = srv.Client.List(ctx, invitations.ListParams{Statuses: []invitations.Status{invitations.StatusRevoked}})
	require.NoError(t, err)
	assert.Equal(t, 1, page.TotalCount)
	assert.Equal(t, a.ID, page.Invitations[0].ID)
}

func TestParamNameOfARefusedCreate(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	srv.RegisterUser("user@example.com")
	_, err := srv.Client.Create(t.Context(), invitations.CreateParams{EmailAddress: "user@example.com"})
	var apiErr *invitations.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "email_address", apiErr.Errors[0].ParamName)
	assert.NotContains(t, err.Error(), "user@example.com")
}

// Example shows a test of an application's own invitation flow against the embedded server.
func Example() {
	srv, err := invitationstest.Start() // in a test: srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	ctx := context.Background()

	inv, _ := srv.Client.Create(ctx, invitations.CreateParams{EmailAddress: "ada@example.com"})
	_ = srv.Accept(inv.ID) // Ada signs up through the link
	page, _ := srv.Client.List(ctx, invitations.ListParams{Statuses: []invitations.Status{invitations.StatusAccepted}})
	fmt.Println(page.TotalCount, page.Invitations[0].EmailAddress)
	// Output: 1 ada@example.com
}

// TestInMemoryNetworkInASynctestBubble is docs/testing.md's example: over in-memory connections, a wait
// for Retry-After takes exactly its time on the bubble's clock, and no real time.
func TestInMemoryNetworkInASynctestBubble(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := invitationstest.NewServer(t, invitationstest.WithValidation(), invitationstest.WithInMemoryNetwork(),
			invitationstest.WithRateLimits(invitations.Budgets{Overall: invitations.Budget{Calls: 1, Per: time.Second}}))
		_, _ = srv.Client.List(t.Context(), invitations.ListParams{})
		began := time.Now()
		_, err := srv.Client.List(t.Context(), invitations.ListParams{}) // 429, Retry-After: 1
		require.NoError(t, err)
		require.Equal(t, time.Second, time.Since(began))
	})
}

// TestTheRequestLog: Requests says what the code under test asked and what it was answered;
// ClearRequests empties it.
func TestTheRequestLog(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	inv, err := srv.Client.Create(t.Context(), invitations.CreateParams{EmailAddress: "ada@example.com", Notify: invitations.Ptr(false)})
	require.NoError(t, err)
	_, err = srv.Client.Create(t.Context(), invitations.CreateParams{EmailAddress: "ada@example.com"})
	require.ErrorIs(t, err, invitations.ErrDuplicate)
	_, err = srv.Client.Revoke(t.Context(), inv.ID)
	require.NoError(t, err)
	log := srv.Requests()
	require.Len(t, log, 3)
	assert.Equal(t, invitations.OpCreate, log[0].Operation)
	assert.Equal(t, http.StatusOK, log[0].Status)
	assert.Equal(t, http.StatusBadRequest, log[1].Status)
	assert.Equal(t, []string{"duplicate_record"}, log[1].ErrorCodes)
	assert.Equal(t, invitations.OpRevoke, log[2].Operation)
	assert.Equal(t, "/v1/invitations/"+inv.ID+"/revoke", log[2].Path)
	srv.ClearRequests()
	assert.Empty(t, srv.Requests())
}
