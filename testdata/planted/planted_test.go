package invitations_test

// This file is not built here. TestASpecChangeReachesClientAndServer (gen_test.go, at the module
// root) copies the module, changes openapi.yaml (the revoke path becomes
// /invitations/{invitation_id}/cancel; the invitation's url becomes accept_url and the page's
// total_count becomes total on the wire, keeping their Go names; both create schemas gain an
// optional locale), regenerates generated/, and runs this test in the copy, beside the
// unchanged wrapper and embedded Clerk.

import (
	"encoding/json"
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

// TestPlantedFieldAndTotal: the embedded Clerk accepts the field openapi.yaml now declares, in a
// single create and in a bulk item, still refuses one it does not declare, and writes the
// page's total under its new name, which the unchanged client reads.
func TestPlantedFieldAndTotal(t *testing.T) {
	srv := invitationstest.NewServer(t, invitationstest.WithValidation())
	post := func(path, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+srv.SecretKey)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		answer, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(answer)
	}
	status, body := post("/invitations", `{"email_address":"fr@example.com","locale":"fr","notify":false}`)
	assert.Equal(t, http.StatusOK, status, body)
	status, body = post("/invitations/bulk", `[{"email_address":"de@example.com","locale":"de","notify":false}]`)
	assert.Equal(t, http.StatusOK, status, body)
	status, body = post("/invitations", `{"email_address":"xx@example.com","role":"admin"}`)
	require.Equal(t, http.StatusUnprocessableEntity, status, body)
	var refusal struct {
		Errors []struct {
			Code string         `json:"code"`
			Meta map[string]any `json:"meta"`
		} `json:"errors"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &refusal))
	require.Len(t, refusal.Errors, 1)
	assert.Equal(t, "form_param_unknown", refusal.Errors[0].Code)
	assert.Equal(t, "role", refusal.Errors[0].Meta["param_name"])

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/invitations?paginated=true&limit=1", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+srv.SecretKey)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Contains(t, string(raw), `"total":2`)
	assert.NotContains(t, string(raw), `total_count`)

	page, err := srv.Client.List(t.Context(), invitations.ListParams{Limit: 1})
	require.NoError(t, err)
	assert.Equal(t, 2, page.TotalCount, "the client reads the total under its new name")
	n := 0
	for _, err := range srv.Client.All(t.Context(), invitations.ListParams{Limit: 1}) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 2, n, "All walks by the renamed total")
}
