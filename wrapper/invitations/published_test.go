package invitations_test

import (
	"net/http"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerk-invitations/clerk-invitations-go/internal/specvalidate"
	"github.com/clerk-invitations/clerk-invitations-go/internal/specvalidatetest"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
)

// TestRequestsMatchClerksPublishedDocument sends every field of every call through a validator
// built from Clerk's own published document (reduced to the invitation operations), so the
// client keeps using Clerk's names, types, paths and methods wherever both documents overlap.
// Only requests are checked: the published document omits most responses this client handles.
func TestRequestsMatchClerksPublishedDocument(t *testing.T) {
	t.Parallel()
	published, err := os.ReadFile("../../internal/specvalidate/testdata/clerk-published-invitations.yaml")
	require.NoError(t, err)

	f := setup(t)
	f.handle("POST /invitations", 200, nil, invitationJSON("inv_1", "ada@example.com", "pending"))
	f.handle("POST /invitations/bulk", 200, nil, "["+invitationJSON("inv_1", "ada@example.com", "pending")+"]")
	f.handle("GET /invitations", 200, nil, `{"data":[],"total_count":0}`)
	f.handle("POST /invitations/{id}/revoke", 200, nil, invitationJSON("inv_1", "ada@example.com", "revoked"))
	f.handle("DELETE /invitations/{id}", 200, nil, `{"object":"invitation","id":"inv_1","deleted":true}`)

	v, err := specvalidate.NewForDocument(published, f.server.URL+"/v1", specvalidate.Strict)
	require.NoError(t, err)
	rec := &specvalidate.Recorder{}
	// The fixture's own transport still checks everything against openapi.yaml behind this one.
	inner, _ := specvalidatetest.Transport(t, f.server.URL+"/v1", f.server.Client().Transport)
	client, err := invitations.New(testKey,
		invitations.WithBaseURL(f.server.URL+"/v1"),
		invitations.WithHTTPClient(&http.Client{Transport: &specvalidate.Transport{Validator: v, Next: inner, Report: rec.Report}}))
	require.NoError(t, err)

	every := invitations.CreateParams{
		EmailAddress:   "ada@example.com",
		PublicMetadata: map[string]any{"k": "v"},
		RedirectURL:    "https://app.example.com/accept",
		Notify:         invitations.Ptr(false),
		IgnoreExisting: invitations.Ptr(false),
		ExpiresInDays:  365,
		TemplateSlug:   invitations.TemplateWaitlistInvitation,
	}
	_, err = client.Create(t.Context(), every)
	require.NoError(t, err)
	_, err = client.BulkCreate(t.Context(), []invitations.CreateParams{every})
	require.NoError(t, err)
	// The published document allows one status value; several are sent repeated, as Clerk's Go
	// SDK does, which that document does not describe.
	_, err = client.List(t.Context(), invitations.ListParams{
		Statuses: []invitations.Status{invitations.StatusPending}, Query: "ada", OrderBy: "-expires_at", Limit: 500, Offset: 3,
	})
	require.NoError(t, err)
	_, err = client.Revoke(t.Context(), "inv_1")
	require.NoError(t, err)

	for _, finding := range rec.Take() {
		if finding.Kind == specvalidate.RequestViolation {
			t.Errorf("Clerk's published document rejects the request: %s", finding)
		}
	}

	// DeleteInvitation is ahead of the published document (a deliberate difference): it is the
	// one request that document does not know. When Clerk publishes it, refresh testdata and
	// let this test fail into a plain check.
	require.NoError(t, client.Delete(t.Context(), "inv_1"))
	findings := rec.Take()
	require.Len(t, findings, 1)
	assert.Equal(t, specvalidate.RequestViolation, findings[0].Kind)
	assert.Contains(t, findings[0].Err.Error(), "no operation for DELETE /invitations/inv_1")
	assert.Len(t, f.sent(), 5)
}
