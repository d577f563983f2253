package invitations_test

// This file is not built here. TestASpecChangeReachesClientAndServer (gen_test.go, at the module
// root) copies the module, renames the revoke path in openapi.yaml to
// /invitations/{invitation_id}/cancel and the invitation's url to accept_url on the wire (keeping
// the Go name URL), regenerates generated/, and runs this test in the copy, beside the unchanged
// wrapper.

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations/invitationstest"
)

// sent records the method and path of every request a client sends.
type sent struct {
	mu    sync.Mutex
	calls []string
}

func (s *sent) RoundTrip(req *http.Request) (*http.Response, error) {
	s.mu.Lock()
	s.calls = append(s.calls, req.Method+" "+req.URL.Path)
	s.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

func TestPlantedSpecChange(t *testing.T) {
	srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	rec := &sent{}
	c, err := invitations.New(srv.SecretKey, invitations.WithBaseURL(srv.URL), invitations.WithHTTPClient(&http.Client{Transport: rec}))
	require.NoError(t, err)

	inv, err := c.Create(t.Context(), invitations.CreateParams{EmailAddress: "ada@example.com", Notify: invitations.Ptr(false)})
	require.NoError(t, err)
	assert.NotEmpty(t, inv.URL, "the client reads the link from accept_url")

	revoked, err := c.Revoke(t.Context(), inv.ID)
	require.NoError(t, err)
	assert.Equal(t, invitations.StatusRevoked, revoked.Status)
	assert.Contains(t, rec.calls, "POST /v1/invitations/"+inv.ID+"/cancel", "the client revokes on the new path")

	// The embedded Clerk serves the new path and no longer the old one, and its answers carry
	// accept_url.
	again, err := c.Create(t.Context(), invitations.CreateParams{EmailAddress: "bob@example.com", Notify: invitations.Ptr(false)})
	require.NoError(t, err)
	for path, want := range map[string]int{"/revoke": http.StatusNotFound, "/cancel": http.StatusOK} {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/invitations/"+again.ID+path, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+srv.SecretKey)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, want, resp.StatusCode, "%s: %s", path, body)
		if want == http.StatusOK {
			assert.True(t, strings.Contains(string(body), `"accept_url":`) && !strings.Contains(string(body), `"url":`), "%s", body)
		}
	}
}
