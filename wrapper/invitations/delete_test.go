package invitations_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
)

func TestDeleteSendsDeleteToTheInvitationsPath(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("DELETE /invitations/{id}", 200, nil, `{"object":"invitation","id":"inv_2Xy-z_9","deleted":true}`)
	require.NoError(t, f.client.Delete(t.Context(), "inv_2Xy-z_9"))
	req := f.only(t)
	assert.Equal(t, "DELETE", req.Method)
	assert.Equal(t, "/v1/invitations/inv_2Xy-z_9", req.Path)
	assert.Empty(t, req.Body)
	assert.Empty(t, req.RawQuery)
	assert.Equal(t, "Bearer "+testKey, req.Header.Get("Authorization"))
}

func TestDeleteAcceptsAnAnswerWithoutID(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("DELETE /invitations/{id}", 200, nil, `{"object":"invitation","deleted":true}`)
	assert.NoError(t, f.client.Delete(t.Context(), "inv_1"))
}

func TestDeleteRefusesAnAnswerThatDoesNotConfirm(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"not deleted":   `{"object":"invitation","id":"inv_1","deleted":false}`,
		"another id":    `{"object":"invitation","id":"inv_2","deleted":true}`,
		"an invitation": invitationJSON("inv_1", "ada@example.com", "revoked"),
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			f.handle("DELETE /invitations/{id}", 200, nil, body)
			err := f.client.Delete(t.Context(), "inv_1")
			require.Error(t, err)
			assert.Contains(t, err.Error(), "invitations: delete: ")
			var apiErr *invitations.APIError
			assert.NotErrorAs(t, err, &apiErr, "a 2xx is not an API error")
			f.findings.Take() // the last two break openapi.yaml on purpose
		})
	}
}

func TestDeleteUnknownIsErrNotFound(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("DELETE /invitations/{id}", 404, nil, errorJSON(404, "resource_not_found", "No invitation was found with id inv_1."))
	err := f.client.Delete(t.Context(), "inv_1")
	assert.ErrorIs(t, err, invitations.ErrNotFound)
	var apiErr *invitations.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, invitations.OpDelete, apiErr.Operation)
}
