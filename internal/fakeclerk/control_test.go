package fakeclerk_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerk-invitations/clerk-invitations-go/internal/fakeclerk"
	"github.com/clerk-invitations/clerk-invitations-go/internal/specvalidatetest"
)

// ctl drives an embedded Clerk's control plane and its API over HTTP, every control exchange
// checked against control.yaml and every API answer against openapi.yaml.
type ctl struct {
	t      *testing.T
	fake   *fakeclerk.Server
	url    string
	client *http.Client // validates against control.yaml
}

func newCtl(t *testing.T) *ctl {
	t.Helper()
	fake := fakeclerk.New(fakeclerk.Options{SecretKey: key, Control: true, Inner: specvalidatetest.ServerAnswers(t)})
	srv := httptest.NewServer(fake.Handler())
	t.Cleanup(srv.Close)
	tr, _ := specvalidatetest.ControlTransport(t, srv.URL, nil)
	return &ctl{t: t, fake: fake, url: srv.URL, client: &http.Client{Transport: tr}}
}

// do sends method path with body and the key; control paths go through the validator.
func (c *ctl) do(method, path, body string) (int, map[string]any, string) {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(c.t.Context(), method, c.url+path, rd)
	require.NoError(c.t, err)
	req.Header.Set("Authorization", "Bearer "+key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := http.DefaultClient
	if strings.HasPrefix(path, "/_control/") {
		hc = c.client
	}
	resp, err := hc.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return resp.StatusCode, m, string(raw)
}

func (c *ctl) create(addr string) string {
	c.t.Helper()
	status, m, raw := c.do("POST", "/v1/invitations", `{"email_address":"`+addr+`","notify":false}`)
	require.Equal(c.t, 200, status, raw)
	return m["id"].(string)
}

func firstCode(m map[string]any) string {
	errs, _ := m["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	return errs[0].(map[string]any)["code"].(string)
}

func TestControlPlane(t *testing.T) {
	t.Parallel()
	c := newCtl(t)
	id := c.create("ada@example.com")

	// Lookup, accept, expire.
	status, m, raw := c.do("GET", "/_control/invitations/"+id, "")
	require.Equal(t, 200, status, raw)
	assert.Equal(t, false, m["notified"], "notify was false")
	assert.Equal(t, "pending", m["invitation"].(map[string]any)["status"])
	status, m, _ = c.do("POST", "/_control/invitations/"+id+"/accept", "")
	require.Equal(t, 200, status)
	assert.Equal(t, "accepted", m["invitation"].(map[string]any)["status"])
	status, m, _ = c.do("POST", "/_control/invitations/"+id+"/accept", "")
	assert.Equal(t, 400, status)
	assert.Equal(t, "invitation_not_pending", firstCode(m))
	status, m, _ = c.do("POST", "/v1/invitations/"+id+"/revoke", "")
	assert.Equal(t, 400, status, "Clerk refuses to revoke an accepted invitation")
	assert.Equal(t, "invitation_already_accepted", firstCode(m))
	status, m, _ = c.do("POST", "/_control/invitations/inv_unknown/expire", "")
	assert.Equal(t, 404, status)
	assert.Equal(t, "resource_not_found", firstCode(m))

	// A registered user cannot be invited.
	status, _, _ = c.do("POST", "/_control/users", `{"email_address":"user@example.com"}`)
	require.Equal(t, 200, status)
	status, m, _ = c.do("POST", "/v1/invitations", `{"email_address":"user@example.com"}`)
	assert.Equal(t, 422, status)
	assert.Equal(t, "form_identifier_exists", firstCode(m))

	// The clock: advance past an expiry, then set it.
	late := c.create("late@example.com")
	status, before, _ := c.do("GET", "/_control/clock", "")
	require.Equal(t, 200, status)
	status, after, _ := c.do("POST", "/_control/clock", `{"advance":"744h"}`)
	require.Equal(t, 200, status)
	t0, _ := time.Parse(time.RFC3339Nano, before["now"].(string))
	t1, _ := time.Parse(time.RFC3339Nano, after["now"].(string))
	assert.GreaterOrEqual(t, t1.Sub(t0), 744*time.Hour)
	_, m, _ = c.do("GET", "/_control/invitations/"+late, "")
	assert.Equal(t, "expired", m["invitation"].(map[string]any)["status"], "31 days on, the 30-day invitation expired")
	status, m, _ = c.do("POST", "/_control/clock", `{"set":"2030-01-02T03:04:05Z"}`)
	require.Equal(t, 200, status)
	assert.Equal(t, "2030-01-02T03:04:05Z", m["now"])
	assert.Equal(t, true, m["frozen"])

	// Faults: the next create answers 429 with Retry-After, as the fault says.
	status, _, raw = c.do("POST", "/_control/faults", `{"operation":"create","count":1,"fault":{"status":429,"headers":{"Retry-After":"7","Content-Type":"application/json"},`+
		`"body":"{\"errors\":[{\"code\":\"too_many_requests\",\"message\":\"m\",\"long_message\":\"slow down\"}]}"}}`)
	require.Equal(t, 204, status, raw)
	req, _ := http.NewRequestWithContext(t.Context(), "POST", c.url+"/v1/invitations", strings.NewReader(`{"email_address":"f@example.com"}`))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 429, resp.StatusCode)
	assert.Equal(t, "7", resp.Header.Get("Retry-After"))
	status, _, _ = c.do("POST", "/_control/faults", `{"operation":"revoke","count":3,"fault":{"status":503}}`)
	require.Equal(t, 204, status)
	status, _, _ = c.do("DELETE", "/_control/faults", "")
	require.Equal(t, 204, status)
	status, _, _ = c.do("POST", "/v1/invitations/"+c.create("r@example.com")+"/revoke", "")
	assert.Equal(t, 200, status, "cleared faults are gone")

	// Rate limits: one create an hour, then none.
	status, _, _ = c.do("PUT", "/_control/rate-limits", `{"create":{"calls":1,"per":"1h"}}`)
	require.Equal(t, 204, status)
	c.create("once@example.com")
	status, m, _ = c.do("POST", "/v1/invitations", `{"email_address":"twice@example.com"}`)
	assert.Equal(t, 429, status)
	assert.Equal(t, "too_many_requests", firstCode(m))
	status, _, _ = c.do("PUT", "/_control/rate-limits", `{"preset":"none"}`)
	require.Equal(t, 204, status)
	c.create("twice@example.com")

	// The request log: operations, statuses and codes, never the key.
	status, _, raw = c.do("GET", "/_control/requests", "")
	require.Equal(t, 200, status)
	var log []map[string]any
	require.NoError(t, json.Unmarshal([]byte(raw), &log))
	assert.NotContains(t, raw, key)
	var limited bool
	for _, r := range log {
		if r["operation"] == "create" && r["status"] == float64(429) && strings.Contains(raw, "too_many_requests") {
			limited = true
		}
		assert.NotContains(t, r["path"], "_control", "the log is of the invitation API")
	}
	assert.True(t, limited, raw)
	status, _, _ = c.do("DELETE", "/_control/requests", "")
	require.Equal(t, 204, status)
	_, _, raw = c.do("GET", "/_control/requests", "")
	assert.JSONEq(t, `[]`, raw)

	// State: export, reset, import: the same invitations and users.
	status, _, saved := c.do("GET", "/_control/state", "")
	require.Equal(t, 200, status)
	_, _, listed := c.do("GET", "/v1/invitations?paginated=true&limit=500&status=pending&status=accepted&status=revoked&status=expired", "")
	status, _, _ = c.do("PUT", "/_control/rate-limits", `{"create":{"calls":1,"per":"1h"}}`)
	require.Equal(t, 204, status)
	_, clockBefore, _ := c.do("GET", "/_control/clock", "")
	status, _, _ = c.do("POST", "/_control/reset", "")
	require.Equal(t, 204, status)
	assert.Zero(t, c.fake.Len())
	_, clockAfter, _ := c.do("GET", "/_control/clock", "")
	assert.Equal(t, clockBefore, clockAfter, "a reset keeps the clock")
	c.create("after-reset@example.com")
	status, _, _ = c.do("POST", "/v1/invitations", `{"email_address":"limited@example.com"}`)
	assert.Equal(t, 429, status, "and the rate limits")
	status, _, _ = c.do("PUT", "/_control/rate-limits", `{"preset":"none"}`)
	require.Equal(t, 204, status)
	status, _, raw = c.do("PUT", "/_control/state", saved)
	require.Equal(t, 204, status, raw)
	_, _, relisted := c.do("GET", "/v1/invitations?paginated=true&limit=500&status=pending&status=accepted&status=revoked&status=expired", "")
	assert.JSONEq(t, listed, relisted, "the same invitations, the same answers")
	status, m, _ = c.do("POST", "/v1/invitations", `{"email_address":"user@example.com"}`)
	assert.Equal(t, "form_identifier_exists", firstCode(m), "the users came back too")
	assert.Equal(t, 422, status)
}

// TestControlPlaneRefusesHostileInput: every endpoint answers bad input with Clerk's error body,
// and the key is required.
func TestControlPlaneRefusesHostileInput(t *testing.T) {
	t.Parallel()
	c := newCtl(t)
	id := c.create("ada@example.com")
	raw := func(method, path, body, auth string) (int, string) {
		req, _ := http.NewRequestWithContext(t.Context(), method, c.url+path, strings.NewReader(body))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var m map[string]any
		require.NoError(t, json.Unmarshal(b, &m), "Clerk's error body: %s", b)
		return resp.StatusCode, firstCode(m)
	}
	bearer := "Bearer " + key
	big := `{"operation":"create","fault":{"body":"` + strings.Repeat("x", fakeclerk.DefaultMaxBodyBytes) + `"}}`
	for _, tc := range []struct {
		method, path, body, auth string
		status                   int
		code                     string
	}{
		{"GET", "/_control/state", "", "", 401, "authentication_invalid"},
		{"POST", "/_control/reset", "", "Bearer sk_test_wrong", 401, "clerk_key_invalid"},
		{"POST", "/_control/users", `{"email_address":`, bearer, 400, "request_body_invalid"},
		{"POST", "/_control/users", `{"email_address":"ray\u202e@example.com"}`, bearer, 422, "form_param_value_invalid"},
		{"POST", "/_control/clock", `{}`, bearer, 422, "form_param_value_invalid"},
		{"POST", "/_control/clock", `{"advance":"-1h"}`, bearer, 422, "form_param_value_invalid"},
		{"POST", "/_control/clock", `{"advance":"1h","set":"2030-01-01T00:00:00Z"}`, bearer, 422, "form_param_value_invalid"},
		{"POST", "/_control/faults", `{"operation":"drop table"}`, bearer, 422, "form_param_value_invalid"},
		{"POST", "/_control/faults", `{"operation":"list","count":100000}`, bearer, 422, "form_param_value_invalid"},
		{"POST", "/_control/faults", `{"operation":"list","fault":{"status":99}}`, bearer, 422, "form_param_value_invalid"},
		{"POST", "/_control/faults", `{"operation":"list","fault":{"delay":"1000h"}}`, bearer, 422, "form_param_value_invalid"},
		{"POST", "/_control/faults", big, bearer, 400, "request_body_invalid"},
		{"PUT", "/_control/rate-limits", `{"create":{"calls":0,"per":"1h"}}`, bearer, 422, "form_param_value_invalid"},
		{"PUT", "/_control/rate-limits", `{"preset":"dev","bulk":{"calls":1,"per":"1s"}}`, bearer, 422, "form_param_value_invalid"},
		{"PUT", "/_control/state", `{"invitations":[{"invitation":{"id":"inv_1","email_address":"a@example.com","status":"pending","created_at":1,"object":"invitation","public_metadata":{},"updated_at":1},` +
			`"notified":true,"template_slug":"invitation","redirect_url":"","ignore_existing":false},{"invitation":{"id":"inv_1","email_address":"b@example.com","status":"pending","created_at":1,` +
			`"object":"invitation","public_metadata":{},"updated_at":1},"notified":true,"template_slug":"invitation","redirect_url":"","ignore_existing":false}],"users":[]}`, bearer, 422, "form_param_value_invalid"},
		{"GET", "/_control/users", "", bearer, 404, "resource_not_found"},
		{"POST", "/_control//users", `{"email_address":"a@example.com"}`, bearer, 404, "resource_not_found"},
		{"GET", "/_control/invitations/" + id + "/../../state", "", bearer, 404, "resource_not_found"},
		{"GET", "/_control/nothing", "", bearer, 404, "resource_not_found"},
	} {
		status, code := raw(tc.method, tc.path, tc.body, tc.auth)
		assert.Equal(t, tc.status, status, "%s %s %.80s", tc.method, tc.path, tc.body)
		assert.Equal(t, tc.code, code, "%s %s %.80s", tc.method, tc.path, tc.body)
	}
	assert.Equal(t, 1, c.fake.Len(), "a refused state left the invitations as they were")
}

func TestControlPlaneIsOffUnlessAskedFor(t *testing.T) {
	t.Parallel()
	fake := fakeclerk.New(fakeclerk.Options{SecretKey: key})
	srv := httptest.NewServer(fake.Handler())
	t.Cleanup(srv.Close)
	req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/_control/state", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 404, resp.StatusCode)
}

// TestReplacingTheStateRefreshesEveryList: a list ordered by a field other than creation is
// served from a cached view; a reset or an imported state must not leave it stale.
func TestReplacingTheStateRefreshesEveryList(t *testing.T) {
	t.Parallel()
	c := newCtl(t)
	c.create("b@example.com")
	c.create("a@example.com")
	_, _, before := c.do("GET", "/v1/invitations?order_by=email_address&paginated=true", "")
	require.Contains(t, before, "a@example.com")
	status, _, _ := c.do("POST", "/_control/reset", "")
	require.Equal(t, 204, status)
	_, _, after := c.do("GET", "/v1/invitations?order_by=email_address&paginated=true", "")
	assert.JSONEq(t, `{"data":[],"total_count":0}`, after, "nothing is listed after a reset")
}

// TestRateLimitsChangeUnderLoad: budgets switched on and off while calls are served.
func TestRateLimitsChangeUnderLoad(t *testing.T) {
	t.Parallel()
	c := newCtl(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 50 {
			preset := map[bool]string{true: "dev", false: "none"}[i%2 == 0]
			status, _, _ := c.do("PUT", "/_control/rate-limits", `{"preset":"`+preset+`"}`)
			assert.Equal(t, 204, status)
		}
	}()
	for range 50 {
		status, _, _ := c.do("GET", "/v1/invitations", "")
		assert.Contains(t, []int{200, 429}, status)
	}
	<-done
}
