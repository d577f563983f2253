package invitations_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations/invitationstest"
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

func TestGet(t *testing.T) {
	t.Parallel()
	srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	c := srv.Client
	a := mustCreate(t, c, invitations.CreateParams{EmailAddress: "a@example.com"})
	b := mustCreate(t, c, invitations.CreateParams{EmailAddress: "b@example.com"})
	_, err := c.Revoke(t.Context(), b.ID)
	require.NoError(t, err)

	got, err := c.Get(t.Context(), a.ID)
	require.NoError(t, err)
	assert.Equal(t, a.ID, got.ID)
	got, err = c.Get(t.Context(), b.ID)
	require.NoError(t, err)
	assert.Equal(t, invitations.StatusRevoked, got.Status, "any status")

	_, err = c.Get(t.Context(), a.ID[:len(a.ID)-3]) // a prefix: a substring hit, not a match
	assert.ErrorIs(t, err, invitations.ErrNotFound)
	_, err = c.Get(t.Context(), "inv_missing")
	assert.ErrorIs(t, err, invitations.ErrNotFound)
	var verr *invitations.ValidationError
	_, err = c.Get(t.Context(), "../users")
	assert.ErrorAs(t, err, &verr)
}
