package invitations_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
)

func TestRevokePostsToTheInvitationsPath(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("POST /invitations/{id}/revoke", 200, nil, invitationJSON("inv_2Xy-z_9", "ada@example.com", "revoked"))
	inv, err := f.client.Revoke(t.Context(), "inv_2Xy-z_9")
	require.NoError(t, err)
	req := f.only(t)
	assert.Equal(t, "POST", req.Method)
	assert.Equal(t, "/v1/invitations/inv_2Xy-z_9/revoke", req.Path)
	assert.Empty(t, req.Body)
	assert.Empty(t, req.RawQuery)
	assert.Equal(t, invitations.StatusRevoked, inv.Status)
	assert.True(t, inv.Revoked)
	assert.NotNil(t, inv.PublicMetadata, "an empty object decodes to an empty map, not nil")
	assert.Empty(t, inv.PublicMetadata)
}

func TestRevokeAndDeleteRejectUnsafeIDsBeforeSending(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ids := []string{
		"", "/", "..", ".", "../users/user_1", "inv_1/../../users", "inv_1?x=1", "inv_1#frag",
		"inv 1", "inv_1\n", "inv_1\x00", "inv_1%2F", `inv_1\x`, "inv_é", strings.Repeat("a", 129), "bulk/../inv_1",
	}
	for _, id := range ids {
		inv, err := f.client.Revoke(t.Context(), id)
		assert.Nil(t, inv)
		var verr *invitations.ValidationError
		require.ErrorAs(t, err, &verr, "revoke %q", id)
		assert.Equal(t, "invitation_id", verr.Field)
		assert.NotContains(t, err.Error(), "\n", "the error must stay one line")

		err = f.client.Delete(t.Context(), id)
		require.ErrorAs(t, err, &verr, "delete %q", id)
		assert.Equal(t, "invitation_id", verr.Field)
		assert.NotContains(t, err.Error(), "\n", "the error must stay one line")
	}
	assert.Empty(t, f.sent(), "an unsafe id must never reach the network")
}
